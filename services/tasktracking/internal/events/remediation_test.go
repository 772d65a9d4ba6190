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

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/events"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixedNow is the day the roadmap is committed: 15/04/2025 in Vietnam.
var fixedNow = time.Date(2025, 4, 15, 3, 0, 0, 0, time.UTC)

func newHandler(t *testing.T) (*events.Remediation, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t, postgres.Migrations())
	svc := app.New(postgres.New(pool), nil, quiet, func() time.Time { return fixedNow }, func() string { return uuid.Must(uuid.NewV7()).String() })
	return events.NewRemediation(svc, func(tx pgx.Tx) app.RemediationWriter { return postgres.NewRemediationWriter(tx) }), pool
}

// Units of the roadmap.
var (
	unitVPUBND = uuid.NewString() // the provincial committee's office: assigns remediation
	unitSTP    = uuid.NewString() // Department of Justice: explained, owns the actions
	unitSNV    = uuid.NewString() // Department of Home Affairs: cooperates
)

// roadmapCommitted is the roadmap of an explanation about index node 3.1.2 (2024 results):
// two dated actions.
func roadmapCommitted() *accountabilityv1.RoadmapCommitted {
	return &accountabilityv1.RoadmapCommitted{
		Explanation: &accountabilityv1.ExplanationRef{
			Id: uuid.NewString(), Year: 2024, NodeCode: "3.1.2",
			Title:  "Rà soát, đánh giá thủ tục hành chính",
			UnitId: unitSTP, HeadName: "Trần Văn B", DueDate: "2025-03-31",
		},
		AssigningUnitId: unitVPUBND,
		Actions: []*accountabilityv1.RoadmapAction{
			{
				Id: uuid.NewString(), Content: "Xây dựng và ban hành kế hoạch rà soát thủ tục hành chính năm 2025",
				OwnerUnitId: unitSTP, CooperatingUnitIds: []string{unitSNV}, DueDate: "2025-06-30",
				CriteriaCodes: []string{"3.1.2"}, ExpectedProduct: "Kế hoạch rà soát",
			},
			{
				Id: uuid.NewString(), Content: "Báo cáo kết quả khắc phục với Chủ tịch UBND tỉnh",
				OwnerUnitId: unitSTP, DueDate: "2026-01-15",
				CriteriaCodes: []string{"3.1.2", "3.1"}, ExpectedProduct: "Báo cáo kết quả khắc phục",
			},
		},
	}
}

func message(t *testing.T, id string, ev proto.Message) consumer.Message {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return consumer.Message{ID: id, Subject: events.SubjectRoadmapCommitted, Data: data, Deliveries: 1}
}

// remediationRow is a remediation task as stored.
type remediationRow struct {
	Number, Code, Content, Lead, Due, ActionID, Node string
	Criteria                                         []string
	Occurrences                                      int
}

