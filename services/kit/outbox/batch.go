package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
)

// Event is one event of AddBatch: a payload and the subject it is published on.
type Event struct {
	Subject string
	Msg     proto.Message
}

// AddBatch writes events in tx like Add, in order, with one COPY instead of one statement
// per event: a publication that announces ten thousand results stays one short transaction.
// It returns the event ids in the order of events. The trace context of ctx is stored with
// every event.
func AddBatch(ctx context.Context, tx pgx.Tx, events []Event) ([]string, error) {
	if len(events) == 0 {
		return nil, nil
	}
	headers := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, headers)
	// Encoded once for every row: the same trace context travels with each event.
	hdr, err := json.Marshal(map[string]string(headers))
	if err != nil {
		return nil, fmt.Errorf("outbox: headers: %w", err)
	}

	ids := make([]string, len(events))
	rows := make([][]any, len(events))
	for i, ev := range events {
		if ev.Subject == "" {
			return nil, errors.New("outbox: AddBatch: empty subject")
		}
		payload, err := proto.Marshal(ev.Msg)
		if err != nil {
			return nil, fmt.Errorf("outbox: marshal %T: %w", ev.Msg, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("outbox: event id: %w", err)
		}
		ids[i] = id.String()
		rows[i] = []any{ids[i], ev.Subject, string(ev.Msg.ProtoReflect().Descriptor().FullName()), payload, hdr}
	}
	// seq comes from its sequence in row order, so the relay publishes in the order given.
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox_events"},
		[]string{"id", "subject", "event_type", "payload", "headers"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("outbox: copy %d events: %w", len(rows), err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`); err != nil {
		return nil, fmt.Errorf("outbox: notify: %w", err)
	}
	if c, ok := ctx.Value(companionKey{}).(*Companion); ok && c != nil {
		if err := c.attach(ctx, tx, events[0].Msg); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
