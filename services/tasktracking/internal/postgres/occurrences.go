package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Subjects of the events about documents, occurrences and extensions.
const (
	SubjectDocumentUpdated         = "tasktracking.v1.document.updated"
	SubjectOccurrenceStatusChanged = "tasktracking.v1.occurrence.status_changed"
	SubjectExtensionRequested      = "tasktracking.v1.extension.requested"
	SubjectExtensionDecided        = "tasktracking.v1.extension.decided"
)

// openStatesSQL are the states in which work is expected, for the overdue rule.
const overdueSQL = `((o.state IN ('not_started', 'received', 'in_progress') AND o.due_time < $#)
	OR (o.state = 'completion_reported' AND o.report_time > o.due_time))`

// cycleArg stores a reporting cycle; a document built without one reports yearly.
func cycleArg(c tracking.ReportingCycle) string {
	if c == "" {
		return string(tracking.CycleYearly)
	}
	return string(c)
}

func queueInsertOccurrence(b *pgx.Batch, o tracking.Occurrence) {
	b.Queue(`
		INSERT INTO occurrences (id, task_id, document_id, period_kind, period_year, period_number,
			due_time, original_due_time, state, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		o.ID, o.TaskID, o.DocumentID, o.Period.Kind, o.Period.Year, o.Period.Number,
		timeArg(o.Due), timeArg(o.OriginalDue), o.State, o.CreateTime, o.UpdateTime)
}

// timeArg returns NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// occurrenceColumns reads an occurrence with its task scope and pending extension from
// occurrences o joined to tasks t, documents d and (left) extension_requests e.
const occurrenceColumns = `o.id, o.task_id, o.document_id, o.period_kind, o.period_year, o.period_number,
	o.due_time, o.original_due_time, o.state, o.extensions_approved, o.completion_note,
	o.receive_time, o.start_time, o.report_time, o.confirm_time, o.close_time, o.create_time, o.update_time,
	t.code, d.issuer_unit_id::text,
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'lead' ORDER BY a.position),
	ARRAY(SELECT a.unit_id::text FROM task_assignments a WHERE a.task_id = t.id AND a.role = 'cooperating' ORDER BY a.position),
	e.id::text, e.reason, e.proposed_due_date, e.previous_due_time, e.requested_by_subject, e.requested_by_user_id,
	e.requested_by_unit_id, e.requested_by_name, e.request_time`

const occurrenceFrom = ` FROM occurrences o
	JOIN tasks t ON t.id = o.task_id
	JOIN documents d ON d.id = o.document_id
	LEFT JOIN extension_requests e ON e.occurrence_id = o.id AND e.decision = 'pending'`

func scanOccurrence(row pgx.CollectableRow) (tracking.Occurrence, error) {
	return scanOccurrenceWith(row)
}

// scanOccurrenceWith is scanOccurrence for a query that selects more columns after
// occurrenceColumns, scanned into extra.
func scanOccurrenceWith(row pgx.CollectableRow, extra ...any) (tracking.Occurrence, error) {
	var (
		o                                             tracking.Occurrence
		due, origDue, recv, start, rep, conf, closeT  pgtype.Timestamptz
		extID, extReason, bySubj, byUser, byUnit, byN pgtype.Text
		extDate                                       pgtype.Date
		extPrev, extTime                              pgtype.Timestamptz
	)
	err := row.Scan(append([]any{&o.ID, &o.TaskID, &o.DocumentID, &o.Period.Kind, &o.Period.Year, &o.Period.Number,
		&due, &origDue, &o.State, &o.ExtensionsApproved, &o.CompletionNote,
		&recv, &start, &rep, &conf, &closeT, &o.CreateTime, &o.UpdateTime,
		&o.Scope.TaskCode, &o.Scope.IssuerUnitID, &o.Scope.LeadUnitIDs, &o.Scope.CooperatingUnitIDs,
		&extID, &extReason, &extDate, &extPrev, &bySubj, &byUser, &byUnit, &byN, &extTime}, extra...)...)
	if err != nil {
		return o, err
	}
	o.Scope.TaskID, o.Scope.DocumentID = o.TaskID, o.DocumentID
	o.Due, o.OriginalDue = ts(due), ts(origDue)
	o.ReceiveTime, o.StartTime, o.ReportTime, o.ConfirmTime, o.CloseTime = ts(recv), ts(start), ts(rep), ts(conf), ts(closeT)
	if extID.Valid {
		o.Pending = &tracking.Extension{
			ID: extID.String, OccurrenceID: o.ID, Reason: extReason.String, ProposedDue: dateOf(extDate.Time),
			PreviousDue: ts(extPrev), RequestedBy: tracking.Actor{Subject: bySubj.String, UserID: byUser.String, UnitID: byUnit.String, Name: byN.String},
			RequestTime: ts(extTime), Decision: tracking.ExtensionPending,
		}
	}
	return o, nil
}

func ts(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}

// Occurrence returns one occurrence with its task scope and pending extension.
func (s *Store) Occurrence(ctx context.Context, id string) (tracking.Occurrence, error) {
	return s.occurrence(ctx, s.pool, id, "")
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) occurrence(ctx context.Context, q querier, id, lock string) (tracking.Occurrence, error) {
	rows, err := q.Query(ctx, `SELECT `+occurrenceColumns+occurrenceFrom+` WHERE o.id = $1`+lock, id)
	if err != nil {
		return tracking.Occurrence{}, fmt.Errorf("select occurrence: %w", err)
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOccurrence)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Occurrence{}, tracking.ErrOccurrenceNotFound
	}
	if err != nil {
		return tracking.Occurrence{}, fmt.Errorf("select occurrence: %w", err)
	}
	return o, nil
}

// occurrenceCursor is the position after the last occurrence of a page: its deadline
// ("infinity" for none) and id.
type occurrenceCursor struct {
	Due string `json:"d"`
	ID  string `json:"i"`
}

// ListOccurrences returns one page of occurrences the viewer may see, earliest deadline
// first and those without a deadline last, found by keyset.
//
// The page is chosen first from narrow columns only (occurrences_task_period_key and
// task_assignments_unit_role_idx answer a unit's list without touching a table), and only
// the page's rows are then read in full with their task, document and pending extension:
// a unit with a thousand tasks otherwise costs a thousand heap reads per page.
func (s *Store) ListOccurrences(ctx context.Context, f app.OccurrenceFilter) (app.Page[tracking.Occurrence], error) {
	sql, args, size, err := listOccurrencesSQL(f)
	if err != nil {
		return app.Page[tracking.Occurrence]{}, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return app.Page[tracking.Occurrence]{}, fmt.Errorf("select occurrences: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanOccurrence)
	if err != nil {
		return app.Page[tracking.Occurrence]{}, fmt.Errorf("select occurrences: %w", err)
	}
	var p app.Page[tracking.Occurrence]
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		c := occurrenceCursor{Due: "infinity", ID: last.ID}
		if !last.Due.IsZero() {
			c.Due = last.Due.UTC().Format(time.RFC3339Nano)
		}
		p.NextPageToken = page.Encode(c)
	}
	p.Items = list
	return p, nil
}

// listOccurrencesSQL is ListOccurrences' query for f, its arguments and the page size (the
// query returns one row more when another page follows).
func listOccurrencesSQL(f app.OccurrenceFilter) (string, []any, int, error) {
	var cur occurrenceCursor
	if err := page.Decode(f.PageToken, &cur); err != nil {
		return "", nil, 0, err
	}
	size := page.Size(f.PageSize)
	var q query
	if !f.Viewer.All {
		// The same rule as grpcapi's relation: the caller's unit takes part in the task, or
		// the caller heads the unit that issued the document. Unit ids are compared as uuids
		// (a text cast of the column would hide task_assignments' unit index); a viewer whose
		// unit is no uuid sees nothing.
		viewerUnit, err := uuid.Parse(f.Viewer.UnitID)
		switch {
		case err != nil:
			q.where("false")
		case sameUnit(viewerUnit, f.UnitID):
			// Implied by the unit filter below: the viewer's own unit takes part in the task.
		case f.Viewer.IssuerHead:
			q.where(`(o.task_id IN (SELECT a.task_id FROM task_assignments a WHERE a.unit_id = $#::uuid)
				OR o.document_id IN (SELECT d.id FROM documents d WHERE d.issuer_unit_id = $#::uuid))`, viewerUnit, viewerUnit)
		default:
			q.where("o.task_id IN (SELECT a.task_id FROM task_assignments a WHERE a.unit_id = $#::uuid)", viewerUnit)
		}
	}
	if f.TaskID != "" {
		q.where("o.task_id = $#", f.TaskID)
	}
	if f.DocumentID != "" {
		q.where("o.document_id = $#", f.DocumentID)
	}
	if f.ExplanationID != "" {
		q.where(remediationFilter("o.task_id"), f.ExplanationID)
	}
	// A unit's list in one role is walked in list order from unit_occurrences (migration
	// 011), which carries the unit, role, sort key and state: the walk stops at the page's
	// last row instead of reading every occurrence of the unit's tasks to sort them. The
	// other filters read the occurrence's row, joined for the rows the walk passes.
	from, key, id, state, due := " FROM occurrences o", "COALESCE(o.due_time, 'infinity'::timestamptz)", "o.id", "o.state", "o.due_time"
	switch {
	case f.UnitID != "" && f.Role != "":
		if _, err := uuid.Parse(f.UnitID); err != nil {
			q.where("false") // no unit has that id
			break
		}
		// The sort key is the deadline where there is one, and no deadline is before nothing.
		from, key, id, state, due = " FROM unit_occurrences u JOIN occurrences o ON o.id = u.occurrence_id", "u.due_key", "u.occurrence_id", "u.state", "u.due_key"
		q.where("u.unit_id = $#::uuid AND u.role = $#", f.UnitID, f.Role)
	case f.UnitID != "":
		q.where("o.task_id IN (SELECT a.task_id FROM task_assignments a WHERE a.unit_id = $#)", f.UnitID)
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		q.where(state+" = ANY($#)", states)
	}
	if !f.OverdueAt.IsZero() {
		q.where(overdueSQL, f.OverdueAt)
	}
	if !f.DueBefore.IsZero() {
		q.where(due+" < $#", f.DueBefore)
	}
	if !f.DueAfter.IsZero() {
		q.where("o.due_time >= $#", f.DueAfter)
	}
	if f.PageToken != "" {
		q.where("("+key+", "+id+") > ($#::text::timestamptz, $#::uuid)", cur.Due, cur.ID)
	}
	sql := `SELECT ` + occurrenceColumns + ` FROM (
		SELECT o.id, ` + key + ` AS due_key` + from + q.clause() + `
		ORDER BY ` + key + `, ` + id + ` LIMIT ` + fmt.Sprint(size+1) + `) p
	JOIN occurrences o ON o.id = p.id` + strings.TrimPrefix(occurrenceFrom, " FROM occurrences o") +
		` ORDER BY p.due_key, p.id`
	return sql, q.args, size, nil
}

// sameUnit reports whether unit is the unit id s (in any letter case).
func sameUnit(unit uuid.UUID, s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u == unit
}

// ChangeOccurrence locks the occurrence, applies change and writes the result: the
// occurrence, the extension request, the history entry and the events, in one transaction.
// The row lock serialises concurrent changes, so two callers cannot both move an occurrence
// out of the same state.
func (s *Store) ChangeOccurrence(ctx context.Context, id string, change func(o *tracking.Occurrence) (tracking.Change, error)) (tracking.Occurrence, tracking.Change, error) {
	var (
		o tracking.Occurrence
		c tracking.Change
	)
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		o, err = s.occurrence(ctx, tx, id, " FOR UPDATE OF o")
		if err != nil {
			return err
		}
		c, err = change(&o)
		if err != nil {
			return err
		}
		return writeChange(ctx, tx, o, c)
	})
	if err != nil {
		return tracking.Occurrence{}, tracking.Change{}, err
	}
	return o, c, nil
}

