package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const subject = "tasktracking.v1.task.created"

// env is one test's database, broker and stream.
type env struct {
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	stream jetstream.Stream
	spans  *tracetest.SpanRecorder
}

// newEnv gives the test a fresh database and JetStream server, and records
// spans through the global tracer provider (so tests using it do not run in
// parallel).
func newEnv(t *testing.T) *env {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})

	pool := pgtest.NewPool(t, nil)
	nc, js, err := natsx.Connect(t.Context(), natstest.Start(t), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	stream, err := natsx.EnsureStream(t.Context(), js, "tasktracking")
	if err != nil {
		t.Fatal(err)
	}
	return &env{pool: pool, js: js, stream: stream, spans: spans}
}

// addEvents writes one event per body in one transaction under a span, and
// commits or rolls back. It returns the event ids and the span's trace id.
func (e *env) addEvents(t *testing.T, commit bool, bodies ...string) ([]string, trace.TraceID) {
	t.Helper()
	ctx, span := otel.Tracer("test").Start(t.Context(), "use case")
	defer span.End()
	var ids []string
	errRollback := errors.New("roll back")
	err := pg.InTx(ctx, e.pool, func(tx pgx.Tx) error {
		for _, b := range bodies {
			id, err := outbox.Add(ctx, tx, subject, wrapperspb.String(b))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return ids, span.SpanContext().TraceID()
}

// runRelay runs a relay until the test ends.
func (e *env) runRelay(t *testing.T, poll time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	r := &outbox.Relay{Pool: e.pool, JS: e.js, Poll: poll, Batch: 10}
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Relay.Run: %v", err)
		}
	})
}

// waitPublished waits until the outbox holds no unpublished event.
func (e *env) waitPublished(t *testing.T) {
	t.Helper()
	eventually(t, func() bool {
		var pending int
		err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM outbox_events WHERE published_at IS NULL").Scan(&pending)
		return err == nil && pending == 0
	})
}

// published is what a consumer sees of one stream message.
type published struct {
	Subject, ID, EventType, Body string
	TraceID                      string
}

func (e *env) streamMessages(t *testing.T) []published {
	t.Helper()
	info, err := e.stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []published
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := e.stream.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		var body wrapperspb.StringValue
		if err := proto.Unmarshal(raw.Data, &body); err != nil {
			t.Fatal(err)
		}
		sc := trace.SpanContextFromContext(otel.GetTextMapPropagator().Extract(context.Background(), natsx.HeaderCarrier(raw.Header)))
		got = append(got, published{
			Subject:   raw.Subject,
			ID:        raw.Header.Get("Nats-Msg-Id"),
			EventType: raw.Header.Get(outbox.HeaderEventType),
			Body:      body.GetValue(),
			TraceID:   sc.TraceID().String(),
		})
	}
	return got
}

func expected(ids []string, traceID trace.TraceID, bodies ...string) []published {
	var want []published
	for i, b := range bodies {
		want = append(want, published{
			Subject: subject, ID: ids[i], EventType: "google.protobuf.StringValue", Body: b, TraceID: traceID.String(),
		})
	}
	return want
}

func TestRelayPublishesCommittedEventsOnceInOrder(t *testing.T) {
	e := newEnv(t)
	ids1, trace1 := e.addEvents(t, true, "a", "b", "c")
	e.addEvents(t, false, "rolled back 1", "rolled back 2")
	ids2, trace2 := e.addEvents(t, true, "d", "e")

	e.runRelay(t, 20*time.Millisecond)
	e.waitPublished(t)

	want := append(expected(ids1, trace1, "a", "b", "c"), expected(ids2, trace2, "d", "e")...)
	if diff := cmp.Diff(want, e.streamMessages(t)); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	// The traceparent names the relay's producer span, child of the use case.
	for _, s := range e.spans.Ended() {
		if s.SpanKind() == trace.SpanKindProducer && s.Parent().TraceID() != s.SpanContext().TraceID() {
			t.Errorf("producer span %q does not continue the stored trace", s.Name())
		}
	}
}

