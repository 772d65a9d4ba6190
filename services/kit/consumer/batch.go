package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg"
)

// batchLinger is how long a batch waits for one more message that is not
// there yet: short, so a quiet stream keeps its latency.
const batchLinger = 2 * time.Millisecond

// runBatches is Run in batch mode: it takes the first message as it comes,
// adds those already waiting (up to BatchSize), and applies them together.
// At shutdown the batch in hand finishes and the messages fetched but not
// started are given back (nak), for another replica or the next run.
func runBatches(ctx context.Context, cfg *Config, cons jetstream.Consumer) error {
	iter, err := cons.Messages(jetstream.PullMaxMessages(2 * cfg.BatchSize))
	if err != nil {
		return fmt.Errorf("consumer %s: messages: %w", cfg.Durable, err)
	}
	defer iter.Stop()
	for {
		first, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				iter.Drain()
				for {
					m, err := iter.Next(jetstream.NextMaxWait(100 * time.Millisecond))
					if err != nil {
						return nil
					}
					_ = m.Nak()
				}
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("consumer %s: consuming stopped (durable consumer deleted?): %w", cfg.Durable, err)
			}
			cfg.Log.WarnContext(ctx, "consumer: pull failed", "consumer", cfg.Durable, "err", err)
			continue
		}
		batch := []jetstream.Msg{first}
		for len(batch) < cfg.BatchSize {
			m, err := iter.Next(jetstream.NextMaxWait(batchLinger))
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		msgCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.AckWait)
		processBatch(msgCtx, cfg, batch)
		cancel()
	}
}

// processBatch applies first deliveries together and everything else alone.
func processBatch(ctx context.Context, cfg *Config, msgs []jetstream.Msg) {
	var (
		fresh []jetstream.Msg
		ms    []Message
		ids   []string
	)
	for _, msg := range msgs {
		meta, err := msg.Metadata()
		id := ""
		if h := msg.Headers(); h != nil {
			id = natsx.HeaderCarrier(h).Get(nats.MsgIdHdr)
		}
		if err != nil || id == "" || meta.NumDelivered > 1 {
			process(ctx, cfg, msg) // dead letters, retries and their bounds
			continue
		}
		fresh = append(fresh, msg)
		ms = append(ms, Message{ID: id, Subject: msg.Subject(), Data: msg.Data(), Header: msg.Headers(), Deliveries: meta.NumDelivered})
		ids = append(ids, id)
	}
	if len(fresh) == 0 {
		return
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "process batch",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.consumer.group.name", cfg.Durable),
			attribute.Int("messaging.batch.message_count", len(fresh)),
		))
	defer span.End()
	err := pg.InTx(ctx, cfg.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[])
			ON CONFLICT DO NOTHING RETURNING event_id`, cfg.Durable, ids)
		if err != nil {
			return fmt.Errorf("record processed events: %w", err)
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("record processed events: %w", err)
		}
		isNew := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			isNew[id] = true
		}
		var todo []Message
		for _, m := range ms {
			if isNew[m.ID] {
				todo = append(todo, m)
				delete(isNew, m.ID) // a repeat within the batch is handled once
			}
		}
		if len(todo) == 0 {
			return nil
		}
		return callBatch(ctx, cfg.HandleBatch, tx, todo)
	})
	if err == nil {
		for _, msg := range fresh {
			if err := msg.Ack(); err != nil {
				cfg.Log.WarnContext(ctx, "consumer: ack failed after commit", "consumer", cfg.Durable, "err", err)
			}
		}
		return
	}
	// Nothing committed: each message alone decides its own fate.
	cfg.Log.WarnContext(ctx, "consumer: batch failed; handling its messages one by one", "consumer", cfg.Durable,
		"messages", len(fresh), "err", err)
	for _, msg := range fresh {
		process(ctx, cfg, msg)
	}
}

// callBatch runs the batch handler, turning a panic into an error.
func callBatch(ctx context.Context, handle func(context.Context, pgx.Tx, []Message) error, tx pgx.Tx, ms []Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("batch handler panicked: %v", r)
		}
	}()
	return handle(ctx, tx, ms)
}
