package server_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/svctest"
	"github.com/parindex/platform/services/notification/internal/server"
)

// TestWatchMyInboxAndEscalation: a head watching their inbox sees the explanation request
// arrive live, pushed at commit (the fallback poll is an hour away); nobody reacts, so it is escalated to the secretariat once; only the
// secretariat manages webhook subscriptions.
func TestWatchMyInboxAndEscalation(t *testing.T) {
	e := newEnv(t)
	e.cfg.EscalateAfter = 300 * time.Millisecond
	e.cfg.EscalateEvery = 100 * time.Millisecond
	e.cfg.WatchPoll = time.Hour
	svc := e.start(t, io.Discard)
	unit, head, sec := uuid.NewString(), uuid.NewString(), uuid.NewString()
	e.dir.AddUser(head, unit, "", "Nguyễn Văn Đức", directoryv1.Role_ROLE_UNIT_HEAD)
	e.dir.AddUser(sec, uuid.NewString(), "", "Văn phòng", directoryv1.Role_ROLE_SECRETARIAT)
	headP := auth.Principal{UserID: head, UnitID: unit, Roles: []string{auth.RoleUnitHead}}
	secP := auth.Principal{UserID: sec, Roles: []string{auth.RoleSecretariat}}

	ctx, cancel := context.WithTimeout(e.as(t.Context(), t, headP), 20*time.Second)
	defer cancel()
	stream, err := svc.client.WatchInbox(ctx, &notificationv1.WatchInboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil { // the watch is open before the event
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := natsxEnsure(e, "accountability"); err != nil {
		t.Fatal(err)
	}
	xID := uuid.NewString()
	data, _ := proto.Marshal(&accountabilityv1.ExplanationRequested{Explanation: &accountabilityv1.ExplanationRef{
		Id: xID, Year: 2024, NodeCode: "5.2", Title: "Tỷ lệ hồ sơ đúng hạn", UnitId: unit, HeadUserId: head, DueDate: "2025-03-31"}})
	if err := e.publishRaw(t.Context(), "accountability.v1.explanation.requested", uuid.NewString(), data); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv: %v (got %v)", err, got)
		}
		if msg.GetItem().GetUserId() == head {
			got["own"] = true
		} else if msg.GetItem().GetUnitId() == unit {
			got["unit"] = true
		}
	}
	mine, err := svc.client.ListMyInboxItems(e.as(t.Context(), t, headP), &notificationv1.ListMyInboxItemsRequest{UrgentOnly: true})
	if err != nil || len(mine.GetItems()) != 2 || mine.GetUnreadCount() != 2 {
		t.Fatalf("ListMyInboxItems = %v, %v", mine, err)
	}
	// The secretariat may not mark the head's own item read.
	var own string
	for _, it := range mine.GetItems() {
		if it.GetUserId() == head {
			own = it.GetId()
		}
	}
	if _, err := svc.client.MarkInboxItemRead(e.as(t.Context(), t, secP), &notificationv1.MarkInboxItemReadRequest{ItemId: own}); status.Code(err) != codes.NotFound {
		t.Errorf("secretariat marks the head's item: %v, want NotFound", err)
	}

	secCtx := e.as(t.Context(), t, secP)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := svc.client.ListMyInboxItems(secCtx, &notificationv1.ListMyInboxItemsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetItems()) == 1 {
			if it := resp.GetItems()[0]; !it.GetUrgent() || it.GetLink() != "/giai-trinh/"+xID {
				t.Errorf("escalation item %v", it)
			}
			break
		}
		if time.Now().After(deadline) || len(resp.GetItems()) > 1 {
			t.Fatalf("secretariat inbox: %v", resp.GetItems())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // further passes must not escalate again
	var n int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM inbox_items WHERE user_id = $1`, sec).Scan(&n); err != nil || n != 1 {
		t.Errorf("secretariat items %d (%v), want 1", n, err)
	}

	sub := &notificationv1.CreateWebhookSubscriptionRequest{Subscription: &notificationv1.WebhookSubscription{
		Name: "Cổng dịch vụ công tỉnh", Url: "https://dvc.example.gov.vn/hook", Secret: "0123456789abcdef0123"}}
	if _, err := svc.client.CreateWebhookSubscription(e.as(t.Context(), t, headP), sub); status.Code(err) != codes.PermissionDenied {
		t.Errorf("head creates a subscription: %v, want PermissionDenied", err)
	}
	created, err := svc.client.CreateWebhookSubscription(secCtx, sub)
	if err != nil || created.GetSubscription().GetSecret() != "" || created.GetSubscription().GetId() == "" {
		t.Fatalf("CreateWebhookSubscription = %v, %v", created, err)
	}
	// The mutations' audit records leave through the outbox for the directory's audit log:
	// the read marks above, then the subscription.
	cons, err := e.js.OrderedConsumer(t.Context(), natsx.StreamName(server.Service), jetstream.OrderedConsumerConfig{FilterSubjects: []string{audit.Subject(server.Service)}})
	if err != nil {
		t.Fatal(err)
	}
	for audited := false; !audited; {
		msg, err := cons.Next(jetstream.FetchMaxWait(svctest.EventTimeout))
		if err != nil {
			t.Fatalf("no audit record of CreateWebhookSubscription on the stream: %v", err)
		}
		var rec auditv1.AuditRecorded
		if err := proto.Unmarshal(msg.Data(), &rec); err != nil {
			t.Fatal(err)
		}
		audited = strings.HasSuffix(rec.GetRecord().GetMethod(), "/CreateWebhookSubscription") && rec.GetRecord().GetOutcome() == "OK"
	}
	bad := proto.Clone(sub).(*notificationv1.CreateWebhookSubscriptionRequest)
	bad.Subscription.Url = "http://dvc.example.gov.vn/hook"
	if _, err := svc.client.CreateWebhookSubscription(secCtx, bad); status.Code(err) != codes.InvalidArgument {
		t.Errorf("plain HTTP URL: %v, want InvalidArgument", err)
	}
}
