// Package consumer runs a service's JetStream consumers so that every event
// takes effect exactly once: the handler runs in a database transaction that
// also records the event id in processed_events, the message is acknowledged
// only after that transaction commits, and a redelivered event whose id is
// already recorded is acknowledged without calling the handler again.
//
// The handler chooses each message's fate by its return value: nil (ack),
// Retry (redeliver later, up to MaxDeliver deliveries), GiveUp (record a dead
// letter and terminate). Any other error counts as a retry with exponential
// backoff. Deliveries are bounded here rather than by the server, so a dead
// letter that cannot be written yet is retried instead of lost.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg"
)

// Defaults for Config.
const (
	DefaultMaxDeliver = 8
	DefaultAckWait    = 30 * time.Second
	// Default backoff for retries: 1 s doubled per delivery, at most a minute
	// (1+2+4+…+60 s ≈ 2 min over the default 8 deliveries).
	defaultBackoffBase = time.Second
	defaultBackoffMax  = time.Minute
	// pullBatch is how many messages are fetched ahead. Kept small because
	// the AckWait clock runs while a message waits in the client's buffer,
	// and handling is one message at a time.
	pullBatch = 16
)

const tracerName = "github.com/parindex/platform/services/kit/consumer"

// ErrMissingID is the dead-letter reason for a message without a Nats-Msg-Id
// header: without an event id it cannot be de-duplicated, so it is not handled.
var ErrMissingID = errors.New("consumer: message has no Nats-Msg-Id header")

// Message is one delivered event.
type Message struct {
	// ID is the event id (Nats-Msg-Id header).
	ID string
	// Subject is the subject it was published on, e.g. "tasktracking.v1.task.created".
	Subject string
	// Data is the payload, the producer's protobuf message in binary.
	Data []byte
	// Header holds all message headers (Par-Event-Type, trace context, …).
	Header nats.Header
	// Deliveries counts deliveries of this message, 1 on the first.
	Deliveries uint64
}

// Config describes one durable consumer.
type Config struct {
	// Pool is the service's database, which holds processed_events and
	// dead_letters (pg.Migrate).
	Pool *pgxpool.Pool
	// JS is the JetStream context.
	JS jetstream.JetStream
	// Stream is the producer service whose events are consumed, e.g.
	// "tasktracking"; its stream is created if missing.
	Stream string
	// Durable names the consumer, "<consumer service>-<purpose>"; replicas
	// using the same name share the work.
	Durable string
	// FilterSubjects restricts the subjects consumed; empty means all of the
	// producer's ("<producer>.v1.>").
	FilterSubjects []string
	// MaxDeliver bounds deliveries of one message; when the last one fails
	// the message is dead-lettered. 0 means DefaultMaxDeliver.
	MaxDeliver int
	// AckWait is how long the server waits for an answer before redelivering,
	// and so also the time limit of one Handle call. 0 means DefaultAckWait.
	AckWait time.Duration
	// Backoff lists retry delays by delivery (the first for a failed first
	// delivery; the last repeats) for errors that name no delay of their own.
	// Empty means 1 s doubling up to a minute.
	Backoff []time.Duration
	// Log receives one record per failure; nil means slog.Default().
	Log *slog.Logger
	// Handle applies one event within tx. It must use tx for its database
	// effects so they commit together with the processed-event record.
	Handle func(ctx context.Context, tx pgx.Tx, m Message) error
	// HandleBatch, when set, turns on batch mode: up to BatchSize messages
	// that are already waiting are applied in one transaction (one commit, one
	// processed-events insert), which multiplies throughput under a sustained
	// stream. It receives only events not processed before, each once. If it
	// fails, every message of the batch is handled alone (through Handle, or
	// HandleBatch with one message), so one bad message affects only itself.
	// Redelivered messages are always handled alone.
	HandleBatch func(ctx context.Context, tx pgx.Tx, ms []Message) error
	// BatchSize bounds a batch; 0 means DefaultBatchSize.
	BatchSize int
}

// DefaultBatchSize is the batch bound of batch mode.
const DefaultBatchSize = 256

// retryError asks for redelivery after delay (0: the configured backoff).
type retryError struct {
	err   error
	delay time.Duration
}

func (e *retryError) Error() string { return "retry later: " + e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// giveUpError asks for a dead letter and no redelivery.
type giveUpError struct{ err error }

func (e *giveUpError) Error() string { return "give up: " + e.err.Error() }
func (e *giveUpError) Unwrap() error { return e.err }

// Retry returned by a handler rolls back its transaction and has the message
// delivered again after delay (0 or less: the configured backoff), unless this
// was the last allowed delivery, in which case the message is dead-lettered.
// Use it for transient causes: a service or lock not available yet.
func Retry(err error, delay time.Duration) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &retryError{err: err, delay: delay}
}

