// Package server runs one accountability process: database and migrations, NATS and the
// ACCOUNTABILITY stream, the outbox relay, the directory client, and the gRPC API, until
// its context ends. Component tests call Run in-process; cmd/accountability only adds
// configuration, logs, tracing and the listener.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/directoryclient"
	"github.com/parindex/platform/services/accountability/internal/events"
	"github.com/parindex/platform/services/accountability/internal/grpcapi"
	"github.com/parindex/platform/services/accountability/internal/postgres"
	"github.com/parindex/platform/services/accountability/internal/tasksclient"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/svcrun"
)

// Producer names the service's stream (ACCOUNTABILITY) and subjects (accountability.v1.>).
const Producer = "accountability"

// Config is what an accountability process needs from its environment (kit/config tags).
type Config struct {
	svcrun.Base
	// Caller: the directory, to check unit ids; calls made for a request forward the
	// caller's token, others send SERVICE_TOKEN.
	svcrun.Caller
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
	p, err := svcrun.Start(ctx, cfg.Base, svcrun.Options{
		Service: Producer, Migrations: postgres.Migrations(), Publishes: true,
		Public: func(m string) bool { return grpcapi.PublicExplanationMethods[m] },
	}, log, lis)
	if err != nil {
		return err
	}
	defer p.Close()

	// Directory: connects lazily, so the service starts while the directory is down and
	// only puts fail (Unavailable) until it is back.
	dirConn, err := p.DialDirectory(cfg.Caller)
	if err != nil {
		return err
	}

	// API: use cases on the store and the directory.
	store := postgres.NewStore(p.Pool)
	dir := directoryclient.New(dirConn)
	svc := app.New(store, dir, nil)
	if cfg.ExplanationDueDays >= 30 {
		return fmt.Errorf("EXPLANATION_DUE_DAYS=%d leaves no time inside the 30 days of Art. 20.2", cfg.ExplanationDueDays)
	}
	expl := app.NewExplanations(store, dir, nil, cfg.ExplanationDueDays, log)
	// Task tracking: remediation progress on explanations, read with the caller's token.
	tasksConn, err := p.Dial(cfg.TaskTrackingAddr, cfg.ServiceToken)
	if err != nil {
		return err
	}
	expl.SetRemediationTracker(tasksclient.New(tasksConn))
	accountabilityv1.RegisterAccountabilityServiceServer(p.Server, grpcapi.New(svc, log))
	accountabilityv1.RegisterExplanationServiceServer(p.Server, grpcapi.NewExplanationServer(expl, store, log))
	accountabilityv1.RegisterEvaluationServiceServer(p.Server, grpcapi.NewEvaluationServer(expl, log))

	// Art. 14.1: published and imported results open explanation requests.
	p.Go("consumer "+events.TriggersDurable, func(ctx context.Context) error {
		return consumer.Run(ctx, consumer.Config{
			Pool: p.Pool, JS: p.JS, Stream: "parscoring", Durable: events.TriggersDurable,
			FilterSubjects: []string{events.SubjectResultPublished}, Log: log,
			Handle: events.ResultsHandler(expl, log),
		})
	})
	p.Go("overdue scheduler", func(ctx context.Context) error {
		interval := cfg.OverdueScanInterval
		if interval <= 0 {
			interval = time.Minute
		}
		return expl.RunOverdueScheduler(ctx, interval)
	})
	return p.Run(ctx)
}
