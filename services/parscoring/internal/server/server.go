// Package server runs one PAR scoring process: database and migrations, NATS and the
// PARSCORING stream, the outbox relay, and the gRPC API, until its context ends.
// Component tests call Run in-process; cmd/parscoring only adds configuration, logs,
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

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/directory"
	"github.com/parindex/platform/services/parscoring/internal/grpcapi"
	"github.com/parindex/platform/services/parscoring/internal/postgres"
)

// Producer names the service's stream (PARSCORING) and subjects (parscoring.v1.>).
const Producer = "parscoring"

// Config is what a PAR scoring process needs from its environment (kit/config tags).
type Config struct {
	DatabaseURL       string `env:"DATABASE_URL" required:"true" secret:"true"`
	NatsURL           string `env:"NATS_URL" default:"nats://127.0.0.1:4222"`
	AuthJWKSURL       string `env:"AUTH_JWKS_URL"`
	AuthPublicKeyFile string `env:"AUTH_PUBLIC_KEY_FILE"`
	AuthIssuer        string `env:"AUTH_ISSUER" default:"par-dev"`
	AuthAudience      string `env:"AUTH_AUDIENCE" default:"par-platform"`
	// TokenCacheTTL is how long a verified bearer token is accepted without checking its
	// signature again (never past its expiry); 0 checks every call.
	TokenCacheTTL time.Duration `env:"TOKEN_CACHE_TTL" default:"1m"`
	// ServiceToken is the service's own token, for calls made outside a request.
	ServiceToken string `env:"SERVICE_TOKEN" secret:"true"`
	// DirectoryAddr is the directory's gRPC address, where a round's units are resolved.
	DirectoryAddr string `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
}

// Run serves PAR scoring on lis until ctx ends, then stops gracefully and returns nil; it
// returns an error if a dependency cannot be set up or a component fails. lis is closed
// in every case.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) error {
	served := false
	defer func() {
		if !served {
			_ = lis.Close() // serving would have closed it
		}
	}()

	// Authentication: tokens of the platform's identity provider.
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL: cfg.AuthJWKSURL, PublicKeyPEMFile: cfg.AuthPublicKeyFile,
		Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience,
	})
	if err != nil {
		return fmt.Errorf("token verifier: %w", err)
	}
	// Clients send the same token call after call; its signature is checked once.
	verifier = auth.NewCachingVerifier(verifier, cfg.TokenCacheTTL, nil)

	// Database: the service's own, migrated before anything reads it.
	pool, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, postgres.Migrations()); err != nil {
		return err
	}

	// NATS: the PARSCORING stream must exist before the relay publishes into it.
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
	srv, health := grpcserver.New(grpcserver.Options{Service: Producer, Log: log, Verifier: verifier, ServerOptions: audit.ServerOptions(pool, Producer, log),
		Public: func(m string) bool { return grpcapi.PublicResultsMethods[m] || grpcapi.PublicAssessmentMethods[m] }})
	store := postgres.NewStore(pool)
	scoring := app.New(store, nil)
	parscoringv1.RegisterParScoringServiceServer(srv, grpcapi.New(scoring, log))
	parscoringv1.RegisterMethodologyServiceServer(srv, grpcapi.NewMethodologyServer(scoring, log))
	// The directory is called on behalf of the caller (its token is forwarded).
	dirConn, err := grpcclient.Dial(cfg.DirectoryAddr, auth.PerRPCCredentials{ServiceToken: cfg.ServiceToken})
	if err != nil {
		return fmt.Errorf("directory client: %w", err)
	}
	defer func() { _ = dirConn.Close() }()
	dir := directory.New(dirConn)
	assessments := app.NewAssessments(store, store, dir, nil)
	parscoringv1.RegisterAssessmentServiceServer(srv, grpcapi.NewAssessmentServer(assessments, app.NewFeedback(store, dir, nil), log))
	resultsUC := app.NewResults(store, nil)
	resultsUC.UseRounds(assessments) // round finalisation → publication
	parscoringv1.RegisterResultsServiceServer(srv, grpcapi.NewResults(resultsUC, log))

	// The relay and the server run together; the first to fail stops the other.
	served = true
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		relay := &outbox.Relay{Pool: pool, JS: js, Log: log}
		if err := relay.Run(gctx); err != nil {
			return fmt.Errorf("outbox relay: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := grpcserver.Serve(gctx, srv, health, lis); err != nil {
			return fmt.Errorf("grpc: %w", err)
		}
		return nil
	})
	log.InfoContext(ctx, "parscoring serving", slog.String("addr", lis.Addr().String()))
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
