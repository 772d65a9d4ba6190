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
	if _, err := pool.Exec(ctx, `DELETE FROM deadline_notices WHERE emitted_at = $1`, benchNow); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM outbox_events`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSchedulerPass measures one pass of the deadline scheduler over
// TT_BENCH_OCCURRENCES occurrences (target: ≤ 100 ms at 1,000,000): "window" makes the
// notices one day of deadlines brings (deadlines that passed, lead times crossed), "steady"
// finds nothing new (the every-minute case). Each iteration also times, untimed by the
// benchmark, the raw figure it is read against: the pass's candidate SELECT run bare (no
// row locks, no inserts, no events, no scan into the domain) on the same data, and reports
// both means in ms and their ratio.
func BenchmarkSchedulerPass(b *testing.B) {
	pool := benchDB(b)
	sched := app.NewScheduler(New(pool), slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() time.Time { return benchNow }, time.Minute, nil)
	bare := strings.TrimSuffix(noticeCandidates, "\n\tFOR UPDATE OF o SKIP LOCKED")
	if bare == noticeCandidates {
		b.Fatal("candidate query does not end with its locking clause")
	}
	leads := []int64{int64(7 * 24 * time.Hour / time.Second), int64(3 * 24 * time.Hour / time.Second)}
	start := startCursor()
	raw := func(b *testing.B) (int, time.Duration) {
		t0 := time.Now()
		rows, err := pool.Query(b.Context(), bare, benchNow, leads, leads[0], DefaultNoticeBatch, start.Due, start.ID)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return n, time.Since(t0)
	}
	report := func(b *testing.B, pass, base time.Duration, n int) {
		p := float64(pass) / float64(n) / float64(time.Millisecond)
		r := float64(base) / float64(n) / float64(time.Millisecond)
		b.ReportMetric(p, "pass_ms")
		b.ReportMetric(r, "raw_ms")
		b.ReportMetric(p/r, "ratio")
		b.ReportMetric(float64(benchOccurrences), "occurrences")
	}
	b.Run("window", func(b *testing.B) {
		var (
			made, cands, n int
			pass, base     time.Duration
		)
		for b.Loop() {
			b.StopTimer()
			resetWindow(b, pool)
			var d time.Duration
			cands, d = raw(b)
			base += d
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
		report(b, pass, base, n)
	})
	b.Run("steady", func(b *testing.B) {
		var (
			n          int
			pass, base time.Duration
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
			b.StartTimer()
			n++
		}
		report(b, pass, base, n)
	})
}