// writeChange stores o after change c with its history entry, extension rows and events.
func writeChange(ctx context.Context, tx pgx.Tx, o tracking.Occurrence, c tracking.Change) error {
	_, err := tx.Exec(ctx, `
		UPDATE occurrences SET due_time = $2, state = $3, extensions_approved = $4, completion_note = $5,
			receive_time = $6, start_time = $7, report_time = $8, confirm_time = $9, close_time = $10,
			update_time = $11
		WHERE id = $1`,
		o.ID, timeArg(o.Due), o.State, o.ExtensionsApproved, o.CompletionNote,
		timeArg(o.ReceiveTime), timeArg(o.StartTime), timeArg(o.ReportTime), timeArg(o.ConfirmTime), timeArg(o.CloseTime),
		o.UpdateTime)
	if err != nil {
		return fmt.Errorf("update occurrence: %w", err)
	}
	var extID any
	if e := c.Extension; e != nil {
		extID = e.ID
		if e.Decision == tracking.ExtensionPending {
			_, err = tx.Exec(ctx, `
				INSERT INTO extension_requests (id, occurrence_id, reason, proposed_due_date, previous_due_time,
					requested_by_subject, requested_by_user_id, requested_by_unit_id, requested_by_name,
					request_time, decision)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				e.ID, o.ID, e.Reason, dateArg(e.ProposedDue), e.PreviousDue,
				e.RequestedBy.Subject, e.RequestedBy.UserID, e.RequestedBy.UnitID, e.RequestedBy.Name,
				e.RequestTime, e.Decision)
		} else {
			err = decideExtension(ctx, tx, *e)
		}
		if err != nil {
			return fmt.Errorf("write extension request: %w", err)
		}
	}
	if c.Lapsed != nil {
		if err := decideExtension(ctx, tx, *c.Lapsed); err != nil {
			return fmt.Errorf("close extension request: %w", err)
		}
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO occurrence_history (occurrence_id, action, from_state, to_state, actor_subject,
			actor_user_id, actor_unit_id, actor_name, reason, extension_id, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		o.ID, c.Action, c.From, c.To, c.By.Subject, c.By.UserID, c.By.UnitID, c.By.Name, c.Reason, extID, c.Time)
	if err != nil {
		return fmt.Errorf("insert history: %w", err)
	}

	// One event per fact: a state change, a request, a decision.
	if c.StateChanged() {
		if _, err := outbox.Add(ctx, tx, SubjectOccurrenceStatusChanged, protoconv.OccurrenceStatusChanged(o, c)); err != nil {
			return fmt.Errorf("outbox OccurrenceStatusChanged: %w", err)
		}
	}
	switch c.Action {
	case tracking.ActionRequestExtension:
		if _, err := outbox.Add(ctx, tx, SubjectExtensionRequested, protoconv.ExtensionRequested(o, c)); err != nil {
			return fmt.Errorf("outbox ExtensionRequested: %w", err)
		}
	case tracking.ActionApproveExtension, tracking.ActionRefuseExtension:
		if _, err := outbox.Add(ctx, tx, SubjectExtensionDecided, protoconv.ExtensionDecided(o, c)); err != nil {
			return fmt.Errorf("outbox ExtensionDecided: %w", err)
		}
	}
	return nil
}

func decideExtension(ctx context.Context, tx pgx.Tx, e tracking.Extension) error {
	tag, err := tx.Exec(ctx, `
		UPDATE extension_requests SET decision = $2, decision_reason = $3, decided_by_subject = $4,
			decided_by_user_id = $5, decided_by_unit_id = $6, decided_by_name = $7, decide_time = $8
		WHERE id = $1 AND decision = 'pending'`,
		e.ID, e.Decision, e.DecisionReason, e.DecidedBy.Subject, e.DecidedBy.UserID, e.DecidedBy.UnitID,
		e.DecidedBy.Name, e.DecideTime)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("extension request %s was not pending", e.ID)
	}
	return err
}

// History returns the changes of an occurrence in the order they were made.
func (s *Store) History(ctx context.Context, occurrenceID string) ([]app.HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, occurrence_id::text, action, from_state, to_state, actor_subject, actor_user_id,
			actor_unit_id, actor_name, reason, time
		FROM occurrence_history WHERE occurrence_id = $1 ORDER BY id`, occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("select history: %w", err)
	}
	h, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.HistoryEntry, error) {
		var e app.HistoryEntry
		err := row.Scan(&e.ID, &e.OccurrenceID, &e.Action, &e.From, &e.To, &e.By.Subject, &e.By.UserID,
			&e.By.UnitID, &e.By.Name, &e.Reason, &e.Time)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("select history: %w", err)
	}
	return h, nil
}

// UpdateDocument locks the document, loads its tasks and occurrences, lets amend change
// them, and writes the document, the added and cancelled occurrences and the events.
func (s *Store) UpdateDocument(ctx context.Context, id string, amend func(d *tracking.Document, occs []tracking.Occurrence) (app.Amendment, error)) (tracking.Document, error) {
	var d tracking.Document
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if d, err = lockDocument(ctx, tx, id); err != nil {
			return err
		}
		// The document's lock covers its occurrences for this change: every other change
		// of them takes the occurrence row lock, so they are locked too.
		rows, err := tx.Query(ctx, `SELECT `+occurrenceColumns+occurrenceFrom+` WHERE o.document_id = $1 ORDER BY o.id FOR UPDATE OF o`, id)
		if err != nil {
			return fmt.Errorf("select occurrences: %w", err)
		}
		occs, err := pgx.CollectRows(rows, scanOccurrence)
		if err != nil {
			return fmt.Errorf("select occurrences: %w", err)
		}
		a, err := amend(&d, occs)
		if err != nil {
			return err
		}
		if len(a.Changed) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `
			UPDATE documents SET title = $2, signed_on = $3, period_start_year = $4, period_end_year = $5,
				status = $6, search_text = $7, update_time = $8
			WHERE id = $1`,
			d.ID, d.Title, dateArg(d.SignedOn), d.PeriodStartYear, d.PeriodEndYear, d.Status, searchText(d), d.UpdateTime)
		if err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		if len(a.Added) > 0 {
			batch := &pgx.Batch{}
			for _, o := range a.Added {
				queueInsertOccurrence(batch, o)
			}
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return fmt.Errorf("insert occurrences: %w", err)
			}
		}
		for _, co := range a.Cancelled {
			if err := writeChange(ctx, tx, co.Occurrence, co.Change); err != nil {
				return err
			}
		}
		if err := planDueReportsAfterAmend(ctx, tx, d); err != nil {
			return err
		}
		if _, err := outbox.Add(ctx, tx, SubjectDocumentUpdated, protoconv.DocumentUpdated(d, a.Changed, a.By)); err != nil {
			return fmt.Errorf("outbox DocumentUpdated: %w", err)
		}
		return nil
	})
	if err != nil {
		return tracking.Document{}, err
	}
	return d, nil
}
