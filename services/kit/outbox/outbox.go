// Package outbox publishes domain events reliably: a store writes the event in
// the same transaction as the state change it announces (Add), and a Relay
// publishes committed events to JetStream in order and marks them sent. An
// event is therefore published if and only if its transaction committed.
//
// Delivery is at least once at the relay (it may publish, then die before
// marking the row) and exactly once in the stream within JetStream's duplicate
// window, because the event id is sent as Nats-Msg-Id. Consumers record event
// ids (kit/consumer), so later duplicates change nothing either.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/parindex/platform/services/kit/natsx"
)

// HeaderEventType carries the full protobuf name of the payload, so consumers
// can dispatch without parsing the subject.
const HeaderEventType = "Par-Event-Type"

// notifyChannel is the LISTEN/NOTIFY channel Add signals on commit.
const notifyChannel = "outbox_events"

// relayLockKey is a transaction-level advisory lock: one relay publishes at a
// time per database, which keeps events in seq order when a service runs
// several replicas (SKIP LOCKED alone would let two replicas publish
// neighbouring batches at once, out of order).
const relayLockKey int64 = 0x7061725f6f757462 // "par_outb"

const tracerName = "github.com/parindex/platform/services/kit/outbox"

// Relay defaults.
const (
	DefaultBatch     = 100
	DefaultPoll      = time.Second
	DefaultRetention = 7 * 24 * time.Hour
	cleanupEvery     = time.Hour
	minBackoff       = 200 * time.Millisecond
	maxBackoff       = 10 * time.Second
)

// Add writes msg as an event on subject in tx and returns its id (a UUIDv7,
// sent as Nats-Msg-Id). The payload is msg in binary protobuf; the trace context
// of ctx is stored with it so the trace continues through the broker. The relay
// is woken when tx commits; nothing is published if it rolls back.
func Add(ctx context.Context, tx pgx.Tx, subject string, msg proto.Message) (eventID string, err error) {
	if subject == "" {
		return "", errors.New("outbox: Add: empty subject")
	}
	payload, err := proto.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("outbox: marshal %T: %w", msg, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("outbox: event id: %w", err)
	}
	// One round trip: insert and notify. Notifications are delivered on
	// commit, and identical ones in a transaction are folded into one.
	_, err = tx.Exec(ctx, `
		WITH ins AS (
			INSERT INTO outbox_events (id, subject, event_type, payload, headers)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING 1
		)
		SELECT pg_notify('`+notifyChannel+`', '') FROM ins`,
		id.String(), subject, string(msg.ProtoReflect().Descriptor().FullName()), payload, traceHeaders(ctx))
	if err != nil {
		return "", fmt.Errorf("outbox: insert event on %s: %w", subject, err)
	}
	if c, ok := ctx.Value(companionKey{}).(*Companion); ok && c != nil {
		if err := c.attach(ctx, tx, msg); err != nil {
			return "", err
		}
	}
	return id.String(), nil
}

// traceHeaders captures the trace context of ctx, stored with an event so the trace
// continues through the broker.
func traceHeaders(ctx context.Context) map[string]string {
	headers := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, headers)
	return headers
}

// Relay publishes committed outbox events to JetStream, oldest first, and
// marks them published. Run one per service process; replicas may each run one
// on the same database: they take turns and never publish an event twice.
//
// Events are published in seq order, which is the order transactions wrote
// them, not necessarily the order they committed: two concurrent transactions
// may commit in the other order. Changes to one aggregate are serialised by
// its row lock, so events about one aggregate keep their order.
type Relay struct {
	// Pool supplies the connection settings. The relay opens its own two
	// connections from them (one for LISTEN), without query tracing, so its
	// polling does not add a trace every second.
	Pool *pgxpool.Pool
	// JS publishes the events; the producer's stream must exist
	// (natsx.EnsureStream).
	JS jetstream.JetStream
	// Log receives failures; nil means slog.Default().
	Log *slog.Logger
	// Batch is the most events published per transaction; 0 means DefaultBatch.
	Batch int
	// Poll is how long to wait between empty batches when no notification
	// arrives (notifications may be lost while reconnecting); 0 means
	// DefaultPoll.
	Poll time.Duration
	// Retention is how long published rows are kept before deletion; 0 means
	// DefaultRetention.
	Retention time.Duration
}

// outboxRow is one event read back for publishing.
type outboxRow struct {
	Seq       int64
	ID        string
	Subject   string
	EventType string
	Payload   []byte
	Headers   map[string]string
}

