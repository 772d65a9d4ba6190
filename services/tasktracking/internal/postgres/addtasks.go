package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// errTaskCodeTaken is a code added concurrently by someone else between the check under the
// document's lock and the insert; the lock makes it unlikely, the constraint makes it safe.
var errTaskCodeTaken = &tracking.Error{Kind: tracking.ErrConflict, Message: "Mã nhiệm vụ đã có trong văn bản"}

// lockDocument reads document id with its tasks and holds its row lock until tx ends, so
// amendments and additions of the same document take turns.
func lockDocument(ctx context.Context, tx pgx.Tx, id string) (tracking.Document, error) {
	d, err := documentRow(ctx, tx, id, " FOR UPDATE")
	if err != nil {
		return tracking.Document{}, err
	}
	rows, err := tx.Query(ctx, `SELECT `+taskColumns+` FROM tasks t WHERE t.document_id = $1 ORDER BY t.position`, id)
	if err != nil {
		return tracking.Document{}, fmt.Errorf("select tasks: %w", err)
	}
	if d.Tasks, err = pgx.CollectRows(rows, scanTask); err != nil {
		return tracking.Document{}, fmt.Errorf("select tasks: %w", err)
	}
	return d, nil
}

// AddTasks locks document id with its tasks, lets add build the new tasks and their
// occurrences, and stores them after the document's last task with one TaskAssigned event
// per task, all in one transaction.
func (s *Store) AddTasks(ctx context.Context, id string, add func(d tracking.Document) ([]tracking.Task, []tracking.Occurrence, error)) (tracking.Document, []tracking.Task, error) {
	var (
		d     tracking.Document
		tasks []tracking.Task
	)
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if d, err = lockDocument(ctx, tx, id); err != nil {
			return err
		}
		var occs []tracking.Occurrence
		if tasks, occs, err = add(d); err != nil {
			return err
		}
		// Positions continue after the last one in use (positions are never reused, so the
		// maximum is the right base even if a future change removes tasks).
		var next int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(position) + 1, 0) FROM tasks WHERE document_id = $1`, id).Scan(&next); err != nil {
			return fmt.Errorf("next task position: %w", err)
		}
		batch := &pgx.Batch{}
		for i, t := range tasks {
			queueInsertTask(batch, d.ID, next+i, t)
		}
		for _, o := range occs {
			queueInsertOccurrence(batch, o)
		}
		err = tx.SendBatch(ctx, batch).Close()
		if c, ok := pg.IsUniqueViolation(err); ok && c == "tasks_document_code_key" {
			return errTaskCodeTaken
		}
		if err != nil {
			return fmt.Errorf("insert tasks: %w", err)
		}
		for _, t := range tasks {
			if _, err := outbox.Add(ctx, tx, SubjectTaskAssigned, protoconv.TaskAssigned(d, t)); err != nil {
				return fmt.Errorf("outbox TaskAssigned for task %s: %w", t.Code, err)
			}
		}
		return nil
	})
	if err != nil {
		return tracking.Document{}, nil, err
	}
	return d, tasks, nil
}
