package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

var _ app.TargetStore = (*Store)(nil)

// CreateTarget stores a new target; a code the document already uses is
// tracking.ErrTargetCodeTaken, a document that does not exist tracking.ErrDocumentNotFound.
func (s *Store) CreateTarget(ctx context.Context, t tracking.Target) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO targets (id, document_id, code, metric, unit_of_measure, comparator, value,
			start_year, end_year, deadline, scope_level, scope_unit_ids, text, create_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		t.ID, t.DocumentID, t.Code, t.Metric, t.UnitOfMeasure, t.Comparator, t.Value,
		t.StartYear, t.EndYear, dateArg(t.Deadline), t.Scope, nonNil(t.ScopeUnitIDs), t.Text, t.CreateTime)
	if c, ok := pg.IsUniqueViolation(err); ok && c == "targets_document_code_key" {
		return tracking.ErrTargetCodeTaken
	}
	if _, ok := pg.IsForeignKeyViolation(err); ok {
		return tracking.ErrDocumentNotFound
	}
	if err != nil {
		return fmt.Errorf("insert target: %w", err)
	}
	return nil
}

const targetColumns = `id::text, document_id::text, code, metric, unit_of_measure, comparator, value,
	start_year, end_year, deadline, scope_level, scope_unit_ids::text[], text, create_time`

func scanTarget(row pgx.CollectableRow) (tracking.Target, error) {
	var (
		t        tracking.Target
		deadline *time.Time
	)
	err := row.Scan(&t.ID, &t.DocumentID, &t.Code, &t.Metric, &t.UnitOfMeasure, &t.Comparator, &t.Value,
		&t.StartYear, &t.EndYear, &deadline, &t.Scope, &t.ScopeUnitIDs, &t.Text, &t.CreateTime)
	if deadline != nil {
		t.Deadline = dateOf(*deadline)
	}
	return t, err
}

// Target returns one target, or tracking.ErrTargetNotFound.
func (s *Store) Target(ctx context.Context, id string) (tracking.Target, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM targets WHERE id = $1`, id)
	if err != nil {
		return tracking.Target{}, fmt.Errorf("select target: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTarget)
	if errors.Is(err, pgx.ErrNoRows) {
		return tracking.Target{}, tracking.ErrTargetNotFound
	}
	if err != nil {
		return tracking.Target{}, fmt.Errorf("select target: %w", err)
	}
	return t, nil
}

// ListTargets returns the targets of a document (or all), applying in year (0: any), by
// document then code.
func (s *Store) ListTargets(ctx context.Context, documentID string, year int) ([]tracking.Target, error) {
	var q query
	if documentID != "" {
		q.where("document_id = $#", documentID)
	}
	if year != 0 {
		q.where("start_year <= $# AND end_year >= $#", year, year)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM targets`+q.clause()+` ORDER BY document_id, code`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("select targets: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTarget)
	if err != nil {
		return nil, fmt.Errorf("select targets: %w", err)
	}
	return out, nil
}

// RecordMeasurement stores a measurement.
func (s *Store) RecordMeasurement(ctx context.Context, m tracking.Measurement) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO target_measurements (id, target_id, unit_id, year, value, note, recorded_by, record_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		m.ID, m.TargetID, m.UnitID, m.Year, m.Value, m.Note, m.RecordedBy, m.RecordTime)
	if err != nil {
		return fmt.Errorf("insert measurement: %w", err)
	}
	return nil
}

// LatestMeasurements returns the latest measurement of each unit for a target and year.
func (s *Store) LatestMeasurements(ctx context.Context, targetID string, year int) ([]tracking.Measurement, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT ON (unit_id) id::text, target_id::text, unit_id::text, year, value, note, recorded_by, record_time
		FROM target_measurements WHERE target_id = $1 AND year = $2
		ORDER BY unit_id, record_time DESC, id DESC`, targetID, year)
	if err != nil {
		return nil, fmt.Errorf("select measurements: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (tracking.Measurement, error) {
		var m tracking.Measurement
		err := row.Scan(&m.ID, &m.TargetID, &m.UnitID, &m.Year, &m.Value, &m.Note, &m.RecordedBy, &m.RecordTime)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("select measurements: %w", err)
	}
	return out, nil
}
