// Package svcmain is the main function every service process shares: configuration from the
// environment, JSON logs with trace ids, tracing, the gRPC listener, and a graceful stop on
// SIGINT or SIGTERM. A service's cmd/<svc>/main.go is one call to Main with its server.Run.
package svcmain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parindex/platform/services/kit/config"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"
)

// flushTimeout bounds flushing traces at exit, after the signal context is done.
const flushTimeout = 5 * time.Second

// Process holds the settings of the process itself, beside the server's own Config.
type Process struct {
	// GRPCAddr is where the gRPC server listens; empty means the service's default address.
	GRPCAddr string `env:"GRPC_ADDR"`
	// OTLPEndpoint is the OTLP/gRPC collector; tracing stays in-process when empty.
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" default:"info"`
}

// settings is everything read from the environment: the process's settings and the server's.
type settings[C any] struct {
	Process Process
	Server  C
}

// Serve is a service's server.Run: it serves on lis until ctx ends, then stops gracefully.
type Serve[C any] func(ctx context.Context, cfg C, log *slog.Logger, lis net.Listener) error

// Main runs a service process and exits: 0 after a graceful stop, 1 on any failure (printed
// once on stderr). It is the process's one exit point.
func Main[C any](service, defaultAddr string, serve Serve[C]) {
	// SIGINT (Ctrl-C, make run) and SIGTERM (Kubernetes) both mean "stop gracefully": the
	// server finishes calls in flight, consumers finish the event in hand.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, service, defaultAddr, serve)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
		os.Exit(1)
	}
}

// Run is Main without the signals and the exit, for tests.
func Run[C any](ctx context.Context, service, defaultAddr string, serve Serve[C]) (err error) {
	// Configuration: parsed once, every problem reported together, logged with secrets masked.
	var cfg settings[C]
	if err := config.Load(&cfg); err != nil {
		return err
	}
	if cfg.Process.GRPCAddr == "" {
		cfg.Process.GRPCAddr = defaultAddr
	}

	// Logs: JSON on stdout, with the trace id of the request on every line logged with ctx.
	level, err := logx.ParseLevel(cfg.Process.LogLevel)
	if err != nil {
		return err
	}
	log := logx.New(service, level)
	log.InfoContext(ctx, "starting", slog.Any("config", config.LogValue(cfg)))

	// Tracing: always sampled so log lines carry trace ids; exported only with an endpoint.
	shutdownTracing, err := otelx.Setup(ctx, service, cfg.Process.OTLPEndpoint)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		err = errors.Join(err, shutdownTracing(sctx))
	}()

	// Listener: opened before anything else starts, so a taken port fails at once.
	lis, err := net.Listen("tcp", cfg.Process.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Process.GRPCAddr, err)
	}
	if err := serve(ctx, cfg.Server, log, lis); err != nil {
		return err
	}
	log.InfoContext(ctx, "stopped")
	return nil
}
