// Package postgres is the task-tracking store: documents, tasks and assignments in
// PostgreSQL, with the TaskAssigned events written to kit's outbox in the same transaction.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// SubjectTaskAssigned is the subject of TaskAssigned events.
const SubjectTaskAssigned = "tasktracking.v1.task.assigned"

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the service's tern migrations, for pg.Migrate and pgtest.
func Migrations() fs.FS {
	return pg.Sub(migrations, "migrations")
}

// Store implements app.Store on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	// tx, when set, is a caller's transaction that CreateDocument writes in (as a savepoint),
	// so a consumer's effect commits with its processed-event record.
	tx pgx.Tx
}

var _ app.Store = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// CreateDocument stores d with its tasks and their assignments, and writes one TaskAssigned
// event per task to the outbox in the same transaction: either the document and all its
// events exist, or neither does.
func (s *Store) CreateDocument(ctx context.Context, d tracking.Document, occs []tracking.Occurrence) error {
	return pg.InTx(ctx, s.db(), func(tx pgx.Tx) error {
		// The document, its tasks, assignments and occurrences go in one batch: one round
		// trip for the whole table of the document instead of one per row. (A task is never
		// without the occurrences its deadline calls for.) The batch stops at the first
		// failing insert, so a number already taken is the document's own error.
		batch := &pgx.Batch{}
		batch.Queue(`
			INSERT INTO documents (id, number, kind, issuer_unit_id, signed_on, title,
				period_start_year, period_end_year, status, search_text, created_by,
				create_time, update_time, reporting_cycle)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			d.ID, d.Number, d.Kind, d.IssuerUnitID, dateArg(d.SignedOn), d.Title,
			d.PeriodStartYear, d.PeriodEndYear, d.Status, searchText(d), d.CreatedBy,
			d.CreateTime, d.UpdateTime, cycleArg(d.ReportingCycle))
		for i, t := range d.Tasks {
			queueInsertTask(batch, d.ID, i, t)
		}
		for _, o := range occs {
			queueInsertOccurrence(batch, o)
		}
		err := tx.SendBatch(ctx, batch).Close()
		if c, ok := pg.IsUniqueViolation(err); ok && c == "documents_issuer_number_key" {
			return tracking.ErrNumberTaken
		}
		if err != nil {
			return fmt.Errorf("insert document: %w", err)
		}

		// One statement per event while a document has a few tasks; a COPY past that,
		// so an imported plan of a hundred tasks is not a hundred round trips.
		if len(d.Tasks) <= addBatchFrom {
			for _, t := range d.Tasks {
				if _, err := outbox.Add(ctx, tx, SubjectTaskAssigned, protoconv.TaskAssigned(d, t)); err != nil {
					return fmt.Errorf("outbox TaskAssigned for task %s: %w", t.Code, err)
				}
			}
			return nil
		}
		events := make([]outbox.Event, len(d.Tasks))
		for i, t := range d.Tasks {
			events[i] = outbox.Event{Subject: SubjectTaskAssigned, Msg: protoconv.TaskAssigned(d, t)}
		}
		if _, err := outbox.AddBatch(ctx, tx, events); err != nil {
			return fmt.Errorf("outbox %d TaskAssigned: %w", len(events), err)
		}
		return nil
	})
}

// addBatchFrom is the number of events above which CreateDocument writes them with
// outbox.AddBatch (a COPY and a notify: two round trips) rather than one Add each.
const addBatchFrom = 2

// queueInsertTask queues the insert of task t at position pos of document docID, with its
// lead and cooperating assignments.
func queueInsertTask(batch *pgx.Batch, docID string, pos int, t tracking.Task) {
	batch.Queue(`
		INSERT INTO tasks (id, document_id, position, code, task_group, content,
			start_kind, start_date, start_quarter, start_year, start_end_year, start_text, start_due,
			deadline_kind, deadline_date, deadline_quarter, deadline_year, deadline_end_year, deadline_text, deadline_due,
			expected_product, criteria_codes, create_time, lead_text, cooperating_text)
		VALUES ($1, $2, $3, $4, $5, $6,
			$7, $8, $9, $10, $11, $12, $13,
			$14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23, $24, $25)`,
		append(append(append([]any{t.ID, docID, pos, t.Code, t.Group, t.Content},
			timingArgs(t.Start)...), timingArgs(t.Deadline)...),
			t.ExpectedProduct, nonNil(t.CriteriaCodes), t.CreateTime, t.LeadText, t.CooperatingText)...)
	for j, id := range t.LeadUnitIDs {
		batch.Queue(`INSERT INTO task_assignments (task_id, unit_id, role, position) VALUES ($1, $2, $3, $4)`,
			t.ID, id, tracking.RoleLead, j)
	}
	for j, id := range t.CooperatingUnitIDs {
		batch.Queue(`INSERT INTO task_assignments (task_id, unit_id, role, position) VALUES ($1, $2, $3, $4)`,
			t.ID, id, tracking.RoleCooperating, j)
	}
}

// Document returns a document with its tasks.
func (s *Store) Document(ctx context.Context, id string) (tracking.Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select document: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDocument)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Document{}, tracking.ErrDocumentNotFound
	}
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select document: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t WHERE t.document_id = $1 ORDER BY t.position`, id)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select tasks: %w", err)
	}
	d.Tasks, err = pgx.CollectRows(rows, scanTask)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select tasks: %w", err)
	}
	return d, nil
}

