// Package server wires the notification process: database, migrations, the JetStream
// consumers that fill the inboxes, and the gRPC API. cmd/notification and the component
// tests both start the service through Run.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/events"
	"github.com/parindex/platform/services/notification/internal/grpcapi"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

// Service is the name of the service: its NATS client name and the service attribute of its
// logs.
const Service = "notification"

// Config is what Run needs from the environment (kit/config tags); cmd/notification adds the
// listen address, logging and tracing settings.
type Config struct {
	// DatabaseURL is the service's own database.
	DatabaseURL string `env:"DATABASE_URL" required:"true" secret:"true"`
	// NATSURL is the JetStream server.
	NATSURL string `env:"NATS_URL" default:"nats://127.0.0.1:4222"`
	// AuthJWKSURL is the identity provider's JWKS; or AuthPublicKeyFile, a local PEM key.
	AuthJWKSURL       string `env:"AUTH_JWKS_URL"`
	AuthPublicKeyFile string `env:"AUTH_PUBLIC_KEY_FILE"`
	// AuthIssuer and AuthAudience are the expected iss and aud of tokens.
	AuthIssuer   string `env:"AUTH_ISSUER" default:"par-dev"`
	AuthAudience string `env:"AUTH_AUDIENCE" default:"par-platform"`
}

// Run serves the service on lis until ctx ends, then stops gracefully: the gRPC server
// finishes the calls in flight and the consumer finishes the event in hand (the events it had
// fetched but not started go back to JetStream for the next run). It returns an error when
// the service cannot start or fails while running.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) (err error) {
	defer func() {
		if err != nil {
			_ = lis.Close() // Serve never took it over
		}
	}()

	// Database: pool with query tracing, then kit's tables and ours.
	pool, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, postgres.Migrations()); err != nil {
		return err
	}

	// NATS: the consumers create the producers' streams if they start first.
	nc, js, err := natsx.Connect(ctx, cfg.NATSURL, Service)
	if err != nil {
		return err
	}
	defer nc.Close()

	// Authentication of incoming calls.
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL: cfg.AuthJWKSURL, PublicKeyPEMFile: cfg.AuthPublicKeyFile,
		Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience,
	})
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}

	// Use cases, consumers and API.
	svc := app.New(postgres.New(pool), log, time.Now, newID)
	handler := events.NewHandler(svc, func(tx pgx.Tx) app.ItemWriter { return postgres.New(tx) })
	api := grpcapi.New(svc, log)
	srv, hs := grpcserver.New(grpcserver.Options{Service: Service, Log: log, Verifier: verifier})
	notificationv1.RegisterNotificationServiceServer(srv, api)

	// Run the consumer and the server until ctx ends; if either fails, stop the other.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs = make([]error, 2)
	)
	wg.Go(func() {
		defer cancel()
		if err := consumer.Run(ctx, handler.TasksConsumer(pool, js, log)); err != nil {
			errs[0] = err
		}
	})
	wg.Go(func() {
		defer cancel()
		if err := grpcserver.Serve(ctx, srv, hs, lis); err != nil {
			errs[1] = fmt.Errorf("grpc: %w", err)
		}
	})
	log.InfoContext(ctx, "serving", "addr", lis.Addr().String())
	wg.Wait()
	return errors.Join(errs...)
}

// newID returns a time-ordered UUID (v7), so items created together sit together in indexes.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}
