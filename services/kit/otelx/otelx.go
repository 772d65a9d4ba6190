// Package otelx sets up OpenTelemetry tracing for a process.
package otelx

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Setup installs the global tracer provider and propagator for service and returns the
// function that flushes and stops it (call it at exit with a bounded context).
//
// Every span is sampled (respecting a remote parent's decision), even when nothing is
// exported: the trace id is what ties a request's log lines together, so it must exist on
// every request. Spans are exported over OTLP/gRPC only when otlpEndpoint is set:
// "host:port" (plain text, for a collector on loopback or in the mesh) or a URL
// ("https://collector:4317", "http://…"). The propagator is W3C trace-context plus baggage.
func Setup(ctx context.Context, service, otlpEndpoint string) (shutdown func(context.Context) error, err error) {
	if service == "" {
		return nil, errors.New("otelx: service name is required")
	}
	// Later options override earlier ones: OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME
	// may refine what the code says.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("otelx: resource: %w", err)
	}

	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	}
	if otlpEndpoint != "" {
		exp, err := otlptracegrpc.New(ctx, exporterOptions(otlpEndpoint)...)
		if err != nil {
			return nil, fmt.Errorf("otelx: OTLP exporter for %s: %w", otlpEndpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)

	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		propagation.Baggage{},
	))
	return tp.Shutdown, nil
}

func exporterOptions(endpoint string) []otlptracegrpc.Option {
	if strings.Contains(endpoint, "://") {
		// WithEndpointURL picks TLS or plain text from the scheme.
		return []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(endpoint)}
	}
	return []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure()}
}