// Run publishes events until ctx ends, then returns nil. Publish failures are
// retried with a bounded exponential backoff; database failures likewise. It
// returns an error only if the relay cannot start.
func (r *Relay) Run(ctx context.Context) error {
	if r.Pool == nil || r.JS == nil {
		return errors.New("outbox: Relay needs Pool and JS")
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	batch := cmpOr(r.Batch, DefaultBatch)
	poll := cmpOr(r.Poll, DefaultPoll)
	retention := cmpOr(r.Retention, DefaultRetention)

	cfg := r.Pool.Config()
	cfg.ConnConfig.Tracer = nil
	cfg.MaxConns, cfg.MinConns = 1, 0
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("outbox: relay pool: %w", err)
	}
	defer db.Close()

	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	listenCtx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	wg.Go(func() { listen(listenCtx, cfg.ConnConfig, log, wake) })

	timer := time.NewTimer(0)
	defer timer.Stop()
	var (
		failures    int
		nextCleanup time.Time
	)
	for {
		if now := time.Now(); !now.Before(nextCleanup) {
			if err := cleanup(ctx, db, retention); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "outbox relay: delete old published events", "err", err)
			}
			nextCleanup = now.Add(cleanupEvery)
		}

		n, err := publishBatch(ctx, db, r.JS, batch)
		if ctx.Err() != nil {
			return nil
		}
		var wait time.Duration
		wakeOn := wake
		switch {
		case err != nil:
			failures++
			wait = backoff(failures)
			wakeOn = nil // a notification must not cut the backoff short
			if failures == 1 {
				log.ErrorContext(ctx, "outbox relay: publishing failed; retrying with backoff", "err", err)
			} else {
				log.DebugContext(ctx, "outbox relay: publishing failed again", "err", err, "attempt", failures, "next_in", wait)
			}
		case failures > 0:
			log.InfoContext(ctx, "outbox relay: publishing again", "failed_attempts", failures)
			failures = 0
			continue
		case n == batch:
			continue // more may be waiting
		default:
			wait = poll
		}

		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-wakeOn:
		case <-timer.C:
		}
		// Since Go 1.23 Reset needs no drained channel, so an early wake-up
		// leaves nothing stale behind.
	}
}

// publishBatch publishes up to limit unpublished events in one transaction
// and marks those that were published. It returns how many it published and
// the first publish error, if any: later events wait so that order is kept.
func publishBatch(ctx context.Context, db *pgxpool.Pool, js jetstream.JetStream, limit int) (int, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var ours bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", relayLockKey).Scan(&ours); err != nil {
		return 0, fmt.Errorf("outbox: relay lock: %w", err)
	}
	if !ours {
		return 0, nil // another relay is publishing; it will drain the table
	}
	rows, err := tx.Query(ctx, `
		SELECT seq, id, subject, event_type, payload, headers
		FROM outbox_events
		WHERE published_at IS NULL
		ORDER BY seq
		LIMIT $1
		FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return 0, fmt.Errorf("outbox: select pending events: %w", err)
	}
	pending, err := pgx.CollectRows(rows, pgx.RowToStructByPos[outboxRow])
	if err != nil {
		return 0, fmt.Errorf("outbox: read pending events: %w", err)
	}
	if len(pending) == 0 {
		return 0, nil
	}

	sent := make([]int64, 0, len(pending))
	var pubErr error
	for _, ev := range pending {
		if err := publish(ctx, js, ev); err != nil {
			pubErr = fmt.Errorf("outbox: publish event %s on %s: %w", ev.ID, ev.Subject, err)
			break
		}
		sent = append(sent, ev.Seq)
	}
	if len(sent) == 0 {
		return 0, pubErr
	}
	// If marking fails the events are published again later; JetStream drops
	// the repeats by Nats-Msg-Id.
	if _, err := tx.Exec(ctx, "UPDATE outbox_events SET published_at = now() WHERE seq = ANY($1)", sent); err != nil {
		return 0, errors.Join(pubErr, fmt.Errorf("outbox: mark published: %w", err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, errors.Join(pubErr, fmt.Errorf("outbox: commit published marks: %w", err))
	}
	return len(sent), pubErr
}

// publish sends one event inside a producer span that continues the trace
// stored with the event; the message carries that span as its parent, so the
// consumer's span joins the same trace.
func publish(ctx context.Context, js jetstream.JetStream, ev outboxRow) error {
	prop := otel.GetTextMapPropagator()
	ctx = prop.Extract(ctx, propagation.MapCarrier(ev.Headers))
	ctx, span := otel.Tracer(tracerName).Start(ctx, "publish "+ev.Subject,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", ev.Subject),
			attribute.String("messaging.message.id", ev.ID),
			attribute.String("par.event_type", ev.EventType),
		))
	defer span.End()

	msg := &nats.Msg{Subject: ev.Subject, Data: ev.Payload, Header: nats.Header{}}
	for k, v := range ev.Headers { // baggage and anything else stored
		msg.Header[k] = []string{v}
	}
	prop.Inject(ctx, natsx.HeaderCarrier(msg.Header))
	msg.Header[HeaderEventType] = []string{ev.EventType}

	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish failed")
		return err
	}
	span.SetAttributes(attribute.Bool("messaging.nats.duplicate", ack.Duplicate))
	return nil
}

// listen turns NOTIFYs on the outbox channel into wake-ups, reconnecting with
// backoff if its connection fails; meanwhile the relay falls back to polling.
func listen(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger, wake chan<- struct{}) {
	for failures := 0; ; failures++ {
		err := listenOnce(ctx, cfg, wake, func() { failures = 0 })
		if ctx.Err() != nil {
			return
		}
		if failures == 0 {
			log.WarnContext(ctx, "outbox relay: LISTEN connection failed; polling until it is back", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff(failures + 1)):
		}
	}
}

func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, wake chan<- struct{}, listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		// Also after (re)connecting: events may have been committed while
		// nobody listened.
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
	}
}

// cleanup deletes events published longer than retention ago: they are in the
// stream, and the table stays small.
func cleanup(ctx context.Context, db *pgxpool.Pool, retention time.Duration) error {
	_, err := db.Exec(ctx, "DELETE FROM outbox_events WHERE published_at < now() - $1::interval", retention)
	return err
}

// backoff returns minBackoff doubled per failure after the first, capped at
// maxBackoff.
func backoff(failures int) time.Duration {
	d := minBackoff
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// cmpOr returns v, or def when v is zero or negative.
func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
