package events_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/events"
)

func handle(t *testing.T, h *events.Handler, pool *pgxpool.Pool, subject, id string, ev proto.Message) error {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	m := consumer.Message{ID: id, Subject: subject, Data: data, Deliveries: 1}
	return pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, m) })
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExplanationRequestedReachesHeadUnitsAndSecretariatWatch follows an explanation request
// whose head is found in the directory on the day: the head's own item and e-mail, the
// unit's and cooperating units' items, e-mails to their users, and a watch that the
// submission ends. Handled twice, it adds nothing.
func TestExplanationRequestedReachesHeadUnitsAndSecretariatWatch(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	unit, coop := uuid.NewString(), uuid.NewString()
	head, staff, coopStaff := uuid.NewString(), uuid.NewString(), uuid.NewString()
	dir.AddUser(head, unit, "Truong.Phong@example.gov.vn", "Nguyễn Văn Đức", directoryv1.Role_ROLE_UNIT_HEAD)
	dir.AddUser(staff, unit, "staff@example.gov.vn", "Lê Thị Hoa", directoryv1.Role_ROLE_UNIT_STAFF)
	dir.AddUser(coopStaff, coop, "", "Không có thư", directoryv1.Role_ROLE_UNIT_STAFF)
	dir.SetHead(unit, head)
	xID := uuid.NewString()
	ev := &accountabilityv1.ExplanationRequested{
		Explanation: &accountabilityv1.ExplanationRef{
			Id: xID, Year: 2024, NodeCode: "5.2", Title: "Tỷ lệ hồ sơ giải quyết đúng hạn", UnitId: unit,
			CooperatingUnitIds: []string{coop}, DueDate: "2025-03-31",
		},
		Reason: "Chỉ số giảm 3 bậc",
	}
	eventID := uuid.NewString()
	for range 2 {
		if err := handle(t, h, pool, "accountability.v1.explanation.requested", eventID, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND user_id = $2 AND urgent`, eventID, head); n != 1 {
		t.Errorf("head's items: %d, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND user_id IS NULL AND unit_id = ANY($2::uuid[])`,
		eventID, []string{unit, coop}); n != 2 {
		t.Errorf("unit items: %d, want 2", n)
	}
	var body string
	if err := pool.QueryRow(t.Context(), `SELECT convert_from(body, 'UTF8') FROM deliveries
		WHERE event_id = $1 AND channel = 'email' AND recipient = 'truong.phong@example.gov.vn'`, eventID).Scan(&body); err != nil {
		t.Fatalf("head's e-mail: %v", err)
	}
	for _, w := range []string{"31/03/2025", "https://par.example.gov.vn/giai-trinh/" + xID, "Tỷ lệ hồ sơ giải quyết đúng hạn"} {
		if !strings.Contains(body, w) {
			t.Errorf("e-mail body %q lacks %q", body, w)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1`, eventID); n != 2 {
		t.Errorf("%d deliveries, want 2 (head and staff; the cooperating user has no address)", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM escalations WHERE key = $1 AND state = 'waiting'`, "explanation:"+xID); n != 1 {
		t.Errorf("waiting watches: %d, want 1", n)
	}
	sub := &accountabilityv1.ExplanationSubmitted{Explanation: ev.Explanation}
	if err := handle(t, h, pool, "accountability.v1.explanation.submitted", uuid.NewString(), sub); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM escalations WHERE key = $1 AND state = 'reacted'`, "explanation:"+xID); n != 1 {
		t.Errorf("reacted watches: %d, want 1", n)
	}
}

// TestPreferencesAndSubscriptions: a user who turned e-mail off gets none, one who chose the
// digest has the e-mail held, an urgent event reaches an inbox turned off, and a webhook
// subscriber gets only the event types it filters on.
func TestPreferencesAndSubscriptions(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	quiet, digest := uuid.NewString(), uuid.NewString()
	dir.AddUser(quiet, uuid.NewString(), "quiet@example.gov.vn", "Ít thư", directoryv1.Role_ROLE_SECRETARIAT)
	dir.AddUser(digest, uuid.NewString(), "digest@example.gov.vn", "Tổng hợp", directoryv1.Role_ROLE_SECRETARIAT)
	for _, p := range []struct{ user, event, channel, mode string }{
		{quiet, "accountability.v1.explanation.overdue", "email", "off"},
		{quiet, "accountability.v1.explanation.overdue", "inbox", "off"},
		{digest, "accountability.v1.sanction.proposed", "email", "digest"},
		{digest, "accountability.v1.explanation.overdue", "email", "digest"},
	} {
		if _, err := pool.Exec(t.Context(), `INSERT INTO preferences VALUES ($1, $2, $3, $4)`, p.user, p.event, p.channel, p.mode); err != nil {
			t.Fatal(err)
		}
	}
	subAll, subTasks := uuid.NewString(), uuid.NewString()
	if _, err := pool.Exec(t.Context(), `INSERT INTO webhook_subscriptions (id, name, url, secret, event_types, create_time)
		VALUES ($1, 'Cổng dịch vụ công', 'http://127.0.0.1:1/a', 's', '{}', now()),
		       ($2, 'Hệ thống quản lý văn bản', 'http://127.0.0.1:1/b', 's', '{tasktracking.v1.task.assigned}', now())`, subAll, subTasks); err != nil {
		t.Fatal(err)
	}
	unit := uuid.NewString()
	ref := &accountabilityv1.ExplanationRef{Id: uuid.NewString(), Year: 2024, NodeCode: "3.1", UnitId: unit, DueDate: "2025-03-31"}
	overdue := uuid.NewString()
	if err := handle(t, h, pool, "accountability.v1.explanation.overdue", overdue, &accountabilityv1.ExplanationOverdue{Explanation: ref}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items WHERE event_id = $1 AND user_id = $2`, overdue, quiet); n != 1 {
		t.Errorf("urgent item for a user with the inbox off: %d, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND recipient = 'quiet@example.gov.vn'`, overdue); n != 0 {
		t.Errorf("e-mails to a user with e-mail off: %d", n)
	}
	// Urgent events are never held for the digest.
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND recipient = 'digest@example.gov.vn' AND state = 'pending'`, overdue); n != 1 {
		t.Errorf("urgent e-mail to a digest user: %d pending, want 1", n)
	}
	sanction := uuid.NewString()
	if err := handle(t, h, pool, "accountability.v1.sanction.proposed", sanction, &accountabilityv1.SanctionProposed{
		ProposalId: uuid.NewString(), Year: 2024, UnitId: unit, HeadName: "Lê Văn Bình", Kind: "written_criticism",
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE event_id = $1 AND recipient = 'digest@example.gov.vn' AND state = 'digest'`, sanction); n != 1 {
		t.Errorf("non-urgent e-mail to a digest user: %d held, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE channel = 'webhook' AND recipient = $1`, subAll); n != 2 {
		t.Errorf("webhooks to the unfiltered subscriber: %d, want 2", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM deliveries WHERE channel = 'webhook' AND recipient = $1`, subTasks); n != 0 {
		t.Errorf("webhooks to the task-only subscriber: %d, want 0", n)
	}
}

// TestDirectoryDownIsRetried: without the directory the event is retried, and commits nothing.
func TestDirectoryDownIsRetried(t *testing.T) {
	h, pool, dir := newHandlerDir(t)
	dir.Fail.Store(true)
	ev := &accountabilityv1.ExplanationOverdue{Explanation: &accountabilityv1.ExplanationRef{Id: uuid.NewString(), UnitId: uuid.NewString()}}
	err := handle(t, h, pool, "accountability.v1.explanation.overdue", uuid.NewString(), ev)
	if err == nil || !strings.HasPrefix(err.Error(), "retry later:") {
		t.Fatalf("Handle = %v, want a Retry error", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM inbox_items`); n != 0 {
		t.Errorf("%d items committed", n)
	}
}
