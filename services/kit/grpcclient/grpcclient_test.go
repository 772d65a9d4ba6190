package grpcclient_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
)

func TestMain(m *testing.M) {
	// What otelx.Setup installs in a service.
	tp := sdktrace.NewTracerProvider()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	code := m.Run()
	_ = tp.Shutdown(context.Background())
	os.Exit(code)
}

// backend records who called it and in which trace.
type backend struct {
	testgrpc.UnimplementedTestServiceServer
	mu      sync.Mutex
	subject string
	traceID trace.TraceID
}

func (b *backend) EmptyCall(ctx context.Context, _ *testgrpc.Empty) (*testgrpc.Empty, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, _ := auth.FromContext(ctx)
	b.subject = p.Subject
	b.traceID = trace.SpanContextFromContext(ctx).TraceID()
	return &testgrpc.Empty{}, nil
}

// frontend calls the backend: on behalf of its caller in EmptyCall, on its own in
// background work.
type frontend struct {
	testgrpc.UnimplementedTestServiceServer
	backend testgrpc.TestServiceClient
	mu      sync.Mutex
	traceID trace.TraceID
}

func (f *frontend) EmptyCall(ctx context.Context, in *testgrpc.Empty) (*testgrpc.Empty, error) {
	f.mu.Lock()
	f.traceID = trace.SpanContextFromContext(ctx).TraceID()
	f.mu.Unlock()
	return f.backend.EmptyCall(ctx, in)
}

func serve(t *testing.T, v auth.Verifier, impl testgrpc.TestServiceServer) string {
	t.Helper()
	srv, hs := grpcserver.New(grpcserver.Options{Verifier: v, Log: slog.New(slog.DiscardHandler)})
	testgrpc.RegisterTestServiceServer(srv, impl)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- grpcserver.Serve(ctx, srv, hs, lis) }()
	t.Cleanup(func() { cancel(); <-done })
	return lis.Addr().String()
}

func TestForwardingAndTracePropagation(t *testing.T) {
	signer, v := authtest.NewIssuer(t)
	serviceToken := authtest.Token(t, signer, auth.Principal{Subject: "svc-frontend", Roles: []string{auth.RoleService}})
	userToken := authtest.Token(t, signer, auth.Principal{Subject: "user-5", Roles: []string{auth.RoleUnitStaff}})

	back := &backend{}
	backAddr := serve(t, v, back)
	backConn, err := grpcclient.Dial(backAddr, auth.PerRPCCredentials{ServiceToken: serviceToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backConn.Close() })
	front := &frontend{backend: testgrpc.NewTestServiceClient(backConn)}
	frontAddr := serve(t, v, front)

	userConn, err := grpcclient.Dial(frontAddr, auth.PerRPCCredentials{ServiceToken: userToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = userConn.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ctx, span := otel.Tracer("test").Start(ctx, "user action")
	defer span.End()

	// A user's call through the frontend reaches the backend as the user, in one trace.
	if _, err := testgrpc.NewTestServiceClient(userConn).EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
		t.Fatalf("call through frontend: %v", err)
	}
	type seen struct {
		Subject               string
		FrontTrace, BackTrace string
	}
	back.mu.Lock()
	front.mu.Lock()
	got := seen{back.subject, front.traceID.String(), back.traceID.String()}
	back.mu.Unlock()
	front.mu.Unlock()
	want := seen{"user-5", span.SpanContext().TraceID().String(), span.SpanContext().TraceID().String()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("forwarded call (-want +got):\n%s", diff)
	}

	// Work outside any request uses the service's own token.
	if _, err := front.backend.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
		t.Fatalf("background call: %v", err)
	}
	back.mu.Lock()
	defer back.mu.Unlock()
	if back.subject != "svc-frontend" {
		t.Errorf("background call reached the backend as %q, want svc-frontend", back.subject)
	}
}
