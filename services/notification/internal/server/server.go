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
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/directory"
	"github.com/parindex/platform/services/notification/internal/events"
	"github.com/parindex/platform/services/notification/internal/grpcapi"
	"github.com/parindex/platform/services/notification/internal/notice"
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
	// DirectoryAddr is the directory's gRPC address, which resolves recipients.
	DirectoryAddr string `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
	// ServiceToken is the service's own token for the directory calls of its consumers.
	ServiceToken string `env:"SERVICE_TOKEN" secret:"true"`
	// DirectoryCacheTTL is how long directory answers are reused.
	DirectoryCacheTTL time.Duration `env:"NOTIFY_DIRECTORY_CACHE_TTL" default:"1m"`
	// PortalBaseURL prefixes the portal links of e-mails.
	PortalBaseURL string `env:"PORTAL_BASE_URL" default:"http://127.0.0.1:8080"`
	// EscalateAfter is how long an explanation request or overdue task may go without a
	// reaction before the secretariat is told.
	EscalateAfter time.Duration `env:"NOTIFY_ESCALATE_AFTER" default:"72h"`
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

	// The directory resolves recipients; consumers call it with the service's own token.
	dirConn, err := grpcclient.Dial(cfg.DirectoryAddr, auth.PerRPCCredentials{ServiceToken: cfg.ServiceToken})
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	defer func() { _ = dirConn.Close() }()
	dir := directory.New(dirConn, cfg.DirectoryCacheTTL)

	// Use cases, consumers and API.
	svc := app.New(postgres.New(pool), dir, notice.DefaultRules(), app.Options{
		PortalBaseURL: cfg.PortalBaseURL, EscalateAfter: cfg.EscalateAfter,
	}, log, time.Now, newID)
	handler := events.NewHandler(svc, func(tx pgx.Tx) app.TxStore { return postgres.New(tx) })
	api := grpcapi.New(svc, log)
	srv, hs := grpcserver.New(grpcserver.Options{Service: Service, Log: log, Verifier: verifier})
	notificationv1.RegisterNotificationServiceServer(srv, api)

	// Run the consumers, the workers and the server until ctx ends; if one fails, stop the
	// others.
	runners := []func(context.Context) error{
		func(ctx context.Context) error {
			if err := grpcserver.Serve(ctx, srv, hs, lis); err != nil {
				return fmt.Errorf("grpc: %w", err)
			}
			return nil
		},
	}
	for _, c := range handler.Consumers(pool, js, log) {
		runners = append(runners, func(ctx context.Context) error { return consumer.Run(ctx, c) })
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(runners))
	)
	for i, run := range runners {
		wg.Go(func() {
			defer cancel()
			errs[i] = run(ctx)
		})
	}
	log.InfoContext(ctx, "serving", "addr", lis.Addr().String())
	wg.Wait()
	return errors.Join(errs...)
}

// newID returns a time-ordered UUID (v7), so items created together sit together in indexes.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}
