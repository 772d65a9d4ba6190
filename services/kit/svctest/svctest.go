// Package svctest starts a service in-process for its component tests, on what it runs on in
// production: a fresh PostgreSQL database (kit/pg/pgtest), a real JetStream server
// (kit/natsx/natstest) and a token issuer whose public key the service reads from a PEM
// file, as a deployment does. The test package's TestMain must call pgtest.Main.
package svctest

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svcrun"
)

// StopTimeout is how long Serve's stop waits for the service to return after its context
// ended (the gRPC grace period, consumers finishing the event in hand, on 2 busy cores).
const StopTimeout = 45 * time.Second

// Env is the infrastructure one service runs on in a test; it outlives restarts of the
// service.
type Env struct {
	// Base points at the database, the JetStream server and the issuer's key: the part of
	// the service's Config every service has.
	Base svcrun.Base
	// Signer mints the tokens the service accepts (Token, As).
	Signer *auth.Signer
}

// New makes the infrastructure: a fresh database migrated with kit's and the service's
// migrations, a JetStream server and a token issuer. All are removed when the test ends.
func New(t testing.TB, migrations fs.FS) *Env {
	t.Helper()
	signer, _ := authtest.NewIssuer(t)
	keyFile := filepath.Join(t.TempDir(), "issuer.pub.pem")
	if err := os.WriteFile(keyFile, signer.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Env{
		Base: svcrun.Base{
			DatabaseURL:       pgtest.URL(t, migrations),
			NatsURL:           natstest.Start(t),
			AuthPublicKeyFile: keyFile,
			AuthIssuer:        authtest.Issuer,
			AuthAudience:      authtest.Audience,
		},
		Signer: signer,
	}
}

// JetStream connects a client of the test to the environment's JetStream (to read the
// events the service published, or publish those of its producers).
func (e *Env) JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(e.Base.NatsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Token mints a token the service accepts for p.
func (e *Env) Token(t testing.TB, p auth.Principal) string {
	t.Helper()
	return authtest.Token(t, e.Signer, p)
}

// As returns ctx carrying a bearer token for p.
func (e *Env) As(ctx context.Context, t testing.TB, p auth.Principal) context.Context {
	t.Helper()
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e.Token(t, p))
}

// Serve runs serve (a service's server.Run) with cfg and log on a free loopback port, and
// returns a client connection to it and stop, which cancels the run and waits for it to
// return nil (failing the test otherwise). stop is idempotent and also runs when the test
// ends.
func Serve[C any](t testing.TB, serve func(context.Context, C, *slog.Logger, net.Listener) error, cfg C, log *slog.Logger, dial ...grpc.DialOption) (conn *grpc.ClientConn, stop func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, lis) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server.Run: %v", err)
			}
		case <-time.After(StopTimeout):
			t.Errorf("server.Run did not return %v after its context ended", StopTimeout)
		}
	})
	t.Cleanup(stop)

	conn, err = grpc.NewClient(lis.Addr().String(), append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dial...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, stop
}

// Logs collects a service's JSON log output (kit/logx), written from several goroutines,
// for tests that check what was logged.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Logs) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *Logs) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Records returns the log records whose msg is msg; a line that is not JSON fails the test.
func (b *Logs) Records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(b.String(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// EventTimeout bounds NextEvent's wait for the relay.
const EventTimeout = 20 * time.Second

// NextEvent returns the first message on subject in producer's stream, waiting up to
// EventTimeout for the relay; none fails the test.
func NextEvent(t testing.TB, js jetstream.JetStream, producer, subject string) jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), EventTimeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsx.StreamName(producer), jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(EventTimeout))
	if err != nil {
		t.Fatalf("no event on %s: %v", subject, err)
	}
	return msg
}
