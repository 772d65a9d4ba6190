// Package natsx connects services to NATS JetStream and holds the event
// conventions they share: one stream per producer (named after it in upper
// case, subjects "<producer>.v1.>"), trace context carried in message headers,
// and an in-process JetStream server for the devstack and tests.
package natsx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
)

// Stream settings every producer's stream gets.
const (
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id: a relay
	// that publishes again within it (after a crash before marking the row
	// sent) creates no second message.
	DuplicateWindow = 10 * time.Minute
	// MaxAge is how long events stay in a stream, so that a consumer that was
	// down, or a new one, can catch up.
	MaxAge = 30 * 24 * time.Hour
)

// Connect connects to the NATS server(s) at url (comma-separated for a
// cluster) as client name and returns the connection and its JetStream
// context. It keeps trying until ctx ends if the server is not up yet (so
// processes can start in any order) and, once connected, reconnects forever.
// opts are applied after kit's defaults, e.g. to add disconnect handlers.
func Connect(ctx context.Context, url, name string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	defaults := []nats.Option{
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// Notice a dead server in about 30 s rather than nats.go's 4 minutes.
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
	}
	nc, err := nats.Connect(url, append(defaults, opts...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("natsx: connect %s: %w", url, err)
	}
	// With RetryOnFailedConnect, Connect returns at once while it keeps
	// trying in the background. Polling the status (rather than a
	// ConnectHandler) leaves the handlers free for the caller's opts.
	if !nc.IsConnected() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for !nc.IsConnected() {
			select {
			case <-tick.C:
			case <-ctx.Done():
				err := errors.Join(ctx.Err(), nc.LastError())
				nc.Close()
				return nil, nil, fmt.Errorf("natsx: connect %s: %w", url, err)
			}
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsx: jetstream: %w", err)
	}
	return nc, js, nil
}

// StreamName returns the stream of a producer service: its name in upper case
// ("tasktracking" → "TASKTRACKING").
func StreamName(producer string) string {
	return strings.ToUpper(producer)
}

// StreamSubjects returns the subjects of a producer's stream: "<producer>.v1.>".
func StreamSubjects(producer string) string {
	return producer + ".v1.>"
}

// EnsureStream creates the producer's stream or brings the settings kit owns
// (subjects, limits retention, MaxAge, DuplicateWindow) back in line. Producers
// and consumers both call it, whichever starts first; other settings, such as
// the replica count chosen by an operator, are kept.
func EnsureStream(ctx context.Context, js jetstream.JetStream, producer string) (jetstream.Stream, error) {
	if producer == "" {
		return nil, errors.New("natsx: EnsureStream: producer is empty")
	}
	name := StreamName(producer)
	want := jetstream.StreamConfig{
		Name:       name,
		Subjects:   []string{StreamSubjects(producer)},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     MaxAge,
		Duplicates: DuplicateWindow,
	}
	// Two services starting at once may both find no stream and both create
	// it; the loser then updates.
	for range 3 {
		s, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = js.CreateStream(ctx, want)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("natsx: create stream %s: %w", name, err)
			}
			return s, nil
		}
		if err != nil {
			return nil, fmt.Errorf("natsx: look up stream %s: %w", name, err)
		}
		cfg := s.CachedInfo().Config
		if slices.Equal(cfg.Subjects, want.Subjects) && cfg.Retention == want.Retention &&
			cfg.MaxAge == want.MaxAge && cfg.Duplicates == want.Duplicates {
			return s, nil
		}
		cfg.Subjects, cfg.Retention, cfg.MaxAge, cfg.Duplicates = want.Subjects, want.Retention, want.MaxAge, want.Duplicates
		s, err = js.UpdateStream(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("natsx: update stream %s: %w", name, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("natsx: stream %s: created and deleted concurrently, giving up", name)
}

// HeaderCarrier lets an OpenTelemetry propagator read and write trace context
// in NATS message headers. Unlike nats.Header's methods it does not
// canonicalise keys, so "traceparent" (lower case, as other languages write it)
// is found and written as is. Writing needs a non-nil header map.
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier(nil)

// Get returns the first value of key.
func (h HeaderCarrier) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key with value.
func (h HeaderCarrier) Set(key, value string) {
	h[key] = []string{value}
}

// Keys lists the header names.
func (h HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// Options configures an embedded server.
type Options struct {
	// Dir holds JetStream's file store; it survives restarts.
	Dir string
	// Host to listen on; empty means 127.0.0.1.
	Host string
	// Port to listen on: -1 picks a free one, 0 means NATS's default 4222.
	Port int
}

// StartEmbedded runs a NATS server with JetStream in this process, for the
// devstack and tests, and returns once it accepts connections. The caller
// stops it with Shutdown (and WaitForShutdown). Signals are left to the host
// process (NoSigs).
func StartEmbedded(opts Options) (*server.Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("natsx: StartEmbedded: Options.Dir is required")
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	s, err := server.NewServer(&server.Options{
		Host:                   host,
		Port:                   opts.Port,
		JetStream:              true,
		StoreDir:               opts.Dir,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
	})
	if err != nil {
		return nil, fmt.Errorf("natsx: embedded server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("natsx: embedded server not ready after 10s")
	}
	return s, nil
}
