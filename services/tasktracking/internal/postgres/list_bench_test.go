package postgres

import (
	"slices"
	"testing"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// openStates are the states a unit's open work is in.
var openStates = []tracking.State{tracking.StateNotStarted, tracking.StateReceived, tracking.StateInProgress, tracking.StateCompletionReported}

// BenchmarkListUnitOpenOccurrences lists one unit's open occurrences due before a date, as a
// unit's staff sees them (viewer restricted to the unit, first page of 50), over
// TT_BENCH_OCCURRENCES occurrences across 1,000 units, cycling through the units. Each
// iteration also times the raw SQL of the same list (no viewer rule, no page token, no
// joins for the page's columns, no scan into the domain) on the same data, so the figures
// are read as a ratio: p99 of the store (target ≤ 10 ms), p99 of the raw query, and their
// ratio. The raw query reads unit_occurrences as the store does; old_raw_p99_ms is the raw
// query of the shape before migration 011 (through the unit's task assignments).
func BenchmarkListUnitOpenOccurrences(b *testing.B) {
	pool := benchDB(b)
	ctx := b.Context()
	store := New(pool)
	rows, err := pool.Query(ctx, `SELECT DISTINCT unit_id::text FROM task_assignments ORDER BY 1`)
	if err != nil {
		b.Fatal(err)
	}
	var units []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			b.Fatal(err)
		}
		units = append(units, u)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	dueBefore := benchNow.AddDate(0, 3, 0)
	const raw = `SELECT u.occurrence_id, u.due_key, u.state FROM unit_occurrences u
		WHERE u.unit_id = $1 AND u.role = 'lead' AND u.state = ANY($2) AND u.due_key < $3
		ORDER BY u.due_key, u.occurrence_id LIMIT 51`
	const oldRaw = `SELECT o.id, o.task_id, o.due_time, o.state FROM occurrences o
		WHERE EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = o.task_id AND a.unit_id = $1 AND a.role = 'lead')
			AND o.state = ANY($2) AND o.due_time < $3
		ORDER BY COALESCE(o.due_time, 'infinity'::timestamptz), o.id LIMIT 51`
	states := make([]string, len(openStates))
	for i, s := range openStates {
		states[i] = string(s)
	}

	timeRaw := func(sql, unit string) time.Duration {
		t0 := time.Now()
		r, err := pool.Query(ctx, sql, unit, states, dueBefore)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}

	var storeTimes, rawTimes, oldTimes []time.Duration
	i := 0
	for b.Loop() {
		unit := units[i%len(units)]
		i++
		t0 := time.Now()
		p, err := store.ListOccurrences(ctx, app.OccurrenceFilter{
			Viewer: app.Viewer{UnitID: unit}, UnitID: unit, Role: tracking.RoleLead,
			States: openStates, DueBefore: dueBefore, PageSize: 50,
		})
		if err != nil {
			b.Fatal(err)
		}
		storeTimes = append(storeTimes, time.Since(t0))
		if len(p.Items) == 0 {
			b.Fatalf("unit %s has no open occurrence due before %v", unit, dueBefore)
		}

		b.StopTimer()
		rawTimes = append(rawTimes, timeRaw(raw, unit))
		oldTimes = append(oldTimes, timeRaw(oldRaw, unit))
		b.StartTimer()
	}
	p99 := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[(len(ds)*99)/100]) / float64(time.Millisecond)
	}
	s, r := p99(storeTimes), p99(rawTimes)
	b.ReportMetric(s, "p99_ms")
	b.ReportMetric(r, "raw_p99_ms")
	b.ReportMetric(s/r, "ratio")
	b.ReportMetric(p99(oldTimes), "old_raw_p99_ms")
	b.ReportMetric(float64(benchOccurrences), "occurrences")
}
