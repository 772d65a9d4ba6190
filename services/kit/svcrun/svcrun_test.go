package svcrun_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svcrun"
	"github.com/parindex/platform/services/kit/svctest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// run is a server.Run made of svcrun alone, with extra components.
func run(opts svcrun.Options, extra ...func(context.Context) error) func(context.Context, svcrun.Base, *slog.Logger, net.Listener) error {
	return func(ctx context.Context, base svcrun.Base, log *slog.Logger, lis net.Listener) error {
		p, err := svcrun.Start(ctx, base, opts, log, lis)
		if err != nil {
			return err
		}
		defer p.Close()
		for _, c := range extra {
			p.Go("extra", c)
		}
		return p.Run(ctx)
	}
}

func TestStartServesAndCreatesTheStream(t *testing.T) {
	env := svctest.New(t, nil)
	conn, stop := svctest.Serve(t, run(svcrun.Options{Service: "svcruntest", Publishes: true}), env.Base, discard)

	waitServing(t, conn)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// The stream of a publishing service exists before anything publishes.
	if _, err := env.JetStream(t).Stream(ctx, natsx.StreamName("svcruntest")); err != nil {
		t.Errorf("stream: %v", err)
	}
	stop() // fails the test unless Run returns nil
}

func TestConsumerOnlyServiceHasNoStream(t *testing.T) {
	env := svctest.New(t, nil)
	conn, stop := svctest.Serve(t, run(svcrun.Options{Service: "svcruntest"}), env.Base, discard)
	waitServing(t, conn)
	stop()
	if _, err := env.JetStream(t).Stream(t.Context(), natsx.StreamName("svcruntest")); err == nil {
		t.Error("a service that does not publish created its stream")
	}
}

func TestFailingComponentStopsTheService(t *testing.T) {
	env := svctest.New(t, nil)
	boom := errors.New("boom")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- run(svcrun.Options{Service: "svcruntest", Publishes: true},
			func(context.Context) error { return boom },
			// A component that stops with its context is not a failure.
			func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		)(t.Context(), env.Base, discard, lis)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "extra: ") || strings.Contains(err.Error(), "canceled") {
			t.Errorf("Run = %v, want only the failing component's error, named", err)
		}
	case <-time.After(svctest.StopTimeout):
		t.Fatal("Run kept serving after a component failed")
	}
}

func TestStartFailureClosesTheListener(t *testing.T) {
	env := svctest.New(t, nil)
	base := env.Base
	base.AuthPublicKeyFile = ""
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = run(svcrun.Options{Service: "svcruntest"})(t.Context(), base, discard, lis)
	if err == nil || !strings.Contains(err.Error(), "token verifier") {
		t.Fatalf("Run = %v, want the verifier's error", err)
	}
	if _, err := lis.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after a failed start = %v, want the listener closed", err)
	}
}

// waitServing waits until the service's health is SERVING: it started.
func waitServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Health is public: no token needed.
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v; want SERVING", res, err)
	}
}
