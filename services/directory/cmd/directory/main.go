// Command directory runs the directory service: units and their levels and kinds, head
// tenures and users, served over gRPC (par.directory.v1) with events on the DIRECTORY
// stream.
package main

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

	"github.com/parindex/platform/services/directory/internal/server"
	"github.com/parindex/platform/services/kit/config"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"
)

// service names the process in logs, traces and NATS connections.
const service = "directory"

// settings is the process's environment: where to listen, how to log and trace, and what
// the server needs.
type settings struct {
	GRPCAddr     string `env:"GRPC_ADDR" default:"127.0.0.1:9101"`
	LogLevel     string `env:"LOG_LEVEL" default:"info"`
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	Server       server.Config
}

func main() {
	// SIGINT and SIGTERM cancel the context; the server then stops gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	// The one exit point: every failure comes back here as an error.
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
		os.Exit(1)
	}
}

func run(ctx context.Context) (err error) {
	// Configuration: read once, logged with secrets masked.
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	level, err := logx.ParseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	log := logx.New(service, level)
	log.InfoContext(ctx, "starting", slog.Any("config", config.LogValue(cfg)))

	// Tracing: spans always sampled so log lines carry ids; exported only with an endpoint.
	shutdownTracing, err := otelx.Setup(ctx, service, cfg.OTLPEndpoint)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		// The signal context is done by now; flushing spans gets its own short deadline.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = errors.Join(err, shutdownTracing(sctx))
	}()

	// Listener: opened here so that a taken port fails before anything else starts.
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.GRPCAddr, err)
	}

	// Server: database, migrations, NATS, outbox relay and gRPC until ctx ends.
	if err := server.Run(ctx, cfg.Server, log, lis); err != nil {
		// A signal during start-up (NATS or the database still unreachable) is a stop
		// the operator asked for, not a failure.
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			log.InfoContext(ctx, "stopped before serving", slog.Any("error", err))
			return nil
		}
		return err
	}
	log.InfoContext(ctx, "stopped")
	return nil
}
