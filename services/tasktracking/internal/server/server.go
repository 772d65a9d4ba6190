// Package server wires the task-tracking process: database, migrations, NATS stream and
// outbox relay, the directory client and the gRPC API. cmd/tasktracking and the component
// tests both start the service through Run.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/blob"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/svcrun"
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
	svcrun.Base
	// Caller: the directory, where units are resolved.
	svcrun.Caller
	// DirectoryCacheTTL is how long a unit the directory found is taken as existing without
	// asking again; 0 asks every time (tests that construct the Config directly).
	DirectoryCacheTTL time.Duration `env:"DIRECTORY_CACHE_TTL" default:"1m"`
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
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) error {
	p, err := svcrun.Start(ctx, cfg.Base, svcrun.Options{
		Service: Service, Migrations: postgres.Migrations(), Publishes: true, MaxRecvMsgSize: maxRecvMsgSize,
	}, log, lis)
	if err != nil {
		return err
	}
	defer p.Close()

	// Directory: calls forward the caller's token, so the directory applies its rights.
	dirConn, err := p.DialDirectory(cfg.Caller)
	if err != nil {
		return err
	}

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
	store := postgres.New(p.Pool)
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
	tasktrackingv1.RegisterTaskTrackingServiceServer(p.Server, api)
	tasktrackingv1.RegisterTargetServiceServer(p.Server, grpcapi.NewTargets(api, app.NewTargets(store, dirClient, clock, newID)))
	tasktrackingv1.RegisterStatisticsServiceServer(p.Server, grpcapi.NewStatistics(api, app.NewStatistics(store, dirClient, clock)))
	tasktrackingv1.RegisterProgressReportServiceServer(p.Server, reports)

	// The deadline scheduler's state is in the database, so every replica may run one.
	if cfg.SchedulerInterval > 0 {
		p.Go("deadline scheduler", app.NewScheduler(store, log, clock, cfg.SchedulerInterval, leads).WithDueReports(store).Run)
	} else {
		log.InfoContext(ctx, "deadline scheduler off in this process (SCHEDULER_INTERVAL=0)")
	}
	// Contents of uploads whose evidence row never committed (issue 3 item 4).
	if cfg.BlobSweepInterval > 0 {
		// Write times of files are wall-clock times, whatever clock the domain runs on.
		p.Go("blob sweep", app.NewBlobSweep(blobs, store, log, time.Now, cfg.BlobSweepGrace, cfg.BlobSweepInterval).Run)
	}
	// Remediation tasks from accountability's committed roadmaps (issue 3 item 9).
	remediation := events.NewRemediation(svc, func(tx pgx.Tx) app.RemediationWriter { return postgres.NewRemediationWriter(tx) })
	p.Go("remediation consumer", func(ctx context.Context) error {
		// A stop requested while the consumer was still starting is not a failure.
		if err := consumer.Run(ctx, remediation.Consumer(p.Pool, p.JS, log)); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	})
	return p.Run(ctx)
}

// maxRecvMsgSize lets ImportDocumentTasks receive its largest file (5 MiB, the contract's
// limit) with the document's header, above gRPC's default of 4 MiB.
const maxRecvMsgSize = 6 << 20

// newID returns a time-ordered UUID (v7): rows inserted together sit together in indexes,
// and ids sort in creation order, which ListTasks relies on.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}
