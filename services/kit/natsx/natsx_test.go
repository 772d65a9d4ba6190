package natsx_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
)

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, js, err := natsx.Connect(t.Context(), url, "natsx-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

func TestEnsureStream(t *testing.T) {
	js := connect(t, natstest.Start(t))
	ctx := t.Context()

	// Producer and consumer both ensure the stream; the second call changes nothing.
	for range 2 {
		if _, err := natsx.EnsureStream(ctx, js, "tasktracking"); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, "TASKTRACKING")
	if err != nil {
		t.Fatal(err)
	}
	type settings struct {
		Subjects           []string
		Storage            jetstream.StorageType
		Retention          jetstream.RetentionPolicy
		MaxAge, Duplicates time.Duration
	}
	want := settings{
		Subjects:   []string{"tasktracking.v1.>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     30 * 24 * time.Hour,
		Duplicates: 10 * time.Minute,
	}
	cfg := s.CachedInfo().Config
	if diff := cmp.Diff(want, settings{cfg.Subjects, cfg.Storage, cfg.Retention, cfg.MaxAge, cfg.Duplicates}); diff != "" {
		t.Errorf("stream settings (-want +got):\n%s", diff)
	}

	// A setting kit owns that drifted is put back; one it does not own stays.
	cfg.MaxAge = time.Hour
	cfg.MaxMsgs = 1000
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	s, err = natsx.EnsureStream(ctx, js, "tasktracking")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config; got.MaxAge != want.MaxAge || got.MaxMsgs != 1000 {
		t.Errorf("after drift: MaxAge %v MaxMsgs %d, want %v and 1000", got.MaxAge, got.MaxMsgs, want.MaxAge)
	}

	// Publishing the same Nats-Msg-Id twice stores one message.
	for range 2 {
		if _, err := js.Publish(ctx, "tasktracking.v1.task.created", []byte("x"), jetstream.WithMsgID("evt-1")); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("messages after duplicate publish = %d, want 1", info.State.Msgs)
	}
}

func TestStreamName(t *testing.T) {
	if got := natsx.StreamName("parscoring"); got != "PARSCORING" {
		t.Errorf("StreamName = %q", got)
	}
}

func TestHeaderCarrierKeepsLowerCase(t *testing.T) {
	prop := propagation.TraceContext{}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3},
		SpanID:     trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled,
	})
	h := nats.Header{}
	prop.Inject(trace.ContextWithSpanContext(context.Background(), sc), natsx.HeaderCarrier(h))
	if _, ok := h["traceparent"]; !ok {
		t.Fatalf("header keys %v, want traceparent in lower case", natsx.HeaderCarrier(h).Keys())
	}

	// A header written by another language's client, read back.
	in := nats.Header{"traceparent": h["traceparent"]}
	got := trace.SpanContextFromContext(prop.Extract(context.Background(), natsx.HeaderCarrier(in)))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() {
		t.Errorf("extracted %v/%v, want %v/%v", got.TraceID(), got.SpanID(), sc.TraceID(), sc.SpanID())
	}
}

func TestConnectWaitsForServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	type result struct {
		nc  *nats.Conn
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	go func() {
		nc, _, err := natsx.Connect(ctx, "nats://127.0.0.1:"+strconv.Itoa(port), "early-bird")
		done <- result{nc, err}
	}()

	s, err := natsx.StartEmbedded(natsx.Options{Dir: filepath.Join(t.TempDir(), "js"), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })

	r := <-done
	if r.err != nil {
		t.Fatalf("Connect started before the server: %v", r.err)
	}
	r.nc.Close()
}

func TestConnectGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	if _, _, err := natsx.Connect(ctx, "nats://127.0.0.1:1", "nobody"); err == nil {
		t.Fatal("Connect to a dead address returned no error")
	}
}