// documentCursor is the position after the last document of a page.
type documentCursor struct {
	SignedOn string `json:"s"`
	ID       string `json:"i"`
}

// ListDocuments returns one page of documents, newest signing date first (ties by id), found
// by keyset so a page costs the same however deep it is.
func (s *Store) ListDocuments(ctx context.Context, f app.DocumentFilter) (app.Page[tracking.Document], error) {
	var cur documentCursor
	if err := page.Decode(f.PageToken, &cur); err != nil {
		return app.Page[tracking.Document]{}, err
	}
	size := page.Size(f.PageSize)
	var q query
	if f.Year != 0 {
		q.where("period_start_year <= $# AND period_end_year >= $#", f.Year, f.Year)
	}
	if f.Kind != "" {
		q.where("kind = $#", f.Kind)
	}
	if f.IssuerUnitID != "" {
		q.where("issuer_unit_id = $#", f.IssuerUnitID)
	}
	if key := vntext.Fold(f.Query); key != "" {
		q.where(`search_text LIKE '%' || $# || '%'`, escapeLike(key))
	}
	if f.PageToken != "" {
		q.where("(signed_on, id) < ($#::date, $#::uuid)", cur.SignedOn, cur.ID)
	}
	sql := `SELECT ` + documentColumns + ` FROM documents` + q.clause() +
		` ORDER BY signed_on DESC, id DESC LIMIT ` + fmt.Sprint(size+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return app.Page[tracking.Document]{}, fmt.Errorf("select documents: %w", err)
	}
	docs, err := pgx.CollectRows(rows, scanDocument)
	if err != nil {
		return app.Page[tracking.Document]{}, fmt.Errorf("select documents: %w", err)
	}
	var p app.Page[tracking.Document]
	if len(docs) > size {
		docs = docs[:size]
		last := docs[size-1]
		p.NextPageToken = page.Encode(documentCursor{SignedOn: last.SignedOn.ISO(), ID: last.ID})
	}
	p.Items = docs
	return p, nil
}

// Task returns one task.
func (s *Store) Task(ctx context.Context, id string) (tracking.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t WHERE t.id = $1`, id)
	if err != nil {
		return tracking.Task{}, fmt.Errorf("select task: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Task{}, tracking.ErrTaskNotFound
	}
	if err != nil {
		return tracking.Task{}, fmt.Errorf("select task: %w", err)
	}
	return t, nil
}

// taskCursor is the position after the last task of a page.
type taskCursor struct {
	DocumentID string `json:"d"`
	Position   int    `json:"p"`
}

// ListTasks returns one page of tasks ordered by document (ids are time-ordered UUIDs, so
// this is the order documents were entered) and then by their place in the document.
func (s *Store) ListTasks(ctx context.Context, f app.TaskFilter) (app.Page[tracking.Task], error) {
	var cur taskCursor
	if err := page.Decode(f.PageToken, &cur); err != nil {
		return app.Page[tracking.Task]{}, err
	}
	size := page.Size(f.PageSize)
	var q query
	if !f.Viewer.All {
		// The same rule as ListOccurrences' (and grpcapi's relation).
		q.where(`(EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id AND a.unit_id::text = $#)
			OR ($#::boolean AND EXISTS (SELECT 1 FROM documents d WHERE d.id = t.document_id AND d.issuer_unit_id::text = $#)))`,
			f.Viewer.UnitID, f.Viewer.IssuerHead, f.Viewer.UnitID)
	}
	if f.TaskID != "" {
		q.where("t.id = $#", f.TaskID)
	}
	if f.DocumentID != "" {
		q.where("t.document_id = $#", f.DocumentID)
	}
	if f.UnitID != "" {
		q.where("EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id AND a.unit_id = $#)", f.UnitID)
	}
	if f.ExplanationID != "" {
		q.where(remediationFilter("t.id"), f.ExplanationID)
	}
	if f.PageToken != "" {
		q.where("(t.document_id, t.position) > ($#::uuid, $#)", cur.DocumentID, cur.Position)
	}
	sql := `SELECT ` + taskColumns + `, t.position FROM tasks t` + q.clause() +
		` ORDER BY t.document_id, t.position LIMIT ` + fmt.Sprint(size+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return app.Page[tracking.Task]{}, fmt.Errorf("select tasks: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskRow, error) {
		var r taskRow
		err := row.Scan(append(r.dest(), &r.position)...)
		return r, err
	})
	if err != nil {
		return app.Page[tracking.Task]{}, fmt.Errorf("select tasks: %w", err)
	}
	var p app.Page[tracking.Task]
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		p.NextPageToken = page.Encode(taskCursor{DocumentID: last.task.DocumentID, Position: last.position})
	}
	for i := range list {
		p.Items = append(p.Items, list[i].result())
	}
	return p, nil
}

