// Package server runs one directory process: database and migrations, NATS and the
// DIRECTORY stream, the outbox relay, and the gRPC API, until its context ends.
// Component tests call Run in-process; cmd/directory only adds configuration, logs,
// tracing and the listener.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/parindex/platform/services/directory/internal/app"
	"github.com/parindex/platform/services/directory/internal/auditlog"
	"github.com/parindex/platform/services/directory/internal/grpcapi"
	"github.com/parindex/platform/services/directory/internal/postgres"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

// Producer names the directory's stream (DIRECTORY) and subjects (directory.v1.>).
const Producer = "directory"

// Config is what a directory process needs from its environment (kit/config tags).
type Config struct {
	// DatabaseURL is the directory's own database (par_directory).
	DatabaseURL string `env:"DATABASE_URL" required:"true" secret:"true"`
	// NatsURL is the JetStream server the outbox relay publishes to.
	NatsURL string `env:"NATS_URL" default:"nats://127.0.0.1:4222"`
	// AuthJWKSURL or AuthPublicKeyFile (exactly one) verifies the callers' tokens.
	AuthJWKSURL       string `env:"AUTH_JWKS_URL"`
	AuthPublicKeyFile string `env:"AUTH_PUBLIC_KEY_FILE"`
	// AuthIssuer and AuthAudience are the required iss and aud.
	AuthIssuer   string `env:"AUTH_ISSUER" default:"par-dev"`
	AuthAudience string `env:"AUTH_AUDIENCE" default:"par-platform"`
	// TokenCacheTTL is how long a verified bearer token is accepted without checking its
	// signature again (never past its expiry); 0 checks every call.
	TokenCacheTTL time.Duration `env:"TOKEN_CACHE_TTL" default:"1m"`
}

// Run serves the directory on lis until ctx ends, then stops gracefully and returns nil;
// it returns an error if a dependency cannot be set up or a component fails. lis is
// closed in every case.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) (err error) {
	served := false
	defer func() {
		if !served {
			// Serving would have closed it.
			_ = lis.Close()
		}
	}()

	// Authentication: tokens of the platform's identity provider.
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL: cfg.AuthJWKSURL, PublicKeyPEMFile: cfg.AuthPublicKeyFile,
		Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience,
	})
	if err != nil {
		return err
	}
	// Clients send the same token call after call; its signature is checked once.
	verifier = auth.NewCachingVerifier(verifier, cfg.TokenCacheTTL, nil)

	// Database: the directory's own, migrated before anything reads it.
	pool, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, postgres.Migrations()); err != nil {
		return err
	}

	// NATS: the DIRECTORY stream must exist before the relay publishes into it.
	nc, js, err := natsx.Connect(ctx, cfg.NatsURL, Producer)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := natsx.EnsureStream(ctx, js, Producer); err != nil {
		return err
	}

	// API: use cases on the store, behind kit's server (tracing, recovery, logging,
	// authentication, protovalidate, health, reflection).
	api := grpcapi.New(app.New(postgres.New(pool)), log)
	srv, health := grpcserver.New(grpcserver.Options{Service: Producer, Log: log, Verifier: verifier, ServerOptions: audit.ServerOptions(pool, Producer, log)})
	api.Register(srv)
	grpcapi.NewAuditServer(auditlog.NewStore(pool), log).Register(srv)

	// Run the relay and the server together; the first to fail stops the other.
	served = true
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		relay := &outbox.Relay{Pool: pool, JS: js, Log: log}
		if err := relay.Run(gctx); err != nil {
			return fmt.Errorf("outbox relay: %w", err)
		}
		return nil
	})
	// The platform's audit log: one durable consumer per producer's audit subject.
	for _, c := range auditlog.Consumers(pool, js, log) {
		g.Go(func() error {
			if err := consumer.Run(gctx, c); err != nil {
				return fmt.Errorf("consumer %s: %w", c.Durable, err)
			}
			return nil
		})
	}
	g.Go(func() error {
		if err := grpcserver.Serve(gctx, srv, health, lis); err != nil {
			return fmt.Errorf("grpc: %w", err)
		}
		return nil
	})
	log.InfoContext(ctx, "directory serving", slog.String("addr", lis.Addr().String()))
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
