package events_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/directory"
	"github.com/parindex/platform/services/notification/internal/directory/directorytest"
	"github.com/parindex/platform/services/notification/internal/events"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var ict = time.FixedZone("UTC+7", 7*3600)

func newHandler(t *testing.T) (*events.Handler, *pgxpool.Pool) {
	h, pool, _ := newHandlerDir(t)
	return h, pool
}

// newHandlerDir returns a handler resolving recipients through a fake directory peer.
func newHandlerDir(t testing.TB) (*events.Handler, *pgxpool.Pool, *directorytest.Fake) {
	t.Helper()
	return newHandlerCached(t, 0)
}

// newHandlerCached is newHandlerDir with directory answers cached for ttl, as in production.
func newHandlerCached(t testing.TB, ttl time.Duration) (*events.Handler, *pgxpool.Pool, *directorytest.Fake) {
	t.Helper()
	pool := pgtest.NewPool(t, postgres.Migrations())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fake, addr := directorytest.Start(t)
	dir := directory.New(directorytest.Dial(t, addr), ttl)
	svc := app.New(postgres.New(pool), dir, notice.DefaultRules(), app.Options{
		PortalBaseURL: "https://par.example.gov.vn", EscalateAfter: time.Hour,
	}, log, time.Now, func() string { return uuid.Must(uuid.NewV7()).String() }) // as production: time-ordered ids
	return events.NewHandler(svc, func(tx pgx.Tx) app.TxStore { return postgres.New(tx) }), pool, fake
}

// taskAssigned is the event of task III.3 of Plan 56/KH-UBND with one lead and two
// cooperating units.
func taskAssigned(lead string, coops ...string) *tasktrackingv1.TaskAssigned {
	return &tasktrackingv1.TaskAssigned{
		Task: &tasktrackingv1.Task{
			Id:                 uuid.NewString(),
			DocumentId:         uuid.NewString(),
			Code:               "III.3",
			Content:            "Rà soát, đơn giản hóa thủ tục hành chính",
			LeadUnitIds:        []string{lead},
			CooperatingUnitIds: coops,
			Deadline: &tasktrackingv1.Timing{
				Kind: tasktrackingv1.TimingKind_TIMING_KIND_QUARTER, Quarter: 4, Year: 2018, Text: "Quý IV/2018",
				DueTime: timestamppb.New(time.Date(2018, 12, 31, 23, 59, 59, 999999999, ict)),
			},
		},
		DocumentNumber: "56/KH-UBND",
		DocumentTitle:  "Kế hoạch cải cách hành chính năm 2020",
		IssuerUnitId:   uuid.NewString(),
	}
}

func message(t *testing.T, id string, ev proto.Message) consumer.Message {
	t.Helper()
	m := messageOn(t, events.EventTaskAssigned, ev)
	m.ID = id
	return m
}

// inboxUnits returns the unit of every item of event, sorted.
func inboxUnits(t *testing.T, pool *pgxpool.Pool, event string) map[string]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT unit_id::text, body FROM inbox_items WHERE event_id = $1 AND user_id IS NULL`, event)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var unit, body string
		if err := rows.Scan(&unit, &body); err != nil {
			t.Fatal(err)
		}
		got[unit] = body
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestHandleTaskAssignedTwiceGivesOneItemPerUnit(t *testing.T) {
	h, pool := newHandler(t)
	lead, coop1, coop2 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	ev := taskAssigned(lead, coop1, coop2)
	msg := message(t, uuid.NewString(), ev)

	// Straight through the handler, twice, without kit/consumer's processed-event record:
	// the unique (event, unit) constraint alone keeps the inbox right.
	for range 2 {
		err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, msg) })
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	got := inboxUnits(t, pool, msg.ID)
	if len(got) != 3 {
		t.Fatalf("%d items, want 3: %v", len(got), got)
	}
	wantPrefix := map[string]string{
		lead:  "Đơn vị được giao chủ trì thực hiện nhiệm vụ III.3 theo Kế hoạch 56/KH-UBND",
		coop1: "Đơn vị được giao phối hợp thực hiện nhiệm vụ III.3 theo Kế hoạch 56/KH-UBND",
		coop2: "Đơn vị được giao phối hợp thực hiện nhiệm vụ III.3 theo Kế hoạch 56/KH-UBND",
	}
	for unit, prefix := range wantPrefix {
		body := got[unit]
		if len(body) < len(prefix) || body[:len(prefix)] != prefix {
			t.Errorf("unit %s: body %q, want prefix %q", unit, body, prefix)
		}
	}
}

func TestHandleRejectsBadEvents(t *testing.T) {
	h, pool := newHandler(t)
	noUnits := taskAssigned(uuid.NewString())
	noUnits.Task.LeadUnitIds = nil
	noTask := taskAssigned(uuid.NewString())
	noTask.Task = nil
	tests := []struct {
		name string
		msg  consumer.Message
	}{
		{name: "undecodable", msg: consumer.Message{ID: uuid.NewString(), Subject: events.EventTaskAssigned, Data: []byte{0xff, 0xff, 0xff}}},
		{name: "no units", msg: message(t, uuid.NewString(), noUnits)},
		{name: "no task", msg: message(t, uuid.NewString(), noTask)},
		{name: "unknown subject", msg: consumer.Message{ID: uuid.NewString(), Subject: "tasktracking.v1.task.deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, tt.msg) })
			// kit/consumer's GiveUp errors read "give up: …"; the type is unexported.
			if err == nil || len(err.Error()) < 8 || err.Error()[:8] != "give up:" {
				t.Errorf("Handle = %v, want a GiveUp error", err)
			}
		})
	}
}

// TestConsumerOnJetStream runs the real durable consumer: a valid event becomes items, an
// undecodable one becomes a dead letter, and neither blocks the other.
func TestConsumerOnJetStream(t *testing.T) {
	h, pool := newHandler(t)
	ctx, cancel := context.WithCancel(t.Context())
	nc, js, err := natsx.Connect(ctx, natstest.Start(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)

	done := make(chan error, 1)
	go func() {
		done <- consumer.Run(ctx, h.Consumers(pool, js, slog.New(slog.NewTextHandler(io.Discard, nil)))[0])
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer.Run: %v", err)
		}
	})

	if _, err := natsx.EnsureStream(ctx, js, "tasktracking"); err != nil {
		t.Fatal(err)
	}
	bad, good := uuid.NewString(), uuid.NewString()
	publish := func(id string, data []byte) {
		t.Helper()
		msg := &nats.Msg{Subject: events.EventTaskAssigned, Data: data, Header: nats.Header{}}
		if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	publish(bad, []byte("not protobuf \xff\xff"))
	lead := uuid.NewString()
	data, err := proto.Marshal(taskAssigned(lead))
	if err != nil {
		t.Fatal(err)
	}
	publish(good, data)

	deadline := time.Now().Add(15 * time.Second)
	for {
		var items, dead int
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbox_items WHERE event_id = $1),
			(SELECT count(*) FROM dead_letters WHERE event_id = $2)`, good, bad).Scan(&items, &dead); err != nil {
			t.Fatal(err)
		}
		if items == 1 && dead == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s: %d items for the good event (want 1), %d dead letters (want 1)", items, dead)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if diff := cmp.Diff(1, len(inboxUnits(t, pool, good))); diff != "" {
		t.Error(diff)
	}
}
