package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// clock is a settable scheduler clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// t0 is 09:00 local time on 25/06/2021, the fixture's "now".
var t0 = time.Date(2021, 6, 25, 2, 0, 0, 0, time.UTC)

func day(s string) vntime.Date {
	d, err := vntime.ParseISO(s)
	if err != nil {
		panic(err)
	}
	return d
}

func dated(code, iso string) tracking.Task {
	t := task(code, []string{unitSNV}, unitSTP)
	t.Deadline = tracking.Timing{Kind: tracking.TimingDate, Date: day(iso), Text: "trước ngày " + day(iso).VN()}
	return t
}

// noticeFixture stores three documents whose occurrences cover every case at t0, and returns
// the occurrence ids by task code (continuous periods as "C/Q1"…, yearly as "Y/2021"…).
func noticeFixture(t *testing.T, store *postgres.Store, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := t.Context()
	ids := map[string]string{}
	// One-off tasks with a date deadline.
	cond := task("cond", []string{unitSNV})
	cond.Deadline = tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ"}
	d := newDocument(t, "12/KH-UBND", "Kế hoạch CCHC năm 2021", "2021-01-05",
		dated("far", "2021-09-30"),     // 97 days away: nothing
		dated("d7", "2021-06-30"),      // 5.6 days: due soon, 7 days
		dated("d3", "2021-06-27"),      // 2.6 days: due soon, 3 days (7 days superseded)
		dated("late", "2021-06-10"),    // past and open: overdue
		dated("ontime", "2021-06-20"),  // reported on 19/06: nothing
		dated("replate", "2021-06-20"), // reported on 22/06: overdue
		dated("done", "2021-06-26"),    // done: nothing
		dated("cancel", "2021-06-10"),  // cancelled: nothing
		cond,                           // no deadline: nothing
	)
	if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
		t.Fatal(err)
	}
	for _, tk := range d.Tasks {
		ids[tk.Code] = occOf(t, pool, tk.ID, "whole", 0, 0)
	}
	for code, set := range map[string]string{
		"ontime":  `state = 'completion_reported', report_time = '2021-06-19T03:00:00Z'`,
		"replate": `state = 'completion_reported', report_time = '2021-06-22T03:00:00Z'`,
		"done":    `state = 'done', report_time = '2021-06-20T03:00:00Z', confirm_time = '2021-06-21T03:00:00Z'`,
		"cancel":  `state = 'cancelled', close_time = '2021-06-01T03:00:00Z'`,
	} {
		if _, err := pool.Exec(ctx, `UPDATE occurrences SET `+set+` WHERE id = $1`, ids[code]); err != nil {
			t.Fatal(err)
		}
	}

	// A yearly task of 2021–2025: five occurrences due each 31/12, all far.
	y := task("Y", []string{unitSTC})
	y.Deadline = tracking.Timing{Kind: tracking.TimingYearly, Text: "Hằng năm"}
	yd := newDocument(t, "56/KH-UBND", "Kế hoạch CCHC 2021 - 2025", "2021-01-05", y)
	yd.PeriodEndYear = 2025
	if err := store.CreateDocument(ctx, yd, occurrences(yd)); err != nil {
		t.Fatal(err)
	}
	for yr := 2021; yr <= 2025; yr++ {
		ids[fmt.Sprintf("Y/%d", yr)] = occOf(t, pool, yd.Tasks[0].ID, "year", yr, 0)
	}

	// A continuous task reported quarterly in 2021: Q1 overdue, Q2 report due in 5.6 days.
	c := task("C", []string{unitSTP}, unitSNV)
	c.Deadline = tracking.Timing{Kind: tracking.TimingContinuous, Text: "Thường xuyên"}
	cd := newDocument(t, "7/CT-UBND", "Chỉ thị về CCHC", "2021-01-05", c)
	cd.ReportingCycle = tracking.CycleQuarterly
	if err := store.CreateDocument(ctx, cd, occurrences(cd)); err != nil {
		t.Fatal(err)
	}
	for q := 1; q <= 4; q++ {
		ids[fmt.Sprintf("C/Q%d", q)] = occOf(t, pool, cd.Tasks[0].ID, "quarter", 2021, q)
	}
	return ids
}

