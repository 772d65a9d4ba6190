package postgres

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// seedUnitLists loads tasks one-off tasks spread over units lead units with SQL alone, a
// quarter of them done: enough rows that the planner prefers indexes, as it does at the
// benchmark's million.
func seedUnitLists(t *testing.T, pool *pgxpool.Pool, tasks, units int) {
	t.Helper()
	for _, sql := range []string{
		`INSERT INTO documents (id, number, kind, issuer_unit_id, signed_on, title, period_start_year,
			period_end_year, status, search_text, created_by, create_time, update_time)
		VALUES ('00000000-0000-4000-8000-000000000001', '1/KH-UBND', 'plan', gen_random_uuid(), '2023-06-01',
			'Kế hoạch', 2023, 2025, 'issued', '', 'test', '2023-06-01', '2023-06-01')`,
		`INSERT INTO tasks (id, document_id, position, code, task_group, content, deadline_kind, create_time)
		SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001', g, 'T' || g, 'procedures',
			'Nội dung', 'date', '2023-06-01' FROM generate_series(1, $1) g`,
		`INSERT INTO task_assignments (task_id, unit_id, role, position)
		SELECT t.id, ('00000000-0000-4000-8000-' || lpad((t.position % $1)::text, 12, '0'))::uuid, 'lead', 0 FROM tasks t`,
		`INSERT INTO occurrences (id, task_id, document_id, period_kind, due_time, original_due_time, state,
			create_time, update_time)
		SELECT gen_random_uuid(), t.id, t.document_id, 'whole', timestamptz '2024-01-01' + t.position * interval '17 minutes',
			timestamptz '2024-01-01' + t.position * interval '17 minutes',
			CASE WHEN t.position % 4 = 0 THEN 'done' ELSE 'in_progress' END, '2023-06-01', '2023-06-01'
		FROM tasks t`,
		`VACUUM ANALYZE`,
	} {
		var args []any
		switch {
		case strings.Contains(sql, "generate_series"):
			args = []any{tasks}
		case strings.Contains(sql, "lpad"):
			args = []any{units}
		}
		if _, err := pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListUnitOpenReadsOnlyThePage: a unit's list of open occurrences chooses its page
// from indexes and reads only the page's rows from the occurrences table, however many
// tasks the unit has (the benchmark's p99 at a million rows depends on it); the page is
// the one plain SQL gives, and a viewer outside the unit or with no uuid unit sees none.
func TestListUnitOpenReadsOnlyThePage(t *testing.T) {
	pool := pgtest.NewPool(t, Migrations())
	seedUnitLists(t, pool, 40_000, 500)
	ctx := t.Context()
	unit := "00000000-0000-4000-8000-000000000007"
	f := app.OccurrenceFilter{
		Viewer: app.Viewer{UnitID: strings.ToUpper(unit)}, UnitID: unit, Role: tracking.RoleLead,
		States: openStates, DueBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), PageSize: 20,
	}

	sql, args, size, err := listOccurrencesSQL(f)
	if err != nil {
		t.Fatal(err)
	}
	var plan []struct {
		Plan planNode `json:"Plan"`
	}
	var out []byte
	if err := pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &plan); err != nil {
		t.Fatal(err)
	}
	// Rows the occurrences table gave up (kept or filtered out) in nodes that read it.
	if read := plan[0].Plan.heapRows("occurrences"); read > float64(size+1) {
		t.Errorf("the list read %v occurrence rows from the table for a page of %d; plan:\n%s", read, size, out)
	}
	// The walk of the unit's list stops at the page: the page's rows and the closed ones
	// between them (a quarter here), not the unit's 80 tasks.
	if read := plan[0].Plan.rowsRead("unit_occurrences"); read == 0 || read > float64(2*(size+1)) {
		t.Errorf("the list read %v rows of unit_occurrences for a page of %d; plan:\n%s", read, size, out)
	}

	store := New(pool)
	p, err := store.ListOccurrences(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT o.id::text FROM occurrences o JOIN task_assignments a ON a.task_id = o.task_id
		WHERE a.unit_id = $1 AND o.state <> 'done' AND o.due_time < $2 ORDER BY o.due_time, o.id LIMIT 20`, unit, f.DueBefore)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	var got []string
	for _, o := range p.Items {
		got = append(got, o.ID)
	}
	if len(want) != 20 || !slices.Equal(got, want) || p.NextPageToken == "" {
		t.Errorf("page = %v (next %q), want %v", got, p.NextPageToken, want)
	}

	for _, v := range []app.Viewer{{UnitID: "00000000-0000-4000-8000-000000000008"}, {UnitID: "SNV"}, {}} {
		f.Viewer = v
		if p, err := store.ListOccurrences(ctx, f); err != nil || len(p.Items) != 0 {
			t.Errorf("viewer %+v: %d occurrences, %v; want none", v, len(p.Items), err)
		}
	}
}

// planNode is a node of EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	NodeType      string     `json:"Node Type"`
	Relation      string     `json:"Relation Name"`
	ActualRows    float64    `json:"Actual Rows"`
	ActualLoops   float64    `json:"Actual Loops"`
	RemovedFilter float64    `json:"Rows Removed by Filter"`
	RemovedIndex  float64    `json:"Rows Removed by Index Recheck"`
	Plans         []planNode `json:"Plans"`
}

// rowsRead counts the rows of relation that nodes below n read, from the table or an index.
func (n planNode) rowsRead(relation string) float64 {
	var rows float64
	if n.Relation == relation {
		rows = (n.ActualRows + n.RemovedFilter + n.RemovedIndex) * n.ActualLoops
	}
	for _, c := range n.Plans {
		rows += c.rowsRead(relation)
	}
	return rows
}

// heapRows counts the rows of relation that nodes below n read whole from the table
// (kept or filtered out). Index-only scans read none: their heap fetches only check
// visibility, and depend on how far VACUUM got, not on the query.
func (n planNode) heapRows(relation string) float64 {
	var rows float64
	if n.Relation == relation && n.NodeType != "Index Only Scan" {
		rows = (n.ActualRows + n.RemovedFilter + n.RemovedIndex) * n.ActualLoops
	}
	for _, c := range n.Plans {
		rows += c.heapRows(relation)
	}
	return rows
}

// TestUnitOccurrencesFollow: unit_occurrences (migration 011) holds one row per occurrence
// and unit of its task, with the occurrence's deadline and state, whatever writes them:
// occurrences inserted after their assignments or before, a state or deadline changed, an
// assignment added, moved to the other role or removed.
func TestUnitOccurrencesFollow(t *testing.T) {
	pool := pgtest.NewPool(t, Migrations())
	seedUnitLists(t, pool, 300, 7)
	ctx := t.Context()
	for _, sql := range []string{
		`UPDATE occurrences SET state = 'cancelled' WHERE id IN (SELECT id FROM occurrences ORDER BY id LIMIT 20)`,
		`UPDATE occurrences SET due_time = NULL WHERE id IN (SELECT id FROM occurrences ORDER BY id DESC LIMIT 5)`,
		`UPDATE occurrences SET due_time = due_time + interval '30 days', extensions_approved = 1
			WHERE id IN (SELECT id FROM occurrences ORDER BY id DESC OFFSET 5 LIMIT 10)`,
		// A task whose occurrence exists before its assignments.
		`INSERT INTO tasks (id, document_id, position, code, task_group, content, deadline_kind, create_time)
			VALUES ('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000001', 1000, 'X', 'procedures', 'X', 'date', '2023-06-01')`,
		`INSERT INTO occurrences (id, task_id, document_id, period_kind, due_time, original_due_time, state, create_time, update_time)
			VALUES (gen_random_uuid(), '00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000001', 'whole',
				'2024-03-01', '2024-03-01', 'not_started', '2023-06-01', '2023-06-01')`,
		`INSERT INTO task_assignments (task_id, unit_id, role, position) VALUES
			('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000001', 'lead', 0),
			('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000002', 'cooperating', 0),
			('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000003', 'cooperating', 1)`,
		`UPDATE task_assignments SET role = 'lead' WHERE task_id = '00000000-0000-4000-9000-000000000001'
			AND unit_id = '00000000-0000-4000-8000-000000000002'`,
		`DELETE FROM task_assignments WHERE task_id = '00000000-0000-4000-9000-000000000001'
			AND unit_id = '00000000-0000-4000-8000-000000000003'`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var rows, wrong int
	if err := pool.QueryRow(ctx, `WITH want AS (
			SELECT a.unit_id, a.role, COALESCE(o.due_time, 'infinity') AS due_key, o.id AS occurrence_id, o.state
			FROM occurrences o JOIN task_assignments a ON a.task_id = o.task_id),
		got AS (SELECT unit_id, role, due_key, occurrence_id, state FROM unit_occurrences)
		SELECT (SELECT count(*) FROM got),
			(SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got
				UNION ALL SELECT * FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want) g) d)`).Scan(&rows, &wrong); err != nil {
		t.Fatal(err)
	}
	if rows != 302 || wrong != 0 {
		t.Errorf("unit_occurrences has %d rows, %d differ from occurrences × task_assignments; want 302 and 0", rows, wrong)
	}
}
