package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOccurrenceRoundTrip: occurrences are stored with their document, read back equal,
// and a change writes the occurrence, one history row and one event — or nothing at all.
func TestOccurrenceRoundTrip(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	d := newDocument(t, "56/KH-UBND", "Kế hoạch", "2020-05-20", task("III.3", []string{unitSNV}, unitSTP))
	occs := occurrences(d)
	if err := store.CreateDocument(ctx, d, occs); err != nil {
		t.Fatal(err)
	}
	got, err := store.Occurrence(ctx, occs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := occs[0]
	want.Scope = tracking.TaskScope{TaskID: d.Tasks[0].ID, TaskCode: "III.3", DocumentID: d.ID, IssuerUnitID: unitUBND,
		LeadUnitIDs: []string{unitSNV}, CooperatingUnitIDs: []string{unitSTP}}
	if diff := cmp.Diff(want, got, cmpDocs); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := store.Occurrence(ctx, "01900000-0000-7000-8000-000000000000"); !errors.Is(err, tracking.ErrOccurrenceNotFound) {
		t.Errorf("missing occurrence = %v", err)
	}

	outbox := `SELECT count(*) FROM outbox_events WHERE subject = $1`
	// A refused change writes nothing.
	_, _, err = store.ChangeOccurrence(ctx, got.ID, func(o *tracking.Occurrence) (tracking.Change, error) {
		return o.Apply(tracking.Command{Action: tracking.ActionStart, Relation: tracking.Relation{Lead: true}, Now: time.Now()})
	})
	if !errors.Is(err, tracking.ErrFailedPrecondition) {
		t.Fatalf("start before receipt = %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM occurrence_history`); n != 0 {
		t.Errorf("%d history rows after a refusal", n)
	}

	now := time.Now().Truncate(time.Microsecond)
	by := tracking.Actor{Subject: "s", UserID: "u", UnitID: unitSNV, Name: "Nguyễn Văn A"}
	apply := func(cmd tracking.Command) tracking.Occurrence {
		t.Helper()
		cmd.By, cmd.Now, cmd.MaxExtensions = by, now, 2
		cmd.NewID = func() string { return "01900000-0000-7000-8000-0000000000e1" }
		o, _, err := store.ChangeOccurrence(ctx, got.ID, func(o *tracking.Occurrence) (tracking.Change, error) { return o.Apply(cmd) })
		if err != nil {
			t.Fatalf("%s: %v", cmd.Action, err)
		}
		return o
	}
	apply(tracking.Command{Action: tracking.ActionReceive, Relation: tracking.Relation{Lead: true}})
	o := apply(tracking.Command{Action: tracking.ActionRequestExtension, Relation: tracking.Relation{Lead: true},
		Reason: "Chờ hướng dẫn", ProposedDue: vntime.Date{Year: 2019, Month: 3, Day: 31}})
	reread, err := store.Occurrence(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, reread, cmpDocs); diff != "" || reread.Pending == nil {
		t.Errorf("pending request round trip (-stored +read):\n%s", diff)
	}
	o = apply(tracking.Command{Action: tracking.ActionApproveExtension, Relation: tracking.Relation{Assigner: true}})
	if reread, _ := store.Occurrence(ctx, got.ID); !reread.Due.Equal(vntime.Date{Year: 2019, Month: 3, Day: 31}.EndOfDay().Truncate(time.Microsecond)) ||
		!reread.OriginalDue.Equal(occs[0].OriginalDue) || reread.ExtensionsApproved != 1 || reread.Pending != nil {
		t.Errorf("after approval %+v", reread)
	}

	h, err := store.History(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range h {
		lines = append(lines, fmt.Sprintf("%s %s→%s %s %s", e.Action, e.From, e.To, e.By.Name, e.Reason))
	}
	wantLines := []string{
		"receive not_started→received Nguyễn Văn A ",
		"request_extension received→received Nguyễn Văn A Chờ hướng dẫn",
		"approve_extension received→received Nguyễn Văn A ",
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	for subject, want := range map[string]int{
		"tasktracking.v1.occurrence.status_changed": 1,
		"tasktracking.v1.extension.requested":       1,
		"tasktracking.v1.extension.decided":         1,
	} {
		if n := count(t, pool, outbox, subject); n != want {
			t.Errorf("%d outbox rows on %s, want %d", n, subject, want)
		}
	}
}

// TestOverdueFilterMatchesDomain: the store's overdue filter selects exactly the
// occurrences tracking.Occurrence.Overdue calls overdue, in every state.
func TestOverdueFilterMatchesDomain(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	var tasks []tracking.Task
	for i := range 2 * len(tracking.States) {
		tasks = append(tasks, task(fmt.Sprint("T", i), []string{unitSNV}))
	}
	d := newDocument(t, "1/KH", "Kế hoạch", "2018-01-10", tasks...)
	occs := occurrences(d)
	if err := store.CreateDocument(ctx, d, occs); err != nil {
		t.Fatal(err)
	}
	due := occs[0].Due
	now := due.Add(time.Hour)
	// Each state twice: reported before and after the deadline.
	for i, o := range occs {
		report := due.Add(-time.Minute)
		if i%2 == 1 {
			report = due.Add(time.Minute)
		}
		if _, err := pool.Exec(ctx, `UPDATE occurrences SET state = $2, report_time = $3 WHERE id = $1`,
			o.ID, tracking.States[i/2], report); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, o := range occs {
		full, err := store.Occurrence(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Overdue(now) {
			want = append(want, o.ID)
		}
	}
	p, err := store.ListOccurrences(ctx, app.OccurrenceFilter{Viewer: app.Viewer{All: true}, OverdueAt: now})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range p.Items {
		got = append(got, o.ID)
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" || len(want) != 7 {
		t.Errorf("overdue (-domain +store), %d expected 7:\n%s", len(want), diff)
	}
}
