package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Digester folds e-mails held for the daily digest into one e-mail per recipient.
type Digester struct{ Pool *pgxpool.Pool }

// FoldDigests takes the held e-mails created before cutoff (SKIP LOCKED: replicas take
// disjoint ones) and, per recipient, queues the e-mail build returns and marks the held ones
// digested, in one transaction. A digest whose id (event, channel, recipient) was already
// queued — the day's digest went out before a late e-mail was held — leaves that e-mail for
// the next day's digest, so nothing is folded into a digest that is never sent.
func (d Digester) FoldDigests(ctx context.Context, cutoff time.Time, build func(recipient string, held []notice.Delivery) notice.Delivery) (int, error) {
	var n int
	err := pg.InTx(ctx, d.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE state = 'digest' AND create_time < $1 ORDER BY recipient, create_time FOR UPDATE SKIP LOCKED`, cutoff)
		if err != nil {
			return fmt.Errorf("select held e-mails: %w", err)
		}
		held, err := pgx.CollectRows(rows, scanDelivery)
		if err != nil {
			return fmt.Errorf("select held e-mails: %w", err)
		}
		st := New(tx)
		for i := 0; i < len(held); {
			j := i
			for j < len(held) && held[j].Recipient == held[i].Recipient {
				j++
			}
			group := held[i:j]
			i = j
			added, err := st.AddDeliveries(ctx, []notice.Delivery{build(group[0].Recipient, group)})
			if err != nil {
				return err
			}
			if added == 0 {
				continue
			}
			var ids []string
			for _, h := range group {
				ids = append(ids, h.ID)
			}
			if _, err := tx.Exec(ctx, `UPDATE deliveries SET state = 'digested' WHERE id = ANY($1::uuid[])`, ids); err != nil {
				return fmt.Errorf("mark digested: %w", err)
			}
			n++
		}
		return nil
	})
	return n, err
}
