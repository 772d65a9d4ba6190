package otelx

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// The tests share the global provider, so they do not run in parallel.

func TestSetupWithoutExporterStillSamples(t *testing.T) {
	shutdown, err := Setup(t.Context(), "directory", "")
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })

	ctx, span := otel.Tracer("test").Start(t.Context(), "op")
	sc := span.SpanContext()
	span.End()
	if !sc.IsValid() || !sc.IsSampled() {
		t.Fatalf("span context %+v: want valid and sampled", sc)
	}

	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	if carrier["traceparent"] == "" {
		t.Errorf("propagator injected no traceparent: %v", carrier)
	}
	fields := otel.GetTextMapPropagator().Fields()
	if len(fields) < 3 { // traceparent, tracestate, baggage
		t.Errorf("propagator fields = %v, want trace-context and baggage", fields)
	}
}

// collector is a minimal OTLP trace receiver.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
	got   chan struct{}
}

func (c *collector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, attr := range rs.GetResource().GetAttributes() {
			if attr.GetKey() == "service.name" {
				c.names = append(c.names, attr.GetValue().GetStringValue())
			}
		}
	}
	select {
	case c.got <- struct{}{}:
	default:
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func TestSetupExportsOverOTLP(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{got: make(chan struct{}, 1)}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, col)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	shutdown, err := Setup(t.Context(), "tasktracking", lis.Addr().String())
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	_, span := otel.Tracer("test").Start(t.Context(), "op")
	span.End()

	// Shutdown flushes the batcher.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-col.got:
	case <-ctx.Done():
		t.Fatal("collector received nothing")
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.names) == 0 || col.names[0] != "tasktracking" {
		t.Errorf("exported service.name = %v, want tasktracking", col.names)
	}
}
