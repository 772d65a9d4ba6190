package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Escalator implements app.Escalations on a pool: each batch is one transaction, so a watch
// is escalated, and its notices written, exactly once even with two replicas.
type Escalator struct{ Pool *pgxpool.Pool }

// EscalateDue takes up to limit watches due at now (SKIP LOCKED: replicas take disjoint
// ones), lets notify write their notices through the transaction's store, and marks them
// escalated.
func (e Escalator) EscalateDue(ctx context.Context, now time.Time, limit int, notify func(app.TxStore, app.Watch) error) (int, error) {
	var n int
	err := pg.InTx(ctx, e.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT key, source_event_id, event_type, title, body, link, due_time, change_time
			FROM escalations WHERE state = 'waiting' AND due_time <= $1
			ORDER BY due_time LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
		if err != nil {
			return fmt.Errorf("select due escalations: %w", err)
		}
		ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (app.Watch, error) {
			var w app.Watch
			var m notice.Message
			err := r.Scan(&w.Key, &w.SourceEventID, &w.EventType, &m.Title, &m.Body, &m.Link, &w.Due, &w.Since)
			w.Message = m
			return w, err
		})
		if err != nil {
			return fmt.Errorf("select due escalations: %w", err)
		}
		st := New(tx)
		for _, w := range ws {
			if err := notify(st, w); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE escalations SET state = 'escalated', change_time = $2 WHERE key = $1`, w.Key, now); err != nil {
				return fmt.Errorf("mark escalated: %w", err)
			}
		}
		n = len(ws)
		return nil
	})
	return n, err
}
