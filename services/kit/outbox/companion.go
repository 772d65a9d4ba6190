package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
)

// Companion is an event that rides along with the first event a call adds: kit/audit
// puts one in the context of each mutating gRPC call, so the audit record commits in the
// same transaction as the change it records, and is lost or kept with it. The first Add
// whose context carries the companion writes it (with its fixed id) in the same
// transaction; later Adds of that transaction leave it alone.
type Companion struct {
	// ID is the event id (Nats-Msg-Id); fixed, so a later write of the same event
	// (WriteCompanion) cannot duplicate it.
	ID string
	// Subject is where the companion is published.
	Subject string
	// Build makes the companion's message when it is written; trigger is the event the
	// call added (it may name the resource a creation request could not).
	Build func(ctx context.Context, trigger proto.Message) proto.Message

	// mu guards tx: a handler may add events from more than one goroutine.
	mu sync.Mutex
	// tx is the transaction the companion was written in, nil before.
	tx pgx.Tx
}

type companionKey struct{}

// WithCompanion returns ctx carrying c for the Adds made under it.
func WithCompanion(ctx context.Context, c *Companion) context.Context {
	return context.WithValue(ctx, companionKey{}, c)
}

// Attached reports whether Add has written the companion in some transaction. That
// transaction may still have rolled back: see Committed.
func (c *Companion) Attached() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tx != nil
}

// Committed reports whether the companion's event is in the outbox, as seen by q (a
// committed write; a concurrent uncommitted one is not seen and does not block).
func (c *Companion) Committed(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox_events WHERE id = $1)`, c.ID).Scan(&ok)
	return ok, err
}

// attach writes c in tx when no transaction has it yet. Only the first transaction of a
// call gets it: writing it again in a later one could wait on the first one's row while
// that transaction is still open. When the first transaction rolled back, the
// interceptor sees the event missing after the call (Committed) and writes it then.
func (c *Companion) attach(ctx context.Context, tx pgx.Tx, trigger proto.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tx != nil {
		return nil
	}
	if err := WriteCompanion(ctx, tx, c, trigger); err != nil {
		return err
	}
	c.tx = tx
	return nil
}

// WriteCompanion writes c's event in tx unless an event with its id is already in the
// outbox. The interceptor that made c uses it when the call wrote no event of its own (or
// failed), in a transaction of its own.
func WriteCompanion(ctx context.Context, tx pgx.Tx, c *Companion, trigger proto.Message) error {
	if c.ID == "" || c.Subject == "" || c.Build == nil {
		return errors.New("outbox: companion needs ID, Subject and Build")
	}
	msg := c.Build(ctx, trigger)
	payload, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("outbox: marshal %T: %w", msg, err)
	}
	_, err = tx.Exec(ctx, `
		WITH ins AS (
			INSERT INTO outbox_events (id, subject, event_type, payload, headers)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING
			RETURNING 1
		)
		SELECT pg_notify('`+notifyChannel+`', '') FROM ins`,
		c.ID, c.Subject, string(msg.ProtoReflect().Descriptor().FullName()), payload, traceHeaders(ctx))
	if err != nil {
		return fmt.Errorf("outbox: insert companion event on %s: %w", c.Subject, err)
	}
	return nil
}
