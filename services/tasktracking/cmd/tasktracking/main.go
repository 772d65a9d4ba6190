// Command tasktracking runs the task-tracking service: directing documents and the reform
// tasks they assign, over gRPC, with TaskAssigned events published through the outbox.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parindex/platform/services/kit/config"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

// service names the process in logs and traces.
const service = "tasktracking"

// shutdownTimeout bounds flushing traces at exit.
const shutdownTimeout = 5 * time.Second

// processConfig is the environment of the process: the server's settings plus those only
// main uses (where to listen, logs, tracing).
type processConfig struct {
	server.Config
	GRPCAddr     string `env:"GRPC_ADDR" default:"127.0.0.1:9102"`
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	LogLevel     string `env:"LOG_LEVEL" default:"info"`
}

func main() {
	// SIGINT or SIGTERM cancels ctx: the server stops accepting calls, finishes those in
	// flight and the relay stops between batches.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
		os.Exit(1)
	}
}

func run(ctx context.Context) (err error) {
	// Configuration: parsed once, every problem reported together.
	var cfg processConfig
	if err := config.Load(&cfg); err != nil {
		return err
	}

	// Logs: JSON on stdout, with the trace id of the request on every line logged with ctx.
	level, err := logx.ParseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	log := logx.New(service, level)
	log.InfoContext(ctx, "starting", "config", config.LogValue(cfg))

	// Tracing: always sampled so logs carry trace ids; exported only with an endpoint.
	shutdownTracing, err := otelx.Setup(ctx, service, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err = errors.Join(err, shutdownTracing(sctx))
	}()

	// Listener: opened here so a taken port fails before anything else starts.
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.GRPCAddr, err)
	}

	// Serve until ctx ends. A failure is reported once, by main on stderr.
	if err := server.Run(ctx, cfg.Config, log, lis); err != nil {
		return err
	}
	log.InfoContext(ctx, "stopped")
	return nil
}
