package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/parscoring/internal/app"
)

var _ app.FeedbackStore = (*Store)(nil)

// CreateFeedbackCode implements app.FeedbackStore.
func (s *Store) CreateFeedbackCode(ctx context.Context, c app.FeedbackCode) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO feedback_code (code, unit_id, desk, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
		c.Code, c.UnitID, c.Desk, c.CreatedBy, c.CreateTime)
	if err != nil {
		return fmt.Errorf("insert feedback code: %w", err)
	}
	return nil
}

const codeColumns = `code, unit_id::text, desk, created_by, created_at, revoked_at`

func scanCode(row pgx.Row) (app.FeedbackCode, error) {
	var (
		c       app.FeedbackCode
		revoked *time.Time
	)
	if err := row.Scan(&c.Code, &c.UnitID, &c.Desk, &c.CreatedBy, &c.CreateTime, &revoked); err != nil {
		return c, err
	}
	c.CreateTime = c.CreateTime.UTC()
	if revoked != nil {
		c.RevokeTime = revoked.UTC()
	}
	return c, nil
}

// FeedbackCodes implements app.FeedbackStore: newest first, at most 1000.
func (s *Store) FeedbackCodes(ctx context.Context, unitID string) ([]app.FeedbackCode, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+codeColumns+` FROM feedback_code
		WHERE ($1 = '' OR unit_id::text = $1) ORDER BY created_at DESC, code LIMIT 1000`, unitID)
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.FeedbackCode, error) { return scanCode(row) })
	if err != nil {
		return nil, fmt.Errorf("select feedback codes: %w", err)
	}
	return cs, nil
}

// RevokeFeedbackCode implements app.FeedbackStore. Revoking twice keeps the first time.
func (s *Store) RevokeFeedbackCode(ctx context.Context, code, actor string, at time.Time) (app.FeedbackCode, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `
		UPDATE feedback_code SET revoked_at = coalesce(revoked_at, $2),
		    revoked_by = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoked_by END
		WHERE code = $1 RETURNING `+codeColumns, code, at, actor))
	if errors.Is(err, pgx.ErrNoRows) {
		return app.FeedbackCode{}, app.ErrFeedbackCodeNotFound
	}
	if err != nil {
		return app.FeedbackCode{}, fmt.Errorf("revoke feedback code: %w", err)
	}
	return c, nil
}

// AddFeedback implements app.FeedbackStore: the code is read FOR SHARE and the answer
// written in one transaction, so a revocation in between cannot let an answer through.
func (s *Store) AddFeedback(ctx context.Context, id, code string, at time.Time, a app.FeedbackAnswer) error {
	var waiting *int
	if a.WaitingMinutes >= 0 {
		waiting = &a.WaitingMinutes
	}
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM feedback_code WHERE code = $1 FOR SHARE`, code).Scan(&revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return app.ErrFeedbackCodeNotFound
		}
		if err != nil {
			return fmt.Errorf("select feedback code: %w", err)
		}
		if revoked != nil {
			return app.ErrFeedbackCodeRevoked
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO feedback (id, code, unit_id, desk, received_at, overall, attitude, guidance, timeliness, waiting_minutes, comment)
			SELECT $1, code, unit_id, desk, $3, $4, $5, $6, $7, $8, $9 FROM feedback_code WHERE code = $2`,
			id, code, at, a.Overall, a.Attitude, a.Guidance, a.Timeliness, waiting, a.Comment); err != nil {
			return fmt.Errorf("insert feedback: %w", err)
		}
		return nil
	})
}

// Satisfaction implements app.FeedbackStore with one aggregate per desk.
func (s *Store) Satisfaction(ctx context.Context, unitID string, from, to time.Time) (app.Satisfaction, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT desk, count(*), count(*) FILTER (WHERE overall >= 4), coalesce(sum(overall), 0),
		       count(waiting_minutes), coalesce(sum(waiting_minutes), 0)
		FROM feedback WHERE unit_id::text = $1 AND received_at >= $2 AND received_at < $3
		GROUP BY desk ORDER BY desk`, unitID, from, to)
	desks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.DeskSatisfaction, error) {
		var d app.DeskSatisfaction
		err := row.Scan(&d.Desk, &d.Responses, &d.Satisfied, &d.OverallSum, &d.Waiting, &d.WaitingSum)
		return d, err
	})
	if err != nil {
		return app.Satisfaction{}, fmt.Errorf("satisfaction: %w", err)
	}
	out := app.Satisfaction{Desks: desks}
	for _, d := range desks {
		out.Responses += d.Responses
		out.Satisfied += d.Satisfied
		out.OverallSum += d.OverallSum
		out.Waiting += d.Waiting
		out.WaitingSum += d.WaitingSum
	}
	return out, nil
}
