package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// benchOccurrences is the size of the benchmark's table: TT_BENCH_OCCURRENCES, 100,000 by
// default so `make bench` stays short; the figure is 1,000,000.
var benchOccurrences = func() int {
	if n, err := strconv.Atoi(os.Getenv("TT_BENCH_OCCURRENCES")); err == nil && n >= 1000 {
		return n
	}
	return 100_000
}()

// benchNow is the benchmark's clock.
var benchNow = time.Date(2024, 6, 15, 2, 0, 0, 0, time.UTC)

// benchDB loads benchOccurrences one-off occurrences (one task each, 1,000 lead units) with
// COPY: deadlines spread evenly over a year either side of benchNow, 20 % done, 5 % cancelled,
// the rest open. Then a pass one day before benchNow notices the backlog, as a scheduler
// that has been running would have.
func benchDB(b *testing.B) *pgxpool.Pool {
	b.Helper()
	pool := pgtest.NewPool(b, Migrations())
	ctx := b.Context()
	rng := rand.New(rand.NewPCG(1, 2))
	docID := uuid.NewString()
	created := benchNow.AddDate(-1, 0, 0)
	if _, err := pool.Exec(ctx, `INSERT INTO documents (id, number, kind, issuer_unit_id, signed_on, title,
		period_start_year, period_end_year, status, search_text, created_by, create_time, update_time)
		VALUES ($1, '1/KH-UBND', 'plan', $2, '2023-06-01', 'Kế hoạch', 2023, 2025, 'issued', '', 'bench', $3, $3)`,
		docID, uuid.NewString(), created); err != nil {
		b.Fatal(err)
	}
	units := make([]string, 1000)
	for i := range units {
		units[i] = uuid.NewString()
	}
	taskIDs := make([]string, benchOccurrences)
	for i := range taskIDs {
		taskIDs[i] = uuid.NewString()
	}
	copyRows(b, pool, "tasks", []string{"id", "document_id", "position", "code", "task_group", "content", "deadline_kind", "create_time"},
		func(i int) []any {
			return []any{taskIDs[i], docID, i, fmt.Sprintf("T%d", i), "procedures", "Nội dung nhiệm vụ", "date", created}
		})
	copyRows(b, pool, "task_assignments", []string{"task_id", "unit_id", "role", "position"},
		func(i int) []any { return []any{taskIDs[i], units[i%len(units)], "lead", 0} })
	span := int64(2 * 365 * 24 * time.Hour)
	copyRows(b, pool, "occurrences", []string{"id", "task_id", "document_id", "period_kind", "due_time", "original_due_time",
		"state", "report_time", "create_time", "update_time"},
		func(i int) []any {
			due := benchNow.Add(-365 * 24 * time.Hour).Add(time.Duration(rng.Int64N(span))).Truncate(time.Microsecond)
			state, report := "in_progress", any(nil)
			switch r := rng.IntN(100); {
			case r < 20:
				state, report = "done", due.Add(-time.Hour)
			case r < 25:
				state = "cancelled"
			case r < 50:
				state = "not_started"
			}
			return []any{uuid.NewString(), taskIDs[i], docID, "whole", due, due, state, report, created, created}
		})
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	store := New(pool)
	if _, err := store.EmitDeadlineNotices(ctx, app.NoticePass{Now: benchNow.Add(-24 * time.Hour), Leads: tracking.DefaultLeadTimes}); err != nil {
		b.Fatal(err)
	}
	// VACUUM as autovacuum would have by now on a table this size: it marks the pages
	// all-visible, which index-only scans rely on, for the store and the raw queries alike.
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return pool
}

func copyRows(b *testing.B, pool *pgxpool.Pool, table string, cols []string, row func(i int) []any) {
	b.Helper()
	n, err := pool.CopyFrom(b.Context(), pgx.Identifier{table}, cols, pgx.CopyFromSlice(benchOccurrences, func(i int) ([]any, error) {
		return row(i), nil
	}))
	if err != nil || n != int64(benchOccurrences) {
		b.Fatalf("copy %s: %d rows, %v", table, n, err)
	}
}

