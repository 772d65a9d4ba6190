package consumer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	producer = "tasktracking"
	subject  = "tasktracking.v1.task.created"
	durable  = "notification-test"
)

// effects is what handlers change; poison holds a row that makes a deferred
// constraint fail at commit when a handler inserts its twin.
var migrations = fstest.MapFS{
	"001_effects.sql": {Data: []byte(`
CREATE TABLE effects (event_id text NOT NULL, body text NOT NULL);
CREATE TABLE poison (n int CONSTRAINT poison_n_key UNIQUE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO poison VALUES (1);`)},
}

type env struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	url  string // the NATS server's
}

func newEnv(t testing.TB) *env {
	t.Helper()
	pool := pgtest.NewPool(t, migrations)
	url := natstest.Start(t)
	nc, js, err := natsx.Connect(t.Context(), url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return &env{pool: pool, js: js, url: url}
}

// publish sends body as an event with the given id ("" for none).
func (e *env) publish(t *testing.T, id, body string) {
	t.Helper()
	if _, err := natsx.EnsureStream(t.Context(), e.js, producer); err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = []byte(body)
	var opts []jetstream.PublishOpt
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	if _, err := e.js.PublishMsg(t.Context(), msg, opts...); err != nil {
		t.Fatal(err)
	}
}

// calls records what the handler was given.
type calls struct {
	mu   sync.Mutex
	msgs []consumer.Message
}

func (c *calls) add(m consumer.Message) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return len(c.msgs)
}

func (c *calls) get() []consumer.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]consumer.Message(nil), c.msgs...)
}

// run runs a consumer until stop is called or the test ends.
func (e *env) run(t *testing.T, cfg consumer.Config) (stop func()) {
	t.Helper()
	cfg.Pool, cfg.JS = e.pool, e.js
	cfg.Stream, cfg.Durable = producer, durable
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{10 * time.Millisecond}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx, cfg) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("consumer.Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitSettled waits until the consumer has answered every message in the
// stream for good (acked or terminated).
func (e *env) waitSettled(t *testing.T) {
	t.Helper()
	eventually(t, func() bool {
		s, err := e.js.Stream(t.Context(), natsx.StreamName(producer))
		if err != nil {
			return false
		}
		c, err := e.js.Consumer(t.Context(), natsx.StreamName(producer), durable)
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 &&
			info.AckFloor.Stream == s.CachedInfo().State.LastSeq
	})
}

// insertEffect is the handlers' database effect.
func insertEffect(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1, $2)", m.ID, string(m.Data))
	return err
}

func (e *env) effects(t *testing.T) []string {
	t.Helper()
	rows, err := e.pool.Query(t.Context(), "SELECT event_id || ':' || body FROM effects ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

type deadLetter struct {
	EventID, Subject, Payload, Reason string
	Deliveries                        int
}

func (e *env) deadLetters(t *testing.T) []deadLetter {
	t.Helper()
	rows, err := e.pool.Query(t.Context(), "SELECT event_id, subject, convert_from(payload, 'UTF8'), reason, deliveries FROM dead_letters ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[deadLetter])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// delivered summarises handler calls as "id:body#delivery".
func delivered(msgs []consumer.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID+":"+string(m.Data)+"#"+string(rune('0'+m.Deliveries)))
	}
	return out
}

func TestHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	e.run(t, consumer.Config{Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		c.add(m)
		return insertEffect(ctx, tx, m)
	}})
	for _, ev := range []string{"e1", "e2", "e3"} {
		e.publish(t, ev, "body-"+ev)
	}
	e.waitSettled(t)

	if diff := cmp.Diff([]string{"e1:body-e1#1", "e2:body-e2#1", "e3:body-e3#1"}, delivered(c.get())); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
	if got := c.get()[0].Subject; got != subject {
		t.Errorf("Subject = %q, want %q", got, subject)
	}
	if diff := cmp.Diff([]string{"e1:body-e1", "e2:body-e2", "e3:body-e3"}, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	var processed int
	if err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM processed_events WHERE consumer = $1", durable).Scan(&processed); err != nil {
		t.Fatal(err)
	}
	if processed != 3 {
		t.Errorf("processed_events rows = %d, want 3", processed)
	}
}

func TestRedeliveryIsHandledOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	cfg := consumer.Config{Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		c.add(m)
		return insertEffect(ctx, tx, m)
	}}
	stop := e.run(t, cfg)
	e.publish(t, "e1", "once")
	e.waitSettled(t)
	stop()

	// Recreating the durable consumer delivers the whole stream again, as
	// after a lost ack: the event id is already recorded.
	if err := e.js.DeleteConsumer(t.Context(), natsx.StreamName(producer), durable); err != nil {
		t.Fatal(err)
	}
	e.run(t, cfg)
	e.publish(t, "e2", "later")
	e.waitSettled(t)

	if diff := cmp.Diff([]string{"e1:once#1", "e2:later#1"}, delivered(c.get())); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"e1:once", "e2:later"}, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	e.run(t, consumer.Config{Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		c.add(m)
		if m.Deliveries == 1 {
			return consumer.Retry(errors.New("directory unavailable"), 20*time.Millisecond)
		}
		return insertEffect(ctx, tx, m)
	}})
	e.publish(t, "e1", "x")
	e.waitSettled(t)

	if diff := cmp.Diff([]string{"e1:x#1", "e1:x#2"}, delivered(c.get())); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"e1:x"}, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestErrorAfterWriteRollsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	e.run(t, consumer.Config{Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		n := c.add(m)
		if err := insertEffect(ctx, tx, m); err != nil {
			return err
		}
		switch n {
		case 1:
			return errors.New("failed after writing") // plain error: retried
		case 2:
			panic("handler bug after writing") // recovered: retried
		}
		return nil
	}})
	e.publish(t, "e1", "x")
	e.waitSettled(t)

	if got := len(c.get()); got != 3 {
		t.Errorf("handler calls = %d, want 3", got)
	}
	if diff := cmp.Diff([]string{"e1:x"}, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestFailedCommitIsNotAcked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	e.run(t, consumer.Config{Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		if c.add(m) == 1 {
			// Passes now, fails at commit (deferred unique constraint).
			_, err := tx.Exec(ctx, "INSERT INTO poison VALUES (1)")
			return err
		}
		return insertEffect(ctx, tx, m)
	}})
	e.publish(t, "e1", "x")
	e.waitSettled(t)

	if diff := cmp.Diff([]string{"e1:x#1", "e1:x#2"}, delivered(c.get())); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"e1:x"}, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		id        string
		handle    func(n int) error
		wantCalls int
		want      deadLetter
	}{
		{
			name:      "give up",
			id:        "e1",
			handle:    func(int) error { return consumer.GiveUp(errors.New("không đọc được nội dung")) },
			wantCalls: 1,
			want:      deadLetter{EventID: "e1", Reason: "give up: không đọc được nội dung", Deliveries: 1},
		},
		{
			name:      "retries exhausted",
			id:        "e1",
			handle:    func(n int) error { return errors.New("still failing") },
			wantCalls: 3,
			want:      deadLetter{EventID: "e1", Reason: "last of 3 deliveries failed: still failing", Deliveries: 3},
		},
		{
			name:      "explicit retry on the last delivery",
			id:        "e1",
			handle:    func(n int) error { return consumer.Retry(errors.New("busy"), time.Millisecond) },
			wantCalls: 3,
			want:      deadLetter{EventID: "e1", Reason: "last of 3 deliveries failed: retry later: busy", Deliveries: 3},
		},
		{
			name:   "missing event id",
			handle: func(int) error { return nil },
			want:   deadLetter{Reason: consumer.ErrMissingID.Error(), Deliveries: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var c calls
			e.run(t, consumer.Config{MaxDeliver: 3, Handle: func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
				n := c.add(m)
				if err := insertEffect(ctx, tx, m); err != nil {
					return err
				}
				return tt.handle(n)
			}})
			e.publish(t, tt.id, "payload")
			e.waitSettled(t) // terminated messages count as answered

			if got := len(c.get()); got != tt.wantCalls {
				t.Errorf("handler calls = %d, want %d", got, tt.wantCalls)
			}
			want := tt.want
			want.Subject, want.Payload = subject, "payload"
			if diff := cmp.Diff([]deadLetter{want}, e.deadLetters(t)); diff != "" {
				t.Errorf("dead letters (-want +got):\n%s", diff)
			}
			if got := e.effects(t); len(got) != 0 {
				t.Errorf("effects = %v, want none (rolled back)", got)
			}
		})
	}
}

// TestTraceContinuesFromProducer follows one event from a use case's
// transaction through the outbox relay and JetStream to the handler.
func TestTraceContinuesFromProducer(t *testing.T) {
	// Not parallel with itself; the global provider is restored after.
	tp := sdktrace.NewTracerProvider()
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})

	e := newEnv(t)
	if _, err := natsx.EnsureStream(t.Context(), e.js, producer); err != nil {
		t.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(t.Context())
	relayDone := make(chan error, 1)
	go func() {
		relayDone <- (&outbox.Relay{Pool: e.pool, JS: e.js, Poll: 20 * time.Millisecond}).Run(relayCtx)
	}()
	t.Cleanup(func() { stopRelay(); <-relayDone })

	traces := make(chan trace.TraceID, 1)
	e.run(t, consumer.Config{Handle: func(ctx context.Context, _ pgx.Tx, m consumer.Message) error {
		if !strings.HasPrefix(m.Header.Get(outbox.HeaderEventType), "google.protobuf.") {
			return consumer.GiveUp(errors.New("unexpected event type"))
		}
		traces <- trace.SpanContextFromContext(ctx).TraceID()
		return nil
	}})

	ctx, span := tp.Tracer("test").Start(t.Context(), "CreateTask")
	err := pg.InTx(ctx, e.pool, func(tx pgx.Tx) error {
		_, err := outbox.Add(ctx, tx, subject, wrapperspb.String("task-1"))
		return err
	})
	span.End()
	if err != nil {
		t.Fatal(err)
	}

	select {
	case got := <-traces:
		if want := span.SpanContext().TraceID(); got != want {
			t.Errorf("handler trace id = %s, want the producer's %s", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("event not handled within 10s")
	}
}

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunFailsWhenDurableIsDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- consumer.Run(ctx, consumer.Config{
			Pool: e.pool, JS: e.js, Stream: producer, Durable: durable,
			Handle: func(context.Context, pgx.Tx, consumer.Message) error { return nil },
		})
	}()
	e.publish(t, "e1", "x")
	e.waitSettled(t)
	if err := e.js.DeleteConsumer(t.Context(), natsx.StreamName(producer), durable); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run returned nil after its durable consumer was deleted, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running 10s after its durable consumer was deleted")
	}
}
