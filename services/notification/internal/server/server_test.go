package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/otelx"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svctest"
	"github.com/parindex/platform/services/notification/internal/directory/directorytest"
	"github.com/parindex/platform/services/notification/internal/postgres"
	"github.com/parindex/platform/services/notification/internal/server"
)

func TestMain(m *testing.M) {
	// The global propagator lets the consumer continue the publisher's trace, as in
	// production.
	if _, err := otelx.Setup(context.Background(), "notification-test", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pgtest.Main(m)
}

// env is the infrastructure a notification service runs on: one database, one JetStream
// server and one token issuer, which survive restarts of the service.
type env struct {
	cfg    server.Config
	signer *auth.Signer
	js     jetstream.JetStream
	pool   *pgxpool.Pool // for assertions on the database
	dir    *directorytest.Fake
}

func newEnv(t *testing.T) *env {
	t.Helper()
	inf := svctest.New(t, postgres.Migrations())
	dir, dirAddr := directorytest.Start(t)
	cfg := server.Config{
		Base:          inf.Base,
		PortalBaseURL: "https://par.example.gov.vn",
		EscalateAfter: time.Hour,
	}
	cfg.DirectoryAddr = dirAddr
	nc, js, err := natsx.Connect(t.Context(), cfg.NatsURL, "test-publisher")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	// The producer's stream, as task tracking would have made it.
	if _, err := natsx.EnsureStream(t.Context(), js, "tasktracking"); err != nil {
		t.Fatal(err)
	}
	pool, err := pg.Open(t.Context(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &env{cfg: cfg, signer: inf.Signer, js: js, pool: pool, dir: dir}
}

// running is one run of the service.
type running struct {
	client notificationv1.NotificationServiceClient
	stop   func() // cancels Run and waits for it to return
}

// start runs the service in-process with log written to w; stop is also called when the
// test ends.
func (e *env) start(t *testing.T, w io.Writer) *running {
	t.Helper()
	conn, stop := svctest.Serve(t, server.Run, e.cfg, logx.NewWithWriter(w, server.Service, slog.LevelDebug))
	return &running{client: notificationv1.NewNotificationServiceClient(conn), stop: stop}
}

// as returns ctx carrying a token for p.
func (e *env) as(ctx context.Context, t *testing.T, p auth.Principal) context.Context {
	t.Helper()
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+authtest.Token(t, e.signer, p))
}

// publish sends a TaskAssigned as task tracking's relay does: Nats-Msg-Id, event type and
// optionally a traceparent.
func (e *env) publish(ctx context.Context, id string, ev *tasktrackingv1.TaskAssigned, traceparent string) error {
	data, err := proto.Marshal(ev)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: "tasktracking.v1.task.assigned", Data: data, Header: nats.Header{}}
	msg.Header.Set("Par-Event-Type", "par.tasktracking.v1.TaskAssigned")
	if traceparent != "" {
		msg.Header.Set("traceparent", traceparent)
	}
	_, err = e.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id))
	return err
}

// publishRaw publishes data on subject with the event id, as a producer's relay does.
func (e *env) publishRaw(ctx context.Context, subject, id string, data []byte) error {
	_, err := e.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}, jetstream.WithMsgID(id))
	return err
}

// natsxEnsure creates a producer's stream.
func natsxEnsure(e *env, producer string) (jetstream.Stream, error) {
	return natsx.EnsureStream(context.Background(), e.js, producer)
}

var ict = time.FixedZone("UTC+7", 7*3600)

func taskAssigned(code string, lead string, coops ...string) *tasktrackingv1.TaskAssigned {
	return &tasktrackingv1.TaskAssigned{
		Task: &tasktrackingv1.Task{
			Id: uuid.NewString(), DocumentId: uuid.NewString(), Code: code,
			Content:     "Rà soát, đơn giản hóa thủ tục hành chính",
			LeadUnitIds: []string{lead}, CooperatingUnitIds: coops,
			Deadline: &tasktrackingv1.Timing{
				Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE, Date: "2018-11-30", Text: "Trước ngày 30/11/2018",
				DueTime: timestamppb.New(time.Date(2018, 11, 30, 23, 59, 59, 999999999, ict)),
			},
		},
		DocumentNumber: "56/KH-UBND",
		DocumentTitle:  "Kế hoạch cải cách hành chính năm 2020",
		IssuerUnitId:   uuid.NewString(),
	}
}