func occOf(t *testing.T, pool *pgxpool.Pool, taskID, kind string, year, number int) string {
	t.Helper()
	var id string
	err := pool.QueryRow(t.Context(), `SELECT id::text FROM occurrences WHERE task_id = $1 AND period_kind = $2
		AND period_year = $3 AND period_number = $4`, taskID, kind, year, number).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// notices reads the deadline-notice events written to the outbox after seq *from, as
// "<occurrence label> <subject suffix> <lead>", sorted, and moves *from past them.
func notices(t *testing.T, pool *pgxpool.Pool, labels map[string]string, from *int64) []string {
	t.Helper()
	byID := map[string]string{}
	for l, id := range labels {
		byID[id] = l
	}
	rows, err := pool.Query(t.Context(), `SELECT seq, subject, payload FROM outbox_events
		WHERE seq > $1 AND subject = ANY($2) ORDER BY seq`, *from,
		[]string{postgres.SubjectOccurrenceDueSoon, postgres.SubjectOccurrenceOverdue, postgres.SubjectReportDue})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			seq     int64
			subject string
			payload []byte
		)
		if err := rows.Scan(&seq, &subject, &payload); err != nil {
			t.Fatal(err)
		}
		*from = max(*from, seq)
		out = append(out, describe(t, subject, payload, byID))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Later passes see the seq of every event, notices or not.
	if err := pool.QueryRow(t.Context(), `SELECT COALESCE(max(seq), 0) FROM outbox_events`).Scan(from); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func describe(t *testing.T, subject string, payload []byte, byID map[string]string) string {
	t.Helper()
	var (
		occ  *tasktrackingv1.Occurrence
		lead time.Duration
	)
	switch subject {
	case postgres.SubjectOccurrenceDueSoon:
		var m tasktrackingv1.OccurrenceDueSoon
		if err := proto.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		occ, lead = m.GetOccurrence(), m.GetLeadTime().AsDuration()
	case postgres.SubjectReportDue:
		var m tasktrackingv1.ReportDue
		if err := proto.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		occ, lead = m.GetOccurrence(), m.GetLeadTime().AsDuration()
	case postgres.SubjectOccurrenceOverdue:
		var m tasktrackingv1.OccurrenceOverdue
		if err := proto.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		occ = m.GetOccurrence()
	}
	label, ok := byID[occ.GetId()]
	if !ok {
		label = occ.GetId()
	}
	kind := subject[strings.LastIndex(subject, ".")+1:]
	if subject == postgres.SubjectReportDue {
		kind = "report_due"
	}
	if lead == 0 {
		return label + " " + kind
	}
	return fmt.Sprintf("%s %s %gd", label, kind, lead.Hours()/24)
}

func newScheduler(store app.NoticeStore, c *clock) *app.Scheduler {
	return app.NewScheduler(store, quiet, c.Now, time.Minute, nil)
}

func pass(t *testing.T, s *app.Scheduler) app.NoticeCounts {
	t.Helper()
	c, err := s.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantAtT0 is every notice the fixture has reached at t0.
var wantAtT0 = []string{
	"C/Q1 overdue",
	"C/Q2 report_due 7d",
	"d3 due_soon 3d",
	"d7 due_soon 7d",
	"late overdue",
	"replate overdue",
}

// TestSchedulerPass: one pass makes the right notices for every kind of occurrence, with
// everything a notification needs; a second pass, and a new scheduler (a restart), make none.
func TestSchedulerPass(t *testing.T) {
	store, pool := newStore(t)
	ids := noticeFixture(t, store, pool)
	c := &clock{now: t0}
	s := newScheduler(store, c)
	var seq int64

	got := pass(t, s)
	if diff := cmp.Diff(wantAtT0, notices(t, pool, ids, &seq)); diff != "" {
		t.Errorf("first pass (-want +got):\n%s", diff)
	}
	// d3's 7 days, and both lead times of late, replate and C/Q1, are recorded unsent.
	want := app.NoticeCounts{Candidates: 6, DueSoon: 2, ReportDue: 1, Overdue: 3, Superseded: 7}
	if got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}

	// The events carry the task and document, so notification need not call back.
	var payload []byte
	if err := pool.QueryRow(t.Context(), `SELECT payload FROM outbox_events WHERE subject = $1 ORDER BY seq LIMIT 1`,
		postgres.SubjectOccurrenceDueSoon).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var ev tasktrackingv1.OccurrenceDueSoon
	if err := proto.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if o := ev.GetOccurrence(); o.GetId() != ids["d3"] || o.GetTaskCode() != "d3" ||
		!slices.Equal(o.GetLeadUnitIds(), []string{unitSNV}) || !slices.Equal(o.GetCooperatingUnitIds(), []string{unitSTP}) {
		t.Errorf("occurrence of the first due-soon event = %v", o)
	}
	wantDue := day("2021-06-27").EndOfDay()
	if ev.GetDocumentNumber() != "12/KH-UBND" || ev.GetDocumentTitle() != "Kế hoạch CCHC năm 2021" ||
		ev.GetTaskContent() != "Nội dung nhiệm vụ d3" || ev.GetIssuerUnitId() != unitUBND ||
		ev.GetLeadTime().AsDuration() != 72*time.Hour || !ev.GetDueTime().AsTime().Equal(wantDue.Truncate(time.Microsecond)) ||
		!ev.GetNoticeTime().AsTime().Equal(t0) {
		t.Errorf("due-soon event = %v", &ev)
	}

	if got := pass(t, s); got != (app.NoticeCounts{}) {
		t.Errorf("second pass counts = %+v, want none", got)
	}
	restarted := newScheduler(postgres.New(pool), c)
	pass(t, restarted)
	if got := notices(t, pool, ids, &seq); len(got) != 0 {
		t.Errorf("second pass and restart made %v", got)
	}
}

// TestSchedulerClockJumps: a jump forward makes each notice missed meanwhile once (a due
// soon that went overdue meanwhile is superseded by the overdue notice); jumps back make
// nothing again.
func TestSchedulerClockJumps(t *testing.T) {
	store, pool := newStore(t)
	ids := noticeFixture(t, store, pool)
	c := &clock{now: t0}
	s := newScheduler(store, c)
	var seq int64
	pass(t, s)
	notices(t, pool, ids, &seq)

	c.Set(t0.Add(30 * 24 * time.Hour)) // 25/07/2021
	pass(t, s)
	want := []string{"C/Q2 overdue", "d3 overdue", "d7 overdue"}
	if diff := cmp.Diff(want, notices(t, pool, ids, &seq)); diff != "" {
		t.Errorf("after a jump of 30 days (-want +got):\n%s", diff)
	}
	pass(t, s)
	for _, back := range []time.Time{t0, t0.Add(15 * 24 * time.Hour), t0.Add(3 * 24 * time.Hour)} {
		c.Set(back)
		pass(t, s)
	}
	if got := notices(t, pool, ids, &seq); len(got) != 0 {
		t.Errorf("passes after jumping back made %v", got)
	}
	// Forward again, further: Q3 and far come due.
	c.Set(time.Date(2021, 9, 28, 2, 0, 0, 0, time.UTC))
	pass(t, s)
	want = []string{"C/Q3 report_due 3d", "far due_soon 3d"}
	if diff := cmp.Diff(want, notices(t, pool, ids, &seq)); diff != "" {
		t.Errorf("on 28/09 (-want +got):\n%s", diff)
	}
}

// TestSchedulerExtensionRearms: an approved extension moves the deadline, and the notices of
// the new deadline go out in their turn.
func TestSchedulerExtensionRearms(t *testing.T) {
	store, pool := newStore(t)
	ids := noticeFixture(t, store, pool)
	c := &clock{now: t0}
	s := newScheduler(store, c)
	var seq int64
	pass(t, s)
	notices(t, pool, ids, &seq)

	by := tracking.Actor{Subject: "s", UserID: "u", UnitID: unitSNV}
	for _, cmd := range []tracking.Command{
		{Action: tracking.ActionRequestExtension, Relation: tracking.Relation{Lead: true}, Reason: "Chờ ý kiến các sở", ProposedDue: day("2021-07-10")},
		{Action: tracking.ActionApproveExtension, Relation: tracking.Relation{Assigner: true}},
	} {
		cmd.By, cmd.Now, cmd.MaxExtensions, cmd.NewID = by, t0, 2, func() string { return uuid.Must(uuid.NewV7()).String() }
		if _, _, err := store.ChangeOccurrence(t.Context(), ids["d3"], func(o *tracking.Occurrence) (tracking.Change, error) { return o.Apply(cmd) }); err != nil {
			t.Fatalf("%s: %v", cmd.Action, err)
		}
	}
	pass(t, s) // 10/07 is 15.6 days away: nothing yet
	c.Set(time.Date(2021, 7, 5, 2, 0, 0, 0, time.UTC))
	pass(t, s)
	c.Set(time.Date(2021, 7, 8, 2, 0, 0, 0, time.UTC))
	pass(t, s)
	c.Set(time.Date(2021, 7, 11, 2, 0, 0, 0, time.UTC))
	pass(t, s)
	var d3 []string
	for _, n := range notices(t, pool, ids, &seq) {
		if strings.HasPrefix(n, "d3 ") {
			d3 = append(d3, n)
		}
	}
	want := []string{"d3 due_soon 3d", "d3 due_soon 7d", "d3 overdue"}
	if diff := cmp.Diff(want, d3); diff != "" {
		t.Errorf("notices of the extended occurrence (-want +got):\n%s", diff)
	}
}

// TestSchedulerReplicas: two schedulers on separate pools of one database, passing at the
// same time in small batches, make every notice exactly once between them.
func TestSchedulerReplicas(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	// 150 open occurrences, five a day, due from 20 days ago to 9 days ahead: 100 overdue,
	// 35 due soon (today to 6 days ahead), 15 not yet.
	var tasks []tracking.Task
	for i := range 150 {
		tasks = append(tasks, dated(fmt.Sprintf("T%03d", i), vntime.DateOf(t0.AddDate(0, 0, -20+i/5)).ISO()))
	}
	d := newDocument(t, "99/KH-UBND", "Kế hoạch", "2021-01-05", tasks...)
	if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
		t.Fatal(err)
	}
	cfg := pool.Config()
	pool2, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()

	c := &clock{now: t0}
	replicas := []*app.Scheduler{
		newScheduler(store, c).WithBatch(7),
		newScheduler(postgres.New(pool2), c).WithBatch(7),
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total app.NoticeCounts
	)
	for _, s := range replicas {
		for range 3 {
			wg.Go(func() {
				n, err := s.Pass(ctx)
				if err != nil {
					t.Error(err)
				}
				t.Logf("pass: %+v", n)
				mu.Lock()
				defer mu.Unlock()
				total.DueSoon += n.DueSoon
				total.Overdue += n.Overdue
			})
		}
	}
	wg.Wait()
	// A pass may have skipped rows the other held and stopped: one more pass catches up.
	last := pass(t, replicas[0])
	total.DueSoon += last.DueSoon
	total.Overdue += last.Overdue

	var seq int64
	got := notices(t, pool, nil, &seq)
	if n := len(got); n != 135 {
		t.Errorf("%d notice events, want 135", n)
	}
	if dup := len(got) - len(slices.Compact(slices.Clone(got))); dup != 0 {
		t.Errorf("%d notices made twice", dup)
	}
	var due, over int
	for _, n := range got {
		switch {
		case strings.HasSuffix(n, " overdue"):
			over++
		default:
			due++
		}
	}
	if over != 100 || due != 35 || total.Overdue+total.DueSoon != 135 {
		t.Errorf("%d overdue and %d due soon (passes counted %+v), want 100 and 35", over, due, total)
	}
}

