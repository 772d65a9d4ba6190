package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var ict = time.FixedZone("UTC+7", 7*3600)

func TestDigestCutoff(t *testing.T) {
	for _, tt := range []struct{ now, want time.Time }{
		{time.Date(2025, 3, 5, 8, 0, 0, 0, ict), time.Date(2025, 3, 5, 7, 0, 0, 0, ict)},
		{time.Date(2025, 3, 5, 6, 59, 0, 0, ict), time.Date(2025, 3, 4, 7, 0, 0, 0, ict)},
		// 23:30 UTC on 4 March is already 06:30 on 5 March in Vietnam.
		{time.Date(2025, 3, 4, 23, 30, 0, 0, time.UTC), time.Date(2025, 3, 4, 7, 0, 0, 0, ict)},
	} {
		if got := app.DigestCutoff(tt.now, 7); !got.Equal(tt.want) {
			t.Errorf("DigestCutoff(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

// TestDigestFoldsHeldEmailsOncePerDay: held e-mails before 07:00 become one digest per
// recipient; a second pass adds nothing; one held after 07:00 waits for tomorrow, and one
// held late (before 07:00 but after the digest went out) waits too rather than being lost.
func TestDigestFoldsHeldEmailsOncePerDay(t *testing.T) {
	pool := pgtest.NewPool(t, postgres.Migrations())
	store := postgres.New(pool)
	now := time.Date(2025, 3, 5, 8, 0, 0, 0, ict)
	svc := app.New(store, nil, notice.DefaultRules(), app.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() time.Time { return now }, uuid.NewString)
	held := func(to, subject string, at time.Time) {
		t.Helper()
		_, err := store.AddDeliveries(t.Context(), []notice.Delivery{{ID: uuid.NewString(), EventID: uuid.NewString(),
			EventType: "tasktracking.v1.task.assigned", Channel: notice.ChannelEmail, Recipient: to, Subject: subject,
			Body: []byte(subject + " — nội dung.\n\n--\nchữ ký"), State: notice.StateDigest, NextAttempt: at, CreateTime: at}})
		if err != nil {
			t.Fatal(err)
		}
	}
	night := time.Date(2025, 3, 4, 22, 0, 0, 0, ict)
	held("a@tinh.gov.vn", "Nhiệm vụ mới: III.3", night)
	held("a@tinh.gov.vn", "Sắp đến hạn: nhiệm vụ II.1", night.Add(time.Hour))
	held("b@tinh.gov.vn", "Đến kỳ báo cáo: nhiệm vụ I.2", night)
	held("a@tinh.gov.vn", "Sau giờ tổng hợp", time.Date(2025, 3, 5, 7, 30, 0, 0, ict))
	n, err := svc.Digest(t.Context(), postgres.Digester{Pool: pool}, 7)
	if err != nil || n != 2 {
		t.Fatalf("Digest = %d, %v; want 2", n, err)
	}
	var subject, body string
	if err := pool.QueryRow(t.Context(), `SELECT subject, convert_from(body, 'UTF8') FROM deliveries
		WHERE event_id = 'digest:2025-03-05' AND recipient = 'a@tinh.gov.vn' AND state = 'pending'`).Scan(&subject, &body); err != nil {
		t.Fatal(err)
	}
	if subject != "Bản tin tổng hợp thông báo ngày 05/03/2025 (2 thông báo)" {
		t.Errorf("subject %q", subject)
	}
	for _, w := range []string{"1. Nhiệm vụ mới: III.3", "2. Sắp đến hạn: nhiệm vụ II.1"} {
		if !strings.Contains(body, w) {
			t.Errorf("digest %q lacks %q", body, w)
		}
	}
	if strings.Count(body, "chữ ký") != 0 {
		t.Errorf("digest repeats the signatures: %q", body)
	}
	held("a@tinh.gov.vn", "Đến muộn", time.Date(2025, 3, 5, 6, 0, 0, 0, ict))
	if n, err := svc.Digest(t.Context(), postgres.Digester{Pool: pool}, 7); err != nil || n != 0 {
		t.Fatalf("second Digest = %d, %v; want 0", n, err)
	}
	var waiting int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM deliveries WHERE state = 'digest'`).Scan(&waiting); err != nil || waiting != 2 {
		t.Errorf("%d e-mails still held (%v), want 2 (the one after 07:00 and the late one)", waiting, err)
	}
}