// remediationTasks reads the remediation tasks of an explanation, in the document's order.
func remediationTasks(t *testing.T, pool *pgxpool.Pool, explanationID string) []remediationRow {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
		SELECT d.number, t.code, t.content,
			(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'lead'),
			to_char(t.deadline_date, 'YYYY-MM-DD'), r.action_id::text, r.node_code, t.criteria_codes,
			(SELECT count(*) FROM occurrences o WHERE o.task_id = t.id)
		FROM task_remediations r JOIN tasks t ON t.id = r.task_id JOIN documents d ON d.id = t.document_id
		WHERE r.explanation_id = $1 ORDER BY t.position`, explanationID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (remediationRow, error) {
		var r remediationRow
		err := row.Scan(&r.Number, &r.Code, &r.Content, &r.Lead, &r.Due, &r.ActionID, &r.Node, &r.Criteria, &r.Occurrences)
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantTasks(ev *accountabilityv1.RoadmapCommitted) []remediationRow {
	number := "KP-GT-" + ev.GetExplanation().GetId()[:8]
	var out []remediationRow
	for i, a := range ev.GetActions() {
		out = append(out, remediationRow{
			Number: number, Code: []string{"1", "2"}[i], Content: a.GetContent(), Lead: a.GetOwnerUnitId(),
			Due: a.GetDueDate(), ActionID: a.GetId(), Node: "3.1.2", Criteria: a.GetCriteriaCodes(), Occurrences: 1,
		})
	}
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHandleTwiceCreatesOnce calls the handler straight, twice and under two event ids,
// without kit/consumer's processed-event record: the explanation's key alone keeps one
// document with one task per action.
func TestHandleTwiceCreatesOnce(t *testing.T) {
	h, pool := newHandler(t)
	ev := roadmapCommitted()
	for range 2 {
		msg := message(t, uuid.NewString(), ev)
		if err := pg.InTx(t.Context(), pool, func(tx pgx.Tx) error { return h.Handle(t.Context(), tx, msg) }); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	if diff := cmp.Diff(wantTasks(ev), remediationTasks(t, pool, ev.GetExplanation().GetId())); diff != "" {
		t.Errorf("remediation tasks (-want +got):\n%s", diff)
	}
	if n := count(t, pool, `SELECT count(*) FROM documents`); n != 1 {
		t.Errorf("%d documents, want 1", n)
	}
	// One TaskAssigned per task, written with the tasks, so the units are told.
	if n := count(t, pool, `SELECT count(*) FROM outbox_events WHERE subject = 'tasktracking.v1.task.assigned'`); n != 2 {
		t.Errorf("%d TaskAssigned events, want 2", n)
	}
	var title string
	var start, end int
	if err := pool.QueryRow(t.Context(), `SELECT title, period_start_year, period_end_year FROM documents`).Scan(&title, &start, &end); err != nil {
		t.Fatal(err)
	}
	if want := "Lộ trình khắc phục sau giải trình về chỉ số 3.1.2 – Rà soát, đánh giá thủ tục hành chính (kết quả năm 2024)"; title != want || start != 2025 || end != 2026 {
		t.Errorf("document %q %d–%d, want %q 2025–2026", title, start, end, want)
	}
}

func TestHandleRejectsBadEvents(t *testing.T) {
	h, pool := newHandler(t)
	noActions := roadmapCommitted()
	noActions.Actions = nil
	badDue := roadmapCommitted()
	badDue.Actions[1].DueDate = "15/01/2026"
	noDue := roadmapCommitted()
	noDue.Actions[0].DueDate = ""
	badAction := roadmapCommitted()
	badAction.Actions[0].Id = "action-1"
	twice := roadmapCommitted()
	twice.Actions[1].Id = twice.Actions[0].Id
	noAssigner := roadmapCommitted()
	noAssigner.AssigningUnitId = ""
	noOwner := roadmapCommitted()
	noOwner.Actions[0].OwnerUnitId = ""
	badCriteria := roadmapCommitted()
	badCriteria.Actions[0].CriteriaCodes = []string{"3..1"}
	tests := []struct {
		name string
		msg  consumer.Message
	}{
		{name: "undecodable", msg: consumer.Message{ID: uuid.NewString(), Subject: events.SubjectRoadmapCommitted, Data: []byte{0xff, 0xff, 0xff}}},
		{name: "unknown subject", msg: consumer.Message{ID: uuid.NewString(), Subject: "accountability.v1.roadmap.withdrawn"}},
		{name: "no actions", msg: message(t, uuid.NewString(), noActions)},
		{name: "due date not ISO", msg: message(t, uuid.NewString(), badDue)},
		{name: "no due date", msg: message(t, uuid.NewString(), noDue)},
		{name: "action id not a UUID", msg: message(t, uuid.NewString(), badAction)},
		{name: "action twice", msg: message(t, uuid.NewString(), twice)},
		{name: "no assigning unit", msg: message(t, uuid.NewString(), noAssigner)},
		{name: "no owner", msg: message(t, uuid.NewString(), noOwner)},
		{name: "bad criteria code", msg: message(t, uuid.NewString(), badCriteria)},
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
	if n := count(t, pool, `SELECT count(*) FROM documents`); n != 0 {
		t.Errorf("%d documents written by bad events", n)
	}
}

// runConsumer runs the durable consumer until the returned stop is called.
func runConsumer(t *testing.T, h *events.Remediation, pool *pgxpool.Pool, js jetstream.JetStream) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx, h.Consumer(pool, js, quiet)) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer.Run: %v", err)
		}
	}
}

// waitAcked waits until the durable consumer has delivered and had acknowledged every
// message of the stream.
func waitAcked(t *testing.T, js jetstream.JetStream, delivered uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := js.Consumer(t.Context(), "ACCOUNTABILITY", events.RemediationDurable)
		if err == nil {
			info, err := c.Info(t.Context())
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Consumer >= delivered {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer did not acknowledge %d deliveries in 15 s", delivered)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRedeliveredRoadmapCreatesTasksOnce runs the real durable consumer on JetStream. The
// event is handled; then the durable consumer is deleted and created again, so JetStream
// delivers the same message (same Nats-Msg-Id) a second time; then accountability publishes
// the roadmap again under a new event id. The tasks exist once.
func TestRedeliveredRoadmapCreatesTasksOnce(t *testing.T) {
	h, pool := newHandler(t)
	nc, js, err := natsx.Connect(t.Context(), natstest.Start(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := natsx.EnsureStream(t.Context(), js, "accountability"); err != nil {
		t.Fatal(err)
	}
	ev := roadmapCommitted()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(id string) {
		t.Helper()
		msg := &nats.Msg{Subject: events.SubjectRoadmapCommitted, Data: data, Header: nats.Header{}}
		if _, err := js.PublishMsg(t.Context(), msg, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	first := uuid.NewString()
	publish(first)

	stop := runConsumer(t, h, pool, js)
	waitAcked(t, js, 1)
	stop()
	want := wantTasks(ev)
	if diff := cmp.Diff(want, remediationTasks(t, pool, ev.GetExplanation().GetId())); diff != "" {
		t.Fatalf("after the first delivery (-want +got):\n%s", diff)
	}

	// Redelivery: a new durable consumer of the same name starts from the first message.
	if err := js.DeleteConsumer(t.Context(), "ACCOUNTABILITY", events.RemediationDurable); err != nil {
		t.Fatal(err)
	}
	stop = runConsumer(t, h, pool, js)
	waitAcked(t, js, 1)
	// Republished under another event id.
	publish(uuid.NewString())
	waitAcked(t, js, 2)
	stop()

	if diff := cmp.Diff(want, remediationTasks(t, pool, ev.GetExplanation().GetId())); diff != "" {
		t.Errorf("after redelivery and republication (-want +got):\n%s", diff)
	}
	if n := count(t, pool, `SELECT count(*) FROM documents`); n != 1 {
		t.Errorf("%d documents, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM outbox_events`); n != 2 {
		t.Errorf("%d outbox events, want 2 TaskAssigned", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM processed_events`); n != 2 {
		t.Errorf("%d processed events, want the two event ids", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM dead_letters`); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}
