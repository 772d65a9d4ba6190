package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// remediationColumn reads a task's remediation link (tasks aliased t) as JSON, NULL for a
// task that is not a remediation task: one scalar subquery keeps every task read unchanged.
const remediationColumn = `(SELECT json_build_object(
		'explanation_id', r.explanation_id::text, 'action_id', r.action_id::text,
		'explanation_year', r.explanation_year, 'node_code', r.node_code,
		'explanation_title', r.explanation_title, 'explained_unit_id', r.explained_unit_id)
	FROM task_remediations r WHERE r.task_id = t.id)`

// remediationFilter is the condition keeping the tasks (whose id is the column taskID) of
// the explanation given as the next placeholder.
func remediationFilter(taskID string) string {
	return "EXISTS (SELECT 1 FROM task_remediations r WHERE r.task_id = " + taskID + " AND r.explanation_id = $#)"
}

// remediationOf decodes remediationColumn; nil for NULL.
func remediationOf(data []byte) *tracking.Remediation {
	if len(data) == 0 {
		return nil
	}
	var r tracking.Remediation
	if err := json.Unmarshal(data, &r); err != nil {
		// The JSON is built by remediationColumn from typed columns; failing here is a bug.
		panic(fmt.Sprintf("postgres: remediation JSON %q: %v", data, err))
	}
	return &r
}

// RemediationWriter writes remediation documents in a consumer's transaction. It implements
// app.RemediationWriter.
type RemediationWriter struct {
	tx pgx.Tx
}

var _ app.RemediationWriter = (*RemediationWriter)(nil)

// NewRemediationWriter returns a writer working in tx.
func NewRemediationWriter(tx pgx.Tx) *RemediationWriter {
	return &RemediationWriter{tx: tx}
}

// RemediationDocument returns the id of the remediation document of an explanation, or ""
// when there is none yet. It locks nothing: a concurrent creation is caught by the primary
// key of remediation_documents when the second one inserts.
func (w *RemediationWriter) RemediationDocument(ctx context.Context, explanationID string) (string, error) {
	var id string
	err := w.tx.QueryRow(ctx, `SELECT document_id::text FROM remediation_documents WHERE explanation_id = $1`, explanationID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("select remediation document: %w", err)
	}
	return id, nil
}

// CreateRemediation stores d (with its occurrences and TaskAssigned events, as CreateDocument
// does) as the remediation document of explanationID, and links each task that carries a
// Remediation to it. A second document for the same explanation is
// tracking.ErrRemediationExists.
func (w *RemediationWriter) CreateRemediation(ctx context.Context, explanationID, eventID string, d tracking.Document, occs []tracking.Occurrence, now time.Time) error {
	if err := (&Store{tx: w.tx}).CreateDocument(ctx, d, occs); err != nil {
		return err
	}
	_, err := w.tx.Exec(ctx, `INSERT INTO remediation_documents (explanation_id, document_id, event_id, create_time)
		VALUES ($1, $2, $3, $4)`, explanationID, d.ID, eventID, now)
	if c, ok := pg.IsUniqueViolation(err); ok && c == "remediation_documents_pkey" {
		return tracking.ErrRemediationExists
	}
	if err != nil {
		return fmt.Errorf("insert remediation document: %w", err)
	}
	batch := &pgx.Batch{}
	for _, t := range d.Tasks {
		r := t.Remediation
		if r == nil {
			continue
		}
		batch.Queue(`INSERT INTO task_remediations (task_id, explanation_id, action_id, explanation_year,
				node_code, explanation_title, explained_unit_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, explanationID, r.ActionID, r.ExplanationYear, r.NodeCode, r.ExplanationTitle, r.ExplainedUnitID)
	}
	err = w.tx.SendBatch(ctx, batch).Close()
	if c, ok := pg.IsUniqueViolation(err); ok && c == "task_remediations_action_id_key" {
		return tracking.ErrRemediationExists
	}
	if err != nil {
		return fmt.Errorf("insert task remediations: %w", err)
	}
	return nil
}

// db is where CreateDocument opens its transaction: the caller's, as a savepoint, or the pool.
func (s *Store) db() pg.Beginner {
	if s.tx != nil {
		return s.tx
	}
	return s.pool
}
