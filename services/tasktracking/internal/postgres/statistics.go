package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
)

var _ app.StatisticsStore = (*Store)(nil)

// outcomeSQL derives tracking.Occurrence.Outcome in SQL (occurrences aliased o, the instant
// judged at as the placeholder $1), so statistics over a million occurrences are one scan
// rather than rows shipped to Go. It must say what Outcome says: done late when completion
// was last reported after the deadline in force; open overdue when open past the deadline, or
// reported complete after it and waiting for confirmation; no deadline is never missed.
const outcomeSQL = `CASE
	WHEN o.state = 'done' THEN
		CASE WHEN o.due_time IS NOT NULL AND o.report_time > o.due_time THEN 'done_late' ELSE 'done_on_time' END
	WHEN o.state IN ('cancelled', 'recalled') THEN 'closed'
	WHEN o.due_time IS NOT NULL AND (
		(o.state IN ('not_started', 'received', 'in_progress') AND $1::timestamptz > o.due_time)
		OR (o.state = 'completion_reported' AND o.report_time > o.due_time)) THEN 'open_overdue'
	ELSE 'open_within_deadline' END`

// countColumns sums the outcomes of the rows of a group.
const countColumns = `count(*) FILTER (WHERE outcome = 'done_on_time'),
	count(*) FILTER (WHERE outcome = 'done_late'),
	count(*) FILTER (WHERE outcome = 'open_within_deadline'),
	count(*) FILTER (WHERE outcome = 'open_overdue'),
	count(*) FILTER (WHERE outcome = 'closed')`

// localYearSQL and localQuarterSQL read the Vietnamese local (UTC+7) year and quarter of the
// deadline in force; 0 without one.
const (
	localYearSQL    = `COALESCE(extract(year FROM (o.due_time AT TIME ZONE 'UTC') + interval '7 hours')::int, 0)`
	localQuarterSQL = `COALESCE(extract(quarter FROM (o.due_time AT TIME ZONE 'UTC') + interval '7 hours')::int, 0)`
)

// CountOutcomes counts the occurrences q selects in the Government Office's split, per group
// and in total.
func (s *Store) CountOutcomes(ctx context.Context, q app.StatisticsQuery) ([]app.StatisticsGroup, app.OutcomeCounts, error) {
	var f query
	f.args = []any{q.AsOf} // $1 of outcomeSQL
	if q.DocumentID != "" {
		f.where("o.document_id = $#", q.DocumentID)
	}
	if q.UnitID != "" {
		f.where("EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = o.task_id AND a.unit_id = $# AND a.role = 'lead')", q.UnitID)
	}
	if q.Year != 0 {
		// Bounds on the instant rather than a computed year, so the deadline index serves.
		f.where("o.due_time >= $# AND o.due_time < $#", vntime.Date{Year: q.Year, Month: 1, Day: 1}.Start(),
			vntime.Date{Year: q.Year + 1, Month: 1, Day: 1}.Start())
	}
	base := `SELECT o.*, ` + outcomeSQL + ` AS outcome FROM occurrences o` + f.clause()

	var total app.OutcomeCounts
	if err := s.pool.QueryRow(ctx, `SELECT `+countColumns+` FROM (`+base+`) o`, f.args...).Scan(
		&total.DoneOnTime, &total.DoneLate, &total.OpenWithinDeadline, &total.OpenOverdue, &total.Closed); err != nil {
		return nil, app.OutcomeCounts{}, fmt.Errorf("count outcomes: %w", err)
	}

	var sql string
	switch q.GroupBy {
	case app.GroupByDocument:
		sql = `SELECT d.id::text, d.number, d.title, ` + countColumns + ` FROM (` + base + `) o
			JOIN documents d ON d.id = o.document_id GROUP BY d.id`
	case app.GroupByPeriod:
		quarter := "0"
		if q.Quarterly {
			quarter = localQuarterSQL
		}
		sql = `SELECT ` + localYearSQL + ` AS y, ` + quarter + ` AS q, ` + countColumns + ` FROM (` + base + `) o GROUP BY y, q`
	default:
		unit := ""
		if q.UnitID != "" {
			f.args = append(f.args, q.UnitID)
			unit = fmt.Sprintf(" AND a.unit_id = $%d", len(f.args))
		}
		sql = `SELECT a.unit_id::text, ` + countColumns + ` FROM (` + base + `) o
			JOIN task_assignments a ON a.task_id = o.task_id AND a.role = 'lead'` + unit + ` GROUP BY a.unit_id`
	}
	rows, err := s.pool.Query(ctx, sql, f.args...)
	if err != nil {
		return nil, app.OutcomeCounts{}, fmt.Errorf("count outcomes by %s: %w", q.GroupBy, err)
	}
	groups, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.StatisticsGroup, error) {
		var g app.StatisticsGroup
		c := &g.Counts
		counts := []any{&c.DoneOnTime, &c.DoneLate, &c.OpenWithinDeadline, &c.OpenOverdue, &c.Closed}
		var err error
		switch q.GroupBy {
		case app.GroupByDocument:
			err = row.Scan(append([]any{&g.DocumentID, &g.DocumentNumber, &g.DocumentTitle}, counts...)...)
		case app.GroupByPeriod:
			err = row.Scan(append([]any{&g.Year, &g.Quarter}, counts...)...)
		default:
			err = row.Scan(append([]any{&g.UnitID}, counts...)...)
		}
		return g, err
	})
	if err != nil {
		return nil, app.OutcomeCounts{}, fmt.Errorf("count outcomes by %s: %w", q.GroupBy, err)
	}
	return groups, total, nil
}