// TestSchedulerToJetStream: the notices reach the stream through the outbox relay once each,
// with the outbox event id as Nats-Msg-Id, however many passes and schedulers ran.
func TestSchedulerToJetStream(t *testing.T) {
	store, pool := newStore(t)
	ids := noticeFixture(t, store, pool)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	nc, js, err := natsx.Connect(ctx, natstest.Start(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	stream, err := natsx.EnsureStream(ctx, js, "tasktracking")
	if err != nil {
		t.Fatal(err)
	}
	// Events written before the scheduler ran (task assignments) are published too; only
	// the notices are counted below.
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		if err := (&outbox.Relay{Pool: pool, JS: js, Log: quiet, Poll: 50 * time.Millisecond}).Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	defer func() { cancel(); <-relayDone }()

	c := &clock{now: t0}
	pass(t, newScheduler(store, c))
	pass(t, newScheduler(store, c))
	pass(t, newScheduler(postgres.New(pool), c))

	deadline := time.Now().Add(15 * time.Second)
	for count(t, pool, `SELECT count(*) FROM outbox_events WHERE published_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the relay did not publish every event in 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for l, id := range ids {
		byID[id] = l
	}
	var got []string
	msgIDs := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != postgres.SubjectOccurrenceDueSoon && m.Subject != postgres.SubjectOccurrenceOverdue &&
			m.Subject != postgres.SubjectReportDue {
			continue
		}
		id := m.Header.Get(jetstream.MsgIDHeader)
		if id == "" || msgIDs[id] {
			t.Errorf("message %d on %s has Nats-Msg-Id %q (empty or repeated)", seq, m.Subject, id)
		}
		msgIDs[id] = true
		if n := count(t, pool, `SELECT count(*) FROM outbox_events WHERE id = $1 AND subject = $2`, id, m.Subject); n != 1 {
			t.Errorf("Nats-Msg-Id %s is not the outbox event id", id)
		}
		got = append(got, describe(t, m.Subject, m.Data, byID))
	}
	slices.Sort(got)
	if diff := cmp.Diff(wantAtT0, got); diff != "" {
		t.Errorf("notices on the stream (-want +got):\n%s", diff)
	}
}
