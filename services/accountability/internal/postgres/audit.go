package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/accountability/internal/app"
)

// AuditRecords returns the trail of an entity kind (one id, or all when id is empty),
// after the sequence number after, oldest first.
func (s *Store) AuditRecords(ctx context.Context, entity, id string, after int64, limit int) ([]app.AuditRecord, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT id, entity, entity_id, action, actor_user_id, actor_name, at, coalesce(before::text,''), coalesce(after::text,''), reason
		FROM audit_record
		WHERE entity = $1 AND ($2 = '' OR entity_id = $2) AND id > $3
		ORDER BY id LIMIT $4`, entity, id, after, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.AuditRecord, error) {
		var r app.AuditRecord
		var at time.Time
		err := row.Scan(&r.ID, &r.Entity, &r.EntityID, &r.Action, &r.ActorUserID, &r.ActorName, &at, &r.Before, &r.After, &r.Reason)
		r.Time = at.UTC()
		return r, err
	})
}