// GiveUp returned by a handler rolls back its transaction, records the message
// in dead_letters with err as the reason and terminates it: it is not delivered
// again. Use it for messages that can never succeed (unparseable payload,
// unknown version).
func GiveUp(err error) error {
	if err == nil {
		err = errors.New("gave up")
	}
	return &giveUpError{err: err}
}

// Run ensures the producer's stream and the durable pull consumer exist, then
// handles messages one at a time until ctx ends. It then lets the message in
// hand finish (up to AckWait) and returns nil. It returns an error when it
// cannot start, or when the server ends the consumption (the durable consumer
// was deleted).
func Run(ctx context.Context, cfg Config) error {
	switch {
	case cfg.Pool == nil, cfg.JS == nil, cfg.Handle == nil && cfg.HandleBatch == nil:
		return errors.New("consumer: Config needs Pool, JS and Handle (or HandleBatch)")
	case cfg.Stream == "", cfg.Durable == "":
		return errors.New("consumer: Config needs Stream and Durable")
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	filters := cfg.FilterSubjects
	if len(filters) == 0 {
		filters = []string{natsx.StreamSubjects(cfg.Stream)}
	}

	if _, err := natsx.EnsureStream(ctx, cfg.JS, cfg.Stream); err != nil {
		return fmt.Errorf("consumer %s: %w", cfg.Durable, err)
	}
	if cfg.HandleBatch != nil && cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	cons, err := cfg.JS.CreateOrUpdateConsumer(ctx, natsx.StreamName(cfg.Stream), jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckWait:        cfg.AckWait,
		// Unlimited on the server: Run counts deliveries itself so that it
		// can still write the dead letter after the last one.
		MaxDeliver: -1,
		// Batch mode holds up to four batches unacknowledged: the one being
		// applied, the one gathered behind it and the iterator's buffer. With
		// the server's default (1000) a batch of 1024 would stop all delivery
		// until it is acknowledged, and fetching could never overlap applying.
		MaxAckPending: maxAckPending(&cfg),
	})
	if err != nil {
		return fmt.Errorf("consumer %s: create durable consumer: %w", cfg.Durable, err)
	}

	if cfg.HandleBatch != nil {
		if cfg.Handle == nil {
			batch := cfg.HandleBatch
			cfg.Handle = func(ctx context.Context, tx pgx.Tx, m Message) error { return batch(ctx, tx, []Message{m}) }
		}
		return runBatches(ctx, &cfg, cons)
	}

	// The mutex is held while a message is handled: at shutdown, taking it
	// waits for the message in hand, and stopped turns away any buffered one.
	var (
		mu      sync.Mutex
		stopped bool
	)
	handle := func(msg jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			_ = msg.Nak() // another replica, or the next run, takes it now
			return
		}
		// Not cancelled by shutdown: the message in hand finishes cleanly.
		msgCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.AckWait)
		defer cancel()
		process(msgCtx, &cfg, msg)
	}
	cc, err := cons.Consume(handle,
		jetstream.PullMaxMessages(pullBatch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			cfg.Log.WarnContext(ctx, "consumer: pull failed", "consumer", cfg.Durable, "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consumer %s: consume: %w", cfg.Durable, err)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case <-cc.Closed():
		// The library stops only for good reasons (consumer deleted, bad
		// request); failing loudly gets the process restarted and the
		// consumer recreated.
		runErr = fmt.Errorf("consumer %s: consuming stopped (durable consumer deleted?)", cfg.Durable)
	}
	cc.Stop()
	mu.Lock()
	stopped = true
	mu.Unlock()
	return runErr
}

// maxAckPending is the durable consumer's bound on unacknowledged messages:
// the server's default (0) for one-by-one mode, which holds at most two pulls
// of pullBatch.
func maxAckPending(cfg *Config) int {
	if cfg.HandleBatch == nil {
		return 0
	}
	return 4 * cfg.BatchSize
}