// resetWindow forgets the notices made at benchNow and their events, so the next pass makes
// them again: those reached in the last day (deadlines that passed, lead times crossed).
func resetWindow(b *testing.B, pool *pgxpool.Pool) {
	b.Helper()
	ctx := context.WithoutCancel(b.Context())
	var ids []string
	rows, err := pool.Query(ctx, `DELETE FROM deadline_notices WHERE emitted_at = $1 RETURNING occurrence_id::text`, benchNow)
	if err == nil {
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		b.Fatal(err)
	}
	// Their summaries say what is left, as the notices' transaction wrote them.
	if _, err := pool.Exec(ctx, `UPDATE occurrences o SET noticed_due_time = n.due_time, noticed_lead_seconds = n.lead
		FROM (SELECT o.id, min(dn.due_time) AS due_time, min(dn.lead_seconds) AS lead FROM unnest($1::uuid[]) o(id)
			LEFT JOIN occurrences x ON x.id = o.id
			LEFT JOIN deadline_notices dn ON dn.occurrence_id = o.id AND dn.due_time = x.due_time GROUP BY o.id) n
		WHERE o.id = n.id`, ids); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM outbox_events`); err != nil {
		b.Fatal(err)
	}
}

// oldNoticeCandidates is the candidate query before migration 010, which proved "not yet
// noticed" with deadline_notices for every open occurrence of the window: kept to report,
// in the same run, what the bare query of the old shape costs on the same data.
const oldNoticeCandidates = `SELECT o.id, o.due_time FROM occurrences o
	WHERE o.state IN ('not_started', 'received', 'in_progress', 'completion_reported')
	  AND o.due_time <= $1::timestamptz + $3::bigint * interval '1 second'
	  AND (
		(o.due_time < $1
		 AND (o.state <> 'completion_reported' OR o.report_time > o.due_time)
		 AND NOT EXISTS (SELECT 1 FROM deadline_notices n
			WHERE n.occurrence_id = o.id AND n.kind = 'overdue' AND n.lead_seconds = 0 AND n.due_time = o.due_time))
		OR
		(o.due_time >= $1 AND o.state <> 'completion_reported'
		 AND EXISTS (SELECT 1 FROM unnest($2::bigint[]) l(s)
			WHERE o.due_time <= $1 + l.s * interval '1 second'
			  AND NOT EXISTS (SELECT 1 FROM deadline_notices n
				WHERE n.occurrence_id = o.id AND n.kind IN ('due_soon', 'report_due')
				  AND n.lead_seconds = l.s AND n.due_time = o.due_time)))
	  )
	  AND o.due_time >= $5 AND (o.due_time, o.id) > ($5, $6::uuid)
	ORDER BY o.due_time, o.id
	LIMIT $4`

// BenchmarkSchedulerPass measures one pass of the deadline scheduler over
// TT_BENCH_OCCURRENCES occurrences (target: ≤ 100 ms at 1,000,000): "window" makes the
// notices one day of deadlines brings (deadlines that passed, lead times crossed), "steady"
// finds nothing new (the every-minute case). Each iteration also times, untimed by the
// benchmark, the raw figure it is read against: the pass's candidate SELECT run bare (no
// row locks, no inserts, no events, no scan into the domain) on the same data, and reports
// both means in ms and their ratio; and old_raw_ms, the bare candidate query of the shape
// before migration 010 (oldNoticeCandidates), for comparison.
func BenchmarkSchedulerPass(b *testing.B) {
	pool := benchDB(b)
	sched := app.NewScheduler(New(pool), slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() time.Time { return benchNow }, time.Minute, nil)
	bare := strings.TrimSuffix(noticeCandidates, "\n\tFOR UPDATE OF o SKIP LOCKED")
	if bare == noticeCandidates {
		b.Fatal("candidate query does not end with its locking clause")
	}
	leads := []int64{int64(7 * 24 * time.Hour / time.Second), int64(3 * 24 * time.Hour / time.Second)}
	raw := func(b *testing.B) (int, time.Duration) { return bareQuery(b, pool, bare, 6, leads) }
	oldRaw := func(b *testing.B) (int, time.Duration) { return bareQuery(b, pool, oldNoticeCandidates, 1, leads) }
	// The old shape reads the whole backlog (seconds at a million): timed once per
	// sub-benchmark.
	report := func(b *testing.B, pass, base, old time.Duration, n int) {
		p := float64(pass) / float64(n) / float64(time.Millisecond)
		r := float64(base) / float64(n) / float64(time.Millisecond)
		b.ReportMetric(p, "pass_ms")
		b.ReportMetric(r, "raw_ms")
		b.ReportMetric(p/r, "ratio")
		b.ReportMetric(float64(old)/float64(time.Millisecond), "old_raw_ms")
		b.ReportMetric(float64(benchOccurrences), "occurrences")
	}
	b.Run("window", func(b *testing.B) {
		var (
			made, cands, n  int
			pass, base, old time.Duration
		)
		for b.Loop() {
			b.StopTimer()
			resetWindow(b, pool)
			var d time.Duration
			cands, d = raw(b)
			base += d
			if n == 0 {
				if oc, d := oldRaw(b); oc != cands {
					b.Fatalf("old candidate query finds %d, the new one %d", oc, cands)
				} else {
					old = d
				}
			}
			b.StartTimer()
			t0 := time.Now()
			c, err := sched.Pass(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			pass += time.Since(t0)
			made = c.DueSoon + c.Overdue + c.Superseded
			n++
		}
		if made == 0 || cands == 0 {
			b.Fatalf("the window made %d notices from %d candidates; want some", made, cands)
		}
		b.ReportMetric(float64(made), "notices/pass")
		report(b, pass, base, old, n)
	})
	b.Run("steady", func(b *testing.B) {
		var (
			n               int
			pass, base, old time.Duration
		)
		for b.Loop() {
			t0 := time.Now()
			if _, err := sched.Pass(b.Context()); err != nil {
				b.Fatal(err)
			}
			pass += time.Since(t0)
			b.StopTimer()
			if cands, d := raw(b); cands != 0 {
				b.Fatalf("steady state: %d candidates, want none", cands)
			} else {
				base += d
			}
			if n == 0 {
				if cands, d := oldRaw(b); cands != 0 {
					b.Fatalf("steady state: the old query finds %d candidates, want none", cands)
				} else {
					old = d
				}
			}
			b.StartTimer()
			n++
		}
		report(b, pass, base, old, n)
	})
}

// bareQuery reads every candidate of the window at benchNow with query, batch after batch
// from the previous batch's last row as the pass does, without locks, and returns how many
// rows it read and how long that took. The query's first column is the id, column dueCol
// the deadline.
func bareQuery(b *testing.B, pool *pgxpool.Pool, query string, dueCol int, leads []int64) (int, time.Duration) {
	b.Helper()
	after := startCursor()
	total := 0
	t0 := time.Now()
	for {
		rows, err := pool.Query(b.Context(), query, benchNow, leads, leads[0], DefaultNoticeBatch, after.Due, after.ID)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				b.Fatal(err)
			}
			after.advance(vals[dueCol].(time.Time), uuid.UUID(vals[0].([16]byte)).String())
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		total += n
		if n < DefaultNoticeBatch {
			return total, time.Since(t0)
		}
	}
}
