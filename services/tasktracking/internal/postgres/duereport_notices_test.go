package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// dueNotices returns the obligation notices in the outbox as "unit period kind lead".
func dueNotices(t *testing.T, pool *pgxpool.Pool, names map[string]string) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT subject, payload FROM outbox_events
		WHERE subject IN ($1, $2) ORDER BY seq`, postgres.SubjectObligationReportDue, postgres.SubjectObligationOverdue)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			subject string
			payload []byte
			ev      tasktrackingv1.ObligationReportDue
		)
		if err := rows.Scan(&subject, &payload); err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		r := ev.GetDueReport()
		if ev.GetDocumentNumber() == "" || r.GetDueTime() == nil || ev.GetNoticeTime() == nil {
			t.Errorf("notice lacks what a notification needs: %v", &ev)
		}
		kind := "report_due"
		if subject == postgres.SubjectObligationOverdue {
			kind = "overdue"
		}
		out = append(out, names[r.GetUnitId()]+" Q"+string(rune('0'+r.GetPeriod().GetNumber()))+" "+kind+" "+
			(time.Duration(ev.GetLeadSeconds())*time.Second).String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDueReportNotices: the periodic reports of a quarterly obligation get their report-due
// and overdue notices exactly once, across passes, restarts and two replicas at once; a
// submitted report gets none.
func TestDueReportNotices(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	d := newDocument(t, "7/CT-UBND", "Chỉ thị về CCHC", "2021-01-05", task("1", []string{unitSNV}))
	if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
		t.Fatal(err)
	}
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }
	_, dues, err := store.CreateReportingObligation(ctx, d.ID, func(doc tracking.Document) (tracking.ReportingObligation, []tracking.DueReport, error) {
		return tracking.NewReportingObligation(doc, tracking.ReportingObligation{
			Cycle: tracking.CycleQuarterly, RecipientUnitID: unitSNV, ReporterUnitIDs: []string{unitSTP, unitSTC},
			DueOffsetDays: 15, Text: "Định kỳ hằng quý báo cáo kết quả thực hiện Chỉ thị, gửi về Sở Nội vụ",
		}, "user-1", time.Now().Truncate(time.Microsecond), newID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dues) != 8 {
		t.Fatalf("%d due reports, want 4 quarters × 2 units", len(dues))
	}
	names := map[string]string{unitSTP: "STP", unitSTC: "STC"}
	// STC submits its second-quarter report early: nothing to remind it of.
	for _, r := range dues {
		if r.UnitID == unitSTC && r.Period.Number == 2 {
			if _, err := store.ChangeDueReport(ctx, r.ID, func(r *tracking.DueReport) error {
				return r.Submit("Đã thực hiện", tracking.Actor{Subject: "s", UnitID: unitSTC}, time.Date(2021, 7, 1, 2, 0, 0, 0, time.UTC))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// 10/07/2021 09:00 in Vietnam: Q1 (due 15/04) is overdue for both units; Q2 (due end of
	// 15/07) is within 7 days for STP.
	c := &clock{now: time.Date(2021, 7, 10, 2, 0, 0, 0, time.UTC)}
	sched := func(s *postgres.Store) *app.Scheduler {
		return app.NewScheduler(noNotices{}, quiet, c.Now, time.Minute, nil).WithDueReports(s).WithBatch(1)
	}
	first := pass(t, sched(store))
	if first.DueReports != 1 || first.DueReportsOverdue != 2 {
		t.Errorf("first pass = %+v, want 1 report due and 2 overdue", first)
	}
	want := []string{"STC Q1 overdue 0s", "STP Q1 overdue 0s", "STP Q2 report_due 168h0m0s"}
	if got := dueNotices(t, pool, names); !sameSet(got, want) {
		t.Errorf("notices = %v, want %v", got, want)
	}
	// Again, and after a restart: nothing new.
	if again := pass(t, sched(store)); again.DueReports+again.DueReportsOverdue != 0 {
		t.Errorf("second pass = %+v, want nothing", again)
	}

	// 13/07: the 3-day lead is reached; two replicas race, one notice is made.
	c.Set(time.Date(2021, 7, 13, 2, 0, 0, 0, time.UTC))
	pool2, err := pgxpool.NewWithConfig(ctx, pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	var wg sync.WaitGroup
	for _, s := range []*postgres.Store{store, postgres.New(pool2)} {
		for range 2 {
			wg.Go(func() {
				if _, err := sched(s).Pass(ctx); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	pass(t, sched(store)) // catches up rows a racing pass skipped
	want = append(want, "STP Q2 report_due 72h0m0s")
	if got := dueNotices(t, pool, names); !sameSet(got, want) {
		t.Errorf("notices after the race = %v, want %v", got, want)
	}

	// A superseded document expects no more reports: Q3 and Q4 pass unannounced.
	if _, err := pool.Exec(ctx, `UPDATE documents SET status = 'superseded' WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2022, 3, 1, 2, 0, 0, 0, time.UTC))
	if n := pass(t, sched(store)); n.DueReports+n.DueReportsOverdue != 0 {
		t.Errorf("pass after the document was superseded = %+v, want nothing", n)
	}
}

// noNotices is a NoticeStore with no occurrence notices, so a pass makes only due-report ones.
type noNotices struct{}

func (noNotices) EmitDeadlineNotices(_ context.Context, _ app.NoticePass) (app.NoticeCounts, error) {
	return app.NoticeCounts{}, nil
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		if seen[w] == 0 {
			return false
		}
		seen[w]--
	}
	return true
}