// waitItems polls the inbox of unit (as user) until it holds n items, and returns the last
// answer.
func waitItems(t *testing.T, ctx context.Context, client notificationv1.NotificationServiceClient, unit string, n int) *notificationv1.ListUnitInboxItemsResponse {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.ListUnitInboxItems(ctx, &notificationv1.ListUnitInboxItemsRequest{UnitId: unit})
		if err != nil {
			t.Fatalf("ListUnitInboxItems: %v", err)
		}
		if len(resp.GetItems()) >= n {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbox of %s has %d items after 15 s, want %d", unit, len(resp.GetItems()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTaskAssignedReachesInboxes follows the slice from the event to the inbox read over
// gRPC, with the publisher's trace id on the consumer's log line.
func TestTaskAssignedReachesInboxes(t *testing.T) {
	e := newEnv(t)
	logs := &svctest.Logs{}
	svc := e.start(t, logs)
	lead, coop1, coop2, other := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	leadUser := auth.Principal{UserID: uuid.NewString(), UnitID: lead, Roles: []string{auth.RoleUnitStaff}}
	coopUser := auth.Principal{UserID: uuid.NewString(), UnitID: coop2, Roles: []string{auth.RoleUnitHead}}
	otherUser := auth.Principal{UserID: uuid.NewString(), UnitID: other, Roles: []string{auth.RoleUnitHead}}
	secretariat := auth.Principal{UserID: uuid.NewString(), UnitID: other, Roles: []string{auth.RoleSecretariat}}

	const traceID = "0af7651916cd43dd8448eb211c80319c"
	ev := taskAssigned("III.3", lead, coop1, coop2)
	eventID := uuid.NewString()
	if err := e.publish(t.Context(), eventID, ev, "00-"+traceID+"-b7ad6b7169203331-01"); err != nil {
		t.Fatal(err)
	}

	leadCtx := e.as(t.Context(), t, leadUser)
	resp := waitItems(t, leadCtx, svc.client, lead, 1)
	item := resp.GetItems()[0]
	if resp.GetUnreadCount() != 1 || item.GetEventId() != eventID || item.GetUnitId() != lead ||
		item.GetEventType() != "tasktracking.v1.task.assigned" || item.GetLink() != "/nhiem-vu/"+ev.GetTask().GetId() ||
		item.GetReadTime() != nil || item.GetCreateTime() == nil {
		t.Errorf("lead's inbox = %v", resp)
	}
	if want := "Nhiệm vụ mới: III.3 — Kế hoạch 56/KH-UBND"; item.GetTitle() != want {
		t.Errorf("title %q, want %q", item.GetTitle(), want)
	}
	for _, want := range []string{"chủ trì", "30/11/2018", "Rà soát, đơn giản hóa thủ tục hành chính"} {
		if !strings.Contains(item.GetBody(), want) {
			t.Errorf("body %q lacks %q", item.GetBody(), want)
		}
	}

	coop := waitItems(t, e.as(t.Context(), t, coopUser), svc.client, coop2, 1)
	if !strings.Contains(coop.GetItems()[0].GetBody(), "phối hợp") {
		t.Errorf("cooperating unit's body %q", coop.GetItems()[0].GetBody())
	}
	// The secretariat reads every unit's inbox.
	waitItems(t, e.as(t.Context(), t, secretariat), svc.client, coop1, 1)

	// Another unit's user sees neither the inbox nor the item.
	otherCtx := e.as(t.Context(), t, otherUser)
	_, err := svc.client.ListUnitInboxItems(otherCtx, &notificationv1.ListUnitInboxItemsRequest{UnitId: lead})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("other unit lists the lead's inbox: %v, want PermissionDenied", err)
	}
	_, err = svc.client.MarkInboxItemRead(otherCtx, &notificationv1.MarkInboxItemReadRequest{ItemId: item.GetId()})
	if status.Code(err) != codes.NotFound {
		t.Errorf("other unit marks the lead's item read: %v, want NotFound", err)
	}
	_, err = svc.client.ListUnitInboxItems(t.Context(), &notificationv1.ListUnitInboxItemsRequest{UnitId: lead})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v, want Unauthenticated", err)
	}

	// Marking read twice keeps the first read time.
	read1, err := svc.client.MarkInboxItemRead(leadCtx, &notificationv1.MarkInboxItemReadRequest{ItemId: item.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	read2, err := svc.client.MarkInboxItemRead(leadCtx, &notificationv1.MarkInboxItemReadRequest{ItemId: item.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if read1.GetItem().GetReadTime() == nil || !read1.GetItem().GetReadTime().AsTime().Equal(read2.GetItem().GetReadTime().AsTime()) {
		t.Errorf("read times %v then %v", read1.GetItem().GetReadTime(), read2.GetItem().GetReadTime())
	}
	unread, err := svc.client.ListUnitInboxItems(leadCtx, &notificationv1.ListUnitInboxItemsRequest{UnitId: lead, UnreadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(unread.GetItems()) != 0 || unread.GetUnreadCount() != 0 {
		t.Errorf("after reading: %v", unread)
	}

	recs := logs.Records(t, "event notified")
	if len(recs) != 1 || recs[0]["trace_id"] != traceID || recs[0]["event_id"] != eventID {
		t.Errorf("log records %v, want one for event %s with trace_id %s", recs, eventID, traceID)
	}
}

// TestRestartLosesAndDuplicatesNothing stops the service while events keep arriving and
// starts it again on the same database and JetStream: every event ends up with exactly one
// item per unit.
func TestRestartLosesAndDuplicatesNothing(t *testing.T) {
	e := newEnv(t)
	const events = 150
	units := [3]string{uuid.NewString(), uuid.NewString(), uuid.NewString()}

	first := e.start(t, io.Discard)

	// Publish steadily in the background, so the stop lands in the middle of the stream.
	published := make(chan error, 1)
	go func() {
		for i := range events {
			ev := taskAssigned(fmt.Sprintf("T.%d", i), units[0], units[1], units[2])
			if err := e.publish(context.Background(), uuid.NewString(), ev, ""); err != nil {
				published <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		published <- nil
	}()

	count := func() (items, processed int) {
		t.Helper()
		err := e.pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM inbox_items),
			(SELECT count(*) FROM processed_events)`).Scan(&items, &processed)
		if err != nil {
			t.Fatal(err)
		}
		return items, processed
	}
	waitFor := func(what string, ok func(items, processed int) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			items, processed := count()
			if ok(items, processed) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: after 30 s, %d items for %d processed events", what, items, processed)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Stop once some, not all, events are in.
	waitFor("first run handles some events", func(_, processed int) bool { return processed >= 10 })
	first.stop()
	_, atStop := count()
	t.Logf("stopped after %d of %d events", atStop, events)

	e.start(t, io.Discard)
	if err := <-published; err != nil {
		t.Fatalf("publish: %v", err)
	}
	waitFor("second run catches up", func(_, processed int) bool { return processed >= events })

	items, processed := count()
	if processed != events || items != 3*events {
		t.Errorf("%d processed events and %d items, want %d and %d", processed, items, events, 3*events)
	}
	var perEvent, dead int
	err := e.pool.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM (SELECT event_id FROM inbox_items GROUP BY event_id HAVING count(*) <> 3) wrong),
		(SELECT count(*) FROM dead_letters)`).Scan(&perEvent, &dead)
	if err != nil {
		t.Fatal(err)
	}
	if perEvent != 0 || dead != 0 {
		t.Errorf("%d events without exactly 3 items, %d dead letters; want none", perEvent, dead)
	}
	if atStop >= events {
		t.Log("the first run handled every event before it stopped; the restart was not mid-stream")
	}
}
