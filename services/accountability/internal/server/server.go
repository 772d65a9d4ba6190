// Package server runs one accountability process: database and migrations, NATS and the
// ACCOUNTABILITY stream, the outbox relay, the directory client, and the gRPC API, until
// its context ends. Component tests call Run in-process; cmd/accountability only adds
// configuration, logs, tracing and the listener.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/directoryclient"
	"github.com/parindex/platform/services/accountability/internal/events"
	"github.com/parindex/platform/services/accountability/internal/grpcapi"
	"github.com/parindex/platform/services/accountability/internal/postgres"
	"github.com/parindex/platform/services/accountability/internal/tasksclient"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

// Producer names the service's stream (ACCOUNTABILITY) and subjects (accountability.v1.>).
const Producer = "accountability"

// Config is what an accountability process needs from its environment (kit/config tags).
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
	// ServiceToken is sent to the directory for calls made outside a request; calls made
	// for a request forward the caller's token.
	ServiceToken string `env:"SERVICE_TOKEN" secret:"true"`
	// DirectoryAddr is the directory's gRPC address, to check unit ids.
	DirectoryAddr string `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
	// TaskTrackingAddr is task tracking's gRPC address, to show remediation progress.
	TaskTrackingAddr string `env:"TASKTRACKING_ADDR" default:"127.0.0.1:9102"`
	// ExplanationDueDays is the default period, in calendar days from publication, to
	// explain; it must leave the secretariat time inside the 30 days of 002 Art. 20.2.
	ExplanationDueDays int `env:"EXPLANATION_DUE_DAYS" default:"20"`
	// OverdueScanInterval is how often overdue explanations are looked for.
	OverdueScanInterval time.Duration `env:"OVERDUE_SCAN_INTERVAL" default:"1m"`
}

// Run serves accountability on lis until ctx ends, then stops gracefully and returns nil;
// it returns an error if a dependency cannot be set up or a component fails. lis is
// closed in every case.
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

	// NATS: the ACCOUNTABILITY stream must exist before the relay publishes into it.
	nc, js, err := natsx.Connect(ctx, cfg.NatsURL, Producer)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := natsx.EnsureStream(ctx, js, Producer); err != nil {
		return err
	}

	// Directory: connects lazily, so the service starts while the directory is down and
	// only puts fail (Unavailable) until it is back. The caller's token is forwarded.
	dirConn, err := grpcclient.Dial(cfg.DirectoryAddr, auth.PerRPCCredentials{ServiceToken: cfg.ServiceToken})
	if err != nil {
		return err
	}
	defer func() { _ = dirConn.Close() }()

	// API: use cases on the store and the directory, behind kit's server (tracing,
	// recovery, logging, authentication, protovalidate, health, reflection).
	store := postgres.NewStore(pool)
	dir := directoryclient.New(dirConn)
	svc := app.New(store, dir, nil)
	if cfg.ExplanationDueDays >= 30 {
		return fmt.Errorf("EXPLANATION_DUE_DAYS=%d leaves no time inside the 30 days of Art. 20.2", cfg.ExplanationDueDays)
	}
	expl := app.NewExplanations(store, dir, nil, cfg.ExplanationDueDays, log)
	// Task tracking: remediation progress on explanations, read with the caller's token.
	tasksConn, err := grpcclient.Dial(cfg.TaskTrackingAddr, auth.PerRPCCredentials{ServiceToken: cfg.ServiceToken})
	if err != nil {
		return err
	}
	defer func() { _ = tasksConn.Close() }()
	expl.SetRemediationTracker(tasksclient.New(tasksConn))
	srv, health := grpcserver.New(grpcserver.Options{Service: Producer, Log: log, Verifier: verifier, ServerOptions: audit.ServerOptions(pool, Producer, log),
		Public: func(m string) bool { return grpcapi.PublicExplanationMethods[m] }})
	accountabilityv1.RegisterAccountabilityServiceServer(srv, grpcapi.New(svc, log))
	accountabilityv1.RegisterExplanationServiceServer(srv, grpcapi.NewExplanationServer(expl, store, log))
	accountabilityv1.RegisterEvaluationServiceServer(srv, grpcapi.NewEvaluationServer(expl, log))

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
		// Art. 14.1: published and imported results open explanation requests.
		err := consumer.Run(gctx, consumer.Config{
			Pool: pool, JS: js, Stream: "parscoring", Durable: events.TriggersDurable,
			FilterSubjects: []string{events.SubjectResultPublished}, Log: log,
			Handle: events.ResultsHandler(expl, log),
		})
		if err != nil {
			return fmt.Errorf("consumer %s: %w", events.TriggersDurable, err)
		}
		return nil
	})
	g.Go(func() error {
		interval := cfg.OverdueScanInterval
		if interval <= 0 {
			interval = time.Minute
		}
		return expl.RunOverdueScheduler(gctx, interval)
	})
	g.Go(func() error {
		if err := grpcserver.Serve(gctx, srv, health, lis); err != nil {
			return fmt.Errorf("grpc: %w", err)
		}
		return nil
	})
	log.InfoContext(ctx, "accountability serving", slog.String("addr", lis.Addr().String()))
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
