package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// CopyNew writes the inbox items (giving those without an id their itemID) and deliveries of events seen
// for the first time in this transaction with COPY, the cheapest way into PostgreSQL: no statement per row, no
// parameter arrays to build and unpack, no speculative insertion.
//
// Why no staging table with INSERT … ON CONFLICT DO NOTHING: in the consumer's batch mode
// the events reach us only after kit/consumer recorded them in processed_events in the same
// transaction, so their rows cannot exist yet; the items' primary key (itemID, derived from
// event, unit and user) and the deliveries' unique key (event, channel, recipient) stay as
// the guard. COPY into a staging table still pays the
// speculative insertion of ON CONFLICT; COPY straight in does not (BenchmarkInboxWrite
// compares the three ways in one run). If a key is ever found taken, COPY fails, the batch
// rolls back, and kit/consumer handles each event alone through
// AddItems/AddDeliveries, which skip what exists: the guarantee holds, only slower.
func (s *Store) CopyNew(ctx context.Context, items []inbox.Item, ds []notice.Delivery) error {
	if len(items) > 0 {
		setItemIDs(items)
		_, err := s.db.CopyFrom(ctx, pgx.Identifier{"inbox_items"},
			[]string{"id", "unit_id", "user_id", "event_id", "event_type", "title", "body", "link", "urgent", "create_time"},
			pgx.CopyFromSlice(len(items), func(i int) ([]any, error) {
				it := items[i]
				return []any{it.ID, nullable(it.UnitID), nullable(it.UserID), it.EventID, it.EventType, it.Title, it.Body,
					it.Link, it.Urgent, it.CreateTime}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy %d inbox items: %w", len(items), err)
		}
		if err := s.announce(ctx, items); err != nil {
			return err
		}
	}
	if len(ds) > 0 {
		_, err := s.db.CopyFrom(ctx, pgx.Identifier{"deliveries"},
			[]string{"id", "event_id", "event_type", "channel", "recipient", "subject", "state", "body", "next_attempt_time", "create_time"},
			pgx.CopyFromSlice(len(ds), func(i int) ([]any, error) {
				d := ds[i]
				return []any{d.ID, d.EventID, d.EventType, d.Channel, d.Recipient, d.Subject, d.State, d.Body, d.NextAttempt, d.CreateTime}, nil
			}))
		if err != nil {
			return fmt.Errorf("copy %d deliveries: %w", len(ds), err)
		}
	}
	return nil
}