func TestRelayWakesOnNotify(t *testing.T) {
	e := newEnv(t)
	// With an hour between polls, only NOTIFY can make the second event go out.
	e.runRelay(t, time.Hour)
	e.addEvents(t, true, "first")
	e.waitPublished(t)
	e.addEvents(t, true, "second")
	e.waitPublished(t)

	var bodies []string
	for _, m := range e.streamMessages(t) {
		bodies = append(bodies, m.Body)
	}
	if diff := cmp.Diff([]string{"first", "second"}, bodies); diff != "" {
		t.Errorf("stream bodies (-want +got):\n%s", diff)
	}
}

func TestTwoRelaysPublishEachEventOnce(t *testing.T) {
	e := newEnv(t)
	e.runRelay(t, 10*time.Millisecond)
	e.runRelay(t, 10*time.Millisecond)

	var (
		mu      sync.Mutex
		ids     []string
		bodies  []string
		wg      sync.WaitGroup
		writers = 4
	)
	// Writers commit while both relays run; each writer's events must stay
	// in its own order.
	for w := range writers {
		wg.Go(func() {
			for i := range 15 {
				b := fmt.Sprintf("w%d-%02d", w, i)
				got, _ := e.addEvents(t, true, b)
				mu.Lock()
				ids, bodies = append(ids, got...), append(bodies, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	e.waitPublished(t)

	msgs := e.streamMessages(t)
	if len(msgs) != len(ids) {
		t.Fatalf("stream holds %d messages, want %d", len(msgs), len(ids))
	}
	last := map[string]string{}
	for _, m := range msgs {
		writer := m.Body[:strings.Index(m.Body, "-")]
		if m.Body <= last[writer] {
			t.Errorf("%s published after %s", m.Body, last[writer])
		}
		last[writer] = m.Body
	}
	// Every publish attempt is a producer span: none may repeat an id (the
	// stream's de-duplication would hide a repeat from the count above).
	attempts := map[string]int{}
	for _, s := range e.spans.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "messaging.message.id" {
				attempts[a.Value.AsString()]++
			}
		}
	}
	for _, id := range ids {
		if attempts[id] != 1 {
			t.Errorf("event %s published %d times, want 1", id, attempts[id])
		}
	}
}

func TestRelayAfterCrashBeforeMarkDoesNotDuplicate(t *testing.T) {
	e := newEnv(t)
	ids, traceID := e.addEvents(t, true, "a", "b", "c")

	// A relay that published the first two events and died before marking
	// them: the rows are still unpublished.
	for i, b := range []string{"a", "b"} {
		data, err := proto.Marshal(wrapperspb.String(b))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.js.Publish(t.Context(), subject, data, jetstream.WithMsgID(ids[i])); err != nil {
			t.Fatal(err)
		}
	}

	e.runRelay(t, 20*time.Millisecond)
	e.waitPublished(t)

	got := e.streamMessages(t)
	// The first two came from the "crashed" relay, without trace headers.
	want := expected(ids, traceID, "a", "b", "c")
	want[0].TraceID, want[1].TraceID = trace.TraceID{}.String(), trace.TraceID{}.String()
	want[0].EventType, want[1].EventType = "", ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

func TestRelayDeletesOldPublishedEvents(t *testing.T) {
	e := newEnv(t)
	ids, _ := e.addEvents(t, true, "old", "recent")
	_, err := e.pool.Exec(t.Context(), `
		UPDATE outbox_events SET published_at = now() - CASE WHEN id = $1 THEN interval '8 days' ELSE interval '1 day' END`, ids[0])
	if err != nil {
		t.Fatal(err)
	}

	e.runRelay(t, 20*time.Millisecond)
	eventually(t, func() bool {
		var n int
		err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM outbox_events WHERE id = $1", ids[0]).Scan(&n)
		return err == nil && n == 0
	})
	var left []string
	rows, err := e.pool.Query(t.Context(), "SELECT id::text FROM outbox_events")
	if err == nil {
		left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids[1:], left); diff != "" {
		t.Errorf("rows left (-want +got):\n%s", diff)
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
