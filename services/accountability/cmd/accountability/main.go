// Command accountability runs the accountability service of seed 002 (QĐ 3373/QĐ-UBND): the
// responsibility matrix now, and explanations, evaluation of heads and sanctions as they are added.
// Configuration comes from the environment (see server.Config and processConfig).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parindex/platform/services/accountability/internal/server"
	"github.com/parindex/platform/services/kit/config"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"
)

// service names the process in logs and traces.
const service = "accountability"

// shutdownTimeout bounds flushing traces at exit.
const shutdownTimeout = 5 * time.Second

// processConfig is the environment of the process: the server's settings plus those only
// main uses (where to listen, logs, tracing).
type processConfig struct {
	server.Config
	GRPCAddr     string `env:"GRPC_ADDR" default:"127.0.0.1:9104"`
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	LogLevel     string `env:"LOG_LEVEL" default:"info"`
}

func main() {
	// SIGTERM (Kubernetes, make run) and Ctrl-C both mean "stop gracefully".
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// Configuration: parsed once; every problem reported together.
	var cfg processConfig
	if err := config.Load(&cfg); err != nil {
		return err
	}
	level, err := logx.ParseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}

	// Logs: JSON on stdout with trace ids; the configuration is logged with secrets masked.
	log := logx.New(service, level)
	log.InfoContext(ctx, "starting", slog.Any("config", config.LogValue(cfg)))

	// Tracing: always sampled so log lines carry trace ids; exported only when an OTLP
	// endpoint is set.
	shutdownTracing, err := otelx.Setup(ctx, service, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err := shutdownTracing(sctx); err != nil {
			log.WarnContext(sctx, "flush traces", slog.Any("error", err))
		}
	}()

	// Listener: opened here so a busy port fails before anything else starts.
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.GRPCAddr, err)
	}

	// Serve until a signal arrives, then stop gracefully.
	// The error is reported once, by main.
	if err := server.Run(ctx, cfg.Config, log, lis); err != nil {
		return err
	}
	log.InfoContext(ctx, "stopped")
	return nil
}
