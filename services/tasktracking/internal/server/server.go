// Package server wires the task-tracking process: database, migrations, NATS stream and
// outbox relay, the directory client and the gRPC API. cmd/tasktracking and the component
// tests both start the service through Run.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/blob"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/directory"
	"github.com/parindex/platform/services/tasktracking/internal/events"
	"github.com/parindex/platform/services/tasktracking/internal/grpcapi"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
)

// Service is the name of the service: its stream producer name, NATS client name and the
// service attribute of its logs.
const Service = "tasktracking"

// Config is what Run needs from the environment (kit/config tags); cmd/tasktracking adds the
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
	// ServiceToken is the service's own token, for calls made outside a request.
	ServiceToken string `env:"SERVICE_TOKEN" secret:"true"`
	// DirectoryAddr is the directory's gRPC address, where units are resolved.
	DirectoryAddr string `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
	// DirectoryCacheTTL is how long a unit the directory found is taken as existing without
	// asking again; 0 asks every time (tests that construct the Config directly).
	DirectoryCacheTTL time.Duration `env:"DIRECTORY_CACHE_TTL" default:"1m"`
	// TokenCacheTTL is how long a verified bearer token is accepted without checking its
	// signature again (never past its expiry); 0 checks every call.
	TokenCacheTTL time.Duration `env:"TOKEN_CACHE_TTL" default:"1m"`
	// MaxExtensions is how many extensions an occurrence may be granted.
	MaxExtensions int `env:"MAX_EXTENSIONS" default:"2"`
	// SchedulerInterval is how often the deadline scheduler makes a pass (it also makes
	// one at start-up); 0 turns it off in this process, e.g. in tests that construct the
	// Config directly or in a replica that should not run it.
	SchedulerInterval time.Duration `env:"SCHEDULER_INTERVAL" default:"1m"`
	// DueSoonLeadTimes are how long before a deadline the due-soon and report-due notices go
	// out: whole days (`7d`) or durations (`72h`), comma-separated.
	DueSoonLeadTimes string `env:"DUE_SOON_LEAD_TIMES" default:"7d,3d"`
	// BlobDir is the folder of the evidence files' contents (content-addressed, see
	// kit/blob); empty is a folder in the system's temporary directory, for tests.
	BlobDir string `env:"BLOB_DIR"`
	// BlobSweepInterval is how often contents of evidence uploads that never got their row
	// are looked for and removed; 0 turns the sweep off in this process.
	BlobSweepInterval time.Duration `env:"BLOB_SWEEP_INTERVAL" default:"1h"`
	// BlobSweepGrace is how old such a content must be before it is removed.
	BlobSweepGrace time.Duration `env:"BLOB_SWEEP_GRACE" default:"24h"`
	// MaxEvidenceBytes bounds one evidence file; 0 is app.DefaultMaxEvidenceBytes (25 MiB).
	MaxEvidenceBytes int64 `env:"MAX_EVIDENCE_BYTES" default:"26214400"`
	// Clock is the time source; nil is the system clock. Component tests set it to move
	// time past deadlines without waiting.
	Clock func() time.Time `env:"-"`
}

// Run serves the service on lis until ctx ends, then stops gracefully: the gRPC server
// finishes the calls in flight, the relay stops between batches, and connections close.
// It returns an error when the service cannot start or fails while running.
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

	// NATS: our stream exists before the relay publishes to it.
	nc, js, err := natsx.Connect(ctx, cfg.NATSURL, Service)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := natsx.EnsureStream(ctx, js, Service); err != nil {
		return err
	}

	// Authentication of incoming calls.
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL: cfg.AuthJWKSURL, PublicKeyPEMFile: cfg.AuthPublicKeyFile,
		Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience,
	})
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	// Clients send the same token call after call; its signature is checked once.
	verifier = auth.NewCachingVerifier(verifier, cfg.TokenCacheTTL, nil)

	// Directory: calls forward the caller's token, so the directory applies its rights.
	dirConn, err := grpcclient.Dial(cfg.DirectoryAddr, auth.PerRPCCredentials{ServiceToken: cfg.ServiceToken})
	if err != nil {
		return err
	}
	defer dirConn.Close()

	// Use cases and API.
	if cfg.MaxExtensions < 0 {
		return fmt.Errorf("MAX_EXTENSIONS must not be negative, got %d", cfg.MaxExtensions)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	leads, err := app.ParseLeadTimes(cfg.DueSoonLeadTimes)
	if err != nil {
		return fmt.Errorf("DUE_SOON_LEAD_TIMES: %w", err)
	}
	store := postgres.New(pool)
	dirClient := directory.New(dirConn).WithCache(cfg.DirectoryCacheTTL, nil)
	svc := app.New(store, dirClient, log, clock, newID).WithMaxExtensions(cfg.MaxExtensions)
	api := grpcapi.New(svc, log)
	blobDir := cfg.BlobDir
	if blobDir == "" {
		blobDir = filepath.Join(os.TempDir(), "par-tasktracking-blobs")
		log.WarnContext(ctx, "BLOB_DIR not set: evidence files go to a temporary folder", "dir", blobDir)
	}
	blobs, err := blob.NewFS(blobDir)
	if err != nil {
		return fmt.Errorf("BLOB_DIR: %w", err)
	}
	reports := grpcapi.NewReportServer(api, app.NewReports(svc, store, blobs, cfg.MaxEvidenceBytes))
	srv, hs := grpcserver.New(grpcserver.Options{Service: Service, Log: log, Verifier: verifier, ServerOptions: audit.ServerOptions(pool, Service, log), MaxRecvMsgSize: maxRecvMsgSize})
	tasktrackingv1.RegisterTaskTrackingServiceServer(srv, api)
	tasktrackingv1.RegisterTargetServiceServer(srv, grpcapi.NewTargets(api, app.NewTargets(store, dirClient, clock, newID)))
	tasktrackingv1.RegisterStatisticsServiceServer(srv, grpcapi.NewStatistics(api, app.NewStatistics(store, dirClient, clock)))
	tasktrackingv1.RegisterProgressReportServiceServer(srv, reports)

	// Run the relay, the scheduler and the server until ctx ends; if one fails, stop the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs = make([]error, 5)
	)
	wg.Go(func() {
		defer cancel()
		relay := &outbox.Relay{Pool: pool, JS: js, Log: log}
		if err := relay.Run(ctx); err != nil {
			errs[0] = fmt.Errorf("outbox relay: %w", err)
		}
	})
	// The deadline scheduler's state is in the database, so every replica may run one.
	if cfg.SchedulerInterval > 0 {
		sched := app.NewScheduler(store, log, clock, cfg.SchedulerInterval, leads).WithDueReports(store)
		wg.Go(func() {
			defer cancel()
			if err := sched.Run(ctx); err != nil {
				errs[2] = fmt.Errorf("deadline scheduler: %w", err)
			}
		})
	} else {
		log.InfoContext(ctx, "deadline scheduler off in this process (SCHEDULER_INTERVAL=0)")
	}
	// Contents of uploads whose evidence row never committed (issue 3 item 4).
	if cfg.BlobSweepInterval > 0 {
		// Write times of files are wall-clock times, whatever clock the domain runs on.
		sweep := app.NewBlobSweep(blobs, store, log, time.Now, cfg.BlobSweepGrace, cfg.BlobSweepInterval)
		wg.Go(func() {
			defer cancel()
			if err := sweep.Run(ctx); err != nil {
				errs[4] = fmt.Errorf("blob sweep: %w", err)
			}
		})
	}
	// Remediation tasks from accountability's committed roadmaps (issue 3 item 9).
	remediation := events.NewRemediation(svc, func(tx pgx.Tx) app.RemediationWriter { return postgres.NewRemediationWriter(tx) })
	wg.Go(func() {
		defer cancel()
		// A stop requested while the consumer was still starting is not a failure.
		if err := consumer.Run(ctx, remediation.Consumer(pool, js, log)); err != nil && ctx.Err() == nil {
			errs[3] = fmt.Errorf("remediation consumer: %w", err)
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

// maxRecvMsgSize lets ImportDocumentTasks receive its largest file (5 MiB, the contract's
// limit) with the document's header, above gRPC's default of 4 MiB.
const maxRecvMsgSize = 6 << 20

// newID returns a time-ordered UUID (v7): rows inserted together sit together in indexes,
// and ids sort in creation order, which ListTasks relies on.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}