// query gathers the WHERE conditions of a list; "$#" in a condition stands for the next
// placeholder, so conditions can be added in any combination.
type query struct {
	conds []string
	args  []any
}

func (q *query) where(cond string, args ...any) {
	for _, a := range args {
		q.args = append(q.args, a)
		cond = strings.Replace(cond, "$#", fmt.Sprintf("$%d", len(q.args)), 1)
	}
	q.conds = append(q.conds, cond)
}

func (q *query) clause() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// escapeLike escapes the LIKE wildcards in s, so "50%" searches for a percent sign.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchText is what ListDocuments' query matches: number and title, folded.
func searchText(d tracking.Document) string {
	return vntext.Fold(d.Number + " " + d.Title)
}

const documentColumns = `id, number, kind, issuer_unit_id, signed_on, title, period_start_year,
	period_end_year, status, created_by, create_time, update_time, reporting_cycle`

func scanDocument(row pgx.CollectableRow) (tracking.Document, error) {
	var (
		d        tracking.Document
		signedOn time.Time
	)
	err := row.Scan(&d.ID, &d.Number, &d.Kind, &d.IssuerUnitID, &signedOn, &d.Title,
		&d.PeriodStartYear, &d.PeriodEndYear, &d.Status, &d.CreatedBy, &d.CreateTime, &d.UpdateTime,
		&d.ReportingCycle)
	d.SignedOn = dateOf(signedOn)
	return d, err
}

// taskColumns reads a task with its units (lead and cooperating, each in the document's
// order) from tasks aliased t.
const taskColumns = `t.id, t.document_id, t.code, t.task_group, t.content,
	t.start_kind, t.start_date, t.start_quarter, t.start_year, t.start_end_year, t.start_text,
	t.deadline_kind, t.deadline_date, t.deadline_quarter, t.deadline_year, t.deadline_end_year, t.deadline_text,
	t.expected_product, t.criteria_codes, t.create_time, t.lead_text, t.cooperating_text,
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'lead' ORDER BY a.position),
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'cooperating' ORDER BY a.position),
	` + remediationColumn

// timingScan receives the columns of one timing.
type timingScan struct {
	kind                   string
	date                   pgtype.Date
	quarter, year, endYear int
	text                   string
}

func (ts *timingScan) dest() []any {
	return []any{&ts.kind, &ts.date, &ts.quarter, &ts.year, &ts.endYear, &ts.text}
}

func (ts *timingScan) timing() tracking.Timing {
	t := tracking.Timing{
		Kind: tracking.TimingKind(ts.kind), Quarter: ts.quarter, Year: ts.year,
		EndYear: ts.endYear, Text: ts.text,
	}
	if ts.date.Valid {
		t.Date = dateOf(ts.date.Time)
	}
	return t
}

// taskRow receives the columns of taskColumns (and, for lists, the position).
type taskRow struct {
	task            tracking.Task
	start, deadline timingScan
	position        int
	remediation     []byte // JSON of the task's remediation link, NULL for other tasks
}

func (r *taskRow) dest() []any {
	t := &r.task
	dest := []any{&t.ID, &t.DocumentID, &t.Code, &t.Group, &t.Content}
	dest = append(dest, r.start.dest()...)
	dest = append(dest, r.deadline.dest()...)
	return append(dest, &t.ExpectedProduct, &t.CriteriaCodes, &t.CreateTime, &t.LeadText, &t.CooperatingText,
		&t.LeadUnitIDs, &t.CooperatingUnitIDs, &r.remediation)
}

func (r *taskRow) result() tracking.Task {
	t := r.task
	t.Start, t.Deadline = r.start.timing(), r.deadline.timing()
	t.Remediation = remediationOf(r.remediation)
	return t
}

func scanTask(row pgx.CollectableRow) (tracking.Task, error) {
	var r taskRow
	err := row.Scan(r.dest()...)
	return r.result(), err
}

// timingArgs returns the seven column values of a timing, in the order of the tasks table.
func timingArgs(t tracking.Timing) []any {
	var due any
	if d, ok := t.Due(); ok {
		due = d
	}
	return []any{string(t.Kind), dateArg(t.Date), t.Quarter, t.Year, t.EndYear, t.Text, due}
}

// dateArg returns the value for a date column: NULL for the zero Date. The time is at UTC
// midnight because pgx writes a date from the time's own calendar fields.
func dateArg(d vntime.Date) any {
	if d.IsZero() {
		return nil
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// dateOf reads a date column, which pgx returns at UTC midnight.
func dateOf(t time.Time) vntime.Date {
	if t.IsZero() {
		return vntime.Date{}
	}
	return vntime.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// nonNil returns s, or an empty slice for nil so a NOT NULL array column gets '{}'.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
