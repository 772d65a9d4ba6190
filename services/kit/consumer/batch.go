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
// A puller goroutine keeps taking messages off the iterator while a batch is
// applied, so the next batch is already in memory when the current one
// commits: pulling and applying overlap instead of taking turns (they are
// about equally long for a handler that does little). Batches are still
// applied one after another, in stream order: a reaction must not commit
// before the watch it ends.
// At shutdown the batch in hand finishes and the messages fetched but not
// started are given back (nak), for another replica or the next run.
func runBatches(ctx context.Context, cfg *Config, cons jetstream.Consumer) error {
	iter, err := cons.Messages(jetstream.PullMaxMessages(2 * cfg.BatchSize))
	if err != nil {
		return fmt.Errorf("consumer %s: messages: %w", cfg.Durable, err)
	}
	defer iter.Stop()
	pulled := make(chan jetstream.Msg, cfg.BatchSize)
	closed := make(chan error, 1) // the iterator ended without ctx ending
	go pull(ctx, cfg, iter, pulled, closed)

	recheck := false
	linger := time.NewTimer(batchLinger)
	linger.Stop()
	batch := make([]jetstream.Msg, 0, cfg.BatchSize)
	for {
		first, ok := <-pulled
		if !ok || ctx.Err() != nil {
			if first != nil {
				_ = first.Nak()
			}
			return stopBatches(ctx, cfg, iter, pulled, closed)
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < cfg.BatchSize {
			select {
			case m, ok := <-pulled:
				if !ok {
					break fill
				}
				batch = append(batch, m)
				continue
			default:
			}
			// Nothing waiting: one timer for the whole wait, not one per message.
			linger.Reset(batchLinger)
			select {
			case m, ok := <-pulled:
				linger.Stop()
				if !ok {
					break fill
				}
				batch = append(batch, m)
			case <-linger.C:
				break fill
			}
		}
		msgCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.AckWait)
		processBatch(msgCtx, cfg, batch, &recheck)
		cancel()
		clear(batch) // let the payloads go while the next batch gathers
	}
}

// pull moves messages from the iterator to pulled until ctx ends or the
// iterator is closed for good (reported on closed), then closes pulled.
func pull(ctx context.Context, cfg *Config, iter jetstream.MessagesContext, pulled chan<- jetstream.Msg, closed chan<- error) {
	defer close(pulled)
	for {
		m, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				closed <- err
				return
			}
			cfg.Log.WarnContext(ctx, "consumer: pull failed", "consumer", cfg.Durable, "err", err)
			continue
		}
		select {
		case pulled <- m:
		case <-ctx.Done():
			_ = m.Nak()
			return
		}
	}
}

// stopBatches ends batch mode: when ctx ended, every message fetched but not
// started is given back; otherwise the iterator closed on its own, which is
// reported.
func stopBatches(ctx context.Context, cfg *Config, iter jetstream.MessagesContext, pulled <-chan jetstream.Msg, closed <-chan error) error {
	for m := range pulled { // until the puller has left the iterator
		_ = m.Nak()
	}
	if ctx.Err() == nil {
		err := <-closed
		return fmt.Errorf("consumer %s: consuming stopped (durable consumer deleted?): %w", cfg.Durable, err)
	}
	iter.Drain()
	for {
		m, err := iter.Next(jetstream.NextMaxWait(100 * time.Millisecond))
		if err != nil {
			return nil
		}
		_ = m.Nak()
	}
}

// errSeenBefore reports that a batch assumed new held an event recorded
// before: the batch is applied again with the check that skips such events.
var errSeenBefore = errors.New("consumer: batch holds an event processed before")

// processBatch applies first deliveries together and everything else alone.
// *recheck says whether the previous batch met events processed before (a
// durable consumer recreated, so replaying): then this one is checked event by
// event from the start instead of first assumed new.
func processBatch(ctx context.Context, cfg *Config, msgs []jetstream.Msg, recheck *bool) {
	var (
		fresh []jetstream.Msg
		ms    []Message
		ids   []string
	)
	seen := make(map[string]bool, len(msgs))
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
		fresh = append(fresh, msg) // acked with the batch
		if seen[id] {
			continue // a repeat within the batch is handled once
		}
		seen[id] = true
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
	var err error
	if !*recheck {
		err = pg.InTx(ctx, cfg.Pool, func(tx pgx.Tx) error { return applyNew(ctx, cfg, tx, ids, ms) })
		*recheck = errors.Is(err, errSeenBefore)
	}
	if *recheck {
		var seenBefore bool
		err = pg.InTx(ctx, cfg.Pool, func(tx pgx.Tx) (err error) {
			seenBefore, err = applyUnseen(ctx, cfg, tx, ids, ms)
			return err
		})
		*recheck = err != nil || seenBefore // the replay is over when a batch is all new
	}
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

// applyNew records the events as processed with a plain INSERT and applies
// them all. First deliveries are new but for rare cases (a durable consumer
// recreated replays the stream; an id published twice beyond JetStream's
// duplicate window), and a plain INSERT costs PostgreSQL about 40 % less than
// one with ON CONFLICT (BenchmarkNoOpFloor). An event recorded before fails
// the INSERT before any handler ran, and the batch goes to applyUnseen.
func applyNew(ctx context.Context, cfg *Config, tx pgx.Tx, ids []string, ms []Message) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[])`, cfg.Durable, ids)
	if _, dup := pg.IsUniqueViolation(err); dup {
		return errSeenBefore
	}
	if err != nil {
		return fmt.Errorf("record processed events: %w", err)
	}
	return callBatch(ctx, cfg.HandleBatch, tx, ms)
}

// applyUnseen records the events not recorded before (possibly by another
// replica) and applies only those; seenBefore says whether there were others.
func applyUnseen(ctx context.Context, cfg *Config, tx pgx.Tx, ids []string, ms []Message) (seenBefore bool, err error) {
	rows, err := tx.Query(ctx, `
		INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[])
		ON CONFLICT DO NOTHING RETURNING event_id`, cfg.Durable, ids)
	if err != nil {
		return false, fmt.Errorf("record processed events: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, fmt.Errorf("record processed events: %w", err)
	}
	if len(inserted) == len(ms) {
		return false, callBatch(ctx, cfg.HandleBatch, tx, ms)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	var todo []Message
	for _, m := range ms {
		if isNew[m.ID] {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return true, nil
	}
	return true, callBatch(ctx, cfg.HandleBatch, tx, todo)
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
