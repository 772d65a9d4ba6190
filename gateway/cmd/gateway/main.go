// Command gateway serves the platform's REST API (grpc-gateway) to the provincial portal.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/config"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"

	"github.com/parindex/platform/gateway/internal/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// -- configuration and logs
	var cfg gateway.Config
	if err := config.Load(&cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	level, err := logx.ParseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := logx.New("gateway", level)
	log.Info("starting", slog.Any("config", config.LogValue(cfg)))

	// -- tracing
	shutdownTracing, err := otelx.Setup(ctx, "gateway", cfg.OTLPEndpoint)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()

	// -- authentication
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL:          cfg.AuthJWKSURL,
		PublicKeyPEMFile: cfg.AuthPublicKeyFile,
		Issuer:           cfg.AuthIssuer,
		Audience:         cfg.AuthAudience,
	})
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}

	// -- handlers
	gw, err := gateway.New(ctx, cfg, log, verifier)
	if err != nil {
		return err
	}
	defer gw.Close()

	// -- serve until a signal
	lis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           gw,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info("serving", slog.String("addr", lis.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