// process handles one message and answers the server: ack, nak with delay or
// term. Failures are logged here, once.
func process(ctx context.Context, cfg *Config, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: nothing to redeliver.
		cfg.Log.ErrorContext(ctx, "consumer: message without JetStream metadata", "consumer", cfg.Durable, "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	hdr := msg.Headers()
	m := Message{
		ID:         natsx.HeaderCarrier(hdr).Get(nats.MsgIdHdr),
		Subject:    msg.Subject(),
		Data:       msg.Data(),
		Header:     hdr,
		Deliveries: meta.NumDelivered,
	}

	// Continue the producer's trace, so the handler's logs and queries carry
	// the trace id of the request that caused the event.
	if hdr != nil {
		ctx = otel.GetTextMapPropagator().Extract(ctx, natsx.HeaderCarrier(hdr))
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "process "+m.Subject,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", m.Subject),
			attribute.String("messaging.consumer.group.name", cfg.Durable),
			attribute.String("messaging.message.id", m.ID),
			attribute.Int64("messaging.nats.deliveries", int64(m.Deliveries)), // #nosec G115 -- JetStream delivery counts and MaxDeliver are small positive numbers
		))
	defer span.End()
	log := cfg.Log.With("consumer", cfg.Durable, "event_id", m.ID, "subject", m.Subject, "deliveries", m.Deliveries)

	if m.ID == "" {
		deadLetter(ctx, cfg, log, span, msg, m, ErrMissingID)
		return
	}
	if m.Deliveries > uint64(cfg.MaxDeliver) { // #nosec G115 -- JetStream delivery counts and MaxDeliver are small positive numbers
		// Earlier deliveries ended without an answer: the process died or
		// the handler outlived AckWait.
		deadLetter(ctx, cfg, log, span, msg, m, fmt.Errorf("delivered %d times without a result (MaxDeliver %d)", m.Deliveries, cfg.MaxDeliver))
		return
	}

	var duplicate bool
	err = pg.InTx(ctx, cfg.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, cfg.Durable, m.ID)
		if err != nil {
			return fmt.Errorf("record processed event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			duplicate = true // already applied (possibly by another replica)
			return nil
		}
		return callHandler(ctx, cfg.Handle, tx, m)
	})

	var giveUp *giveUpError
	var retry *retryError
	switch {
	case err == nil:
		span.SetAttributes(attribute.Bool("par.duplicate", duplicate))
		if err := msg.Ack(); err != nil {
			// Committed: a redelivery will be recognised as a duplicate.
			log.WarnContext(ctx, "consumer: ack failed after commit", "err", err)
		}
	case errors.As(err, &giveUp):
		deadLetter(ctx, cfg, log, span, msg, m, err)
	case m.Deliveries >= uint64(cfg.MaxDeliver): // #nosec G115 -- JetStream delivery counts and MaxDeliver are small positive numbers
		deadLetter(ctx, cfg, log, span, msg, m, fmt.Errorf("last of %d deliveries failed: %w", cfg.MaxDeliver, err))
	default:
		delay := backoff(cfg.Backoff, m.Deliveries)
		if errors.As(err, &retry) && retry.delay > 0 {
			delay = retry.delay
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, "will retry")
		log.WarnContext(ctx, "consumer: handling failed; will retry", "err", err, "retry_in", delay)
		if err := msg.NakWithDelay(delay); err != nil {
			log.WarnContext(ctx, "consumer: nak failed; the server redelivers after AckWait", "err", err)
		}
	}
}

// callHandler runs the handler, turning a panic into an error so that it rolls
// the transaction back and is retried instead of killing the process.
func callHandler(ctx context.Context, handle func(context.Context, pgx.Tx, Message) error, tx pgx.Tx, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return handle(ctx, tx, m)
}

// deadLetter records the message in dead_letters and terminates it. If the
// record cannot be written the message is redelivered later so that it is not
// lost silently.
func deadLetter(ctx context.Context, cfg *Config, log *slog.Logger, span trace.Span, msg jetstream.Msg, m Message, reason error) {
	span.RecordError(reason)
	span.SetStatus(codes.Error, "dead-lettered")
	headers := map[string][]string(m.Header)
	if headers == nil {
		headers = map[string][]string{}
	}
	_, err := cfg.Pool.Exec(ctx, `
		INSERT INTO dead_letters (consumer, event_id, subject, payload, headers, reason, deliveries)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		cfg.Durable, m.ID, m.Subject, m.Data, headers, reason.Error(), int64(m.Deliveries)) // #nosec G115 -- JetStream delivery counts and MaxDeliver are small positive numbers
	if err != nil {
		delay := backoff(cfg.Backoff, m.Deliveries)
		log.ErrorContext(ctx, "consumer: giving up on message but cannot record the dead letter; will try again", "reason", reason, "err", err, "retry_in", delay)
		_ = msg.NakWithDelay(delay)
		return
	}
	log.ErrorContext(ctx, "consumer: message dead-lettered", "reason", reason)
	if err := msg.TermWithReason(truncate(reason.Error(), 200)); err != nil {
		// Redelivered later: handled again or dead-lettered once more.
		log.WarnContext(ctx, "consumer: term failed", "err", err)
	}
}

// backoff returns the retry delay after delivery n failed.
func backoff(delays []time.Duration, n uint64) time.Duration {
	if len(delays) > 0 {
		i := min(int(max(n, 1))-1, len(delays)-1) // #nosec G115 -- JetStream delivery counts and MaxDeliver are small positive numbers
		return delays[i]
	}
	d := defaultBackoffBase
	for i := uint64(1); i < n && d < defaultBackoffMax; i++ {
		d *= 2
	}
	return min(d, defaultBackoffMax)
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence
// (reasons are often Vietnamese).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
