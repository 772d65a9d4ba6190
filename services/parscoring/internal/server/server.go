// Package server runs one PAR scoring process: database and migrations, NATS and the
// PARSCORING stream, the outbox relay, and the gRPC API, until its context ends.
// Component tests call Run in-process; cmd/parscoring only adds configuration, logs,
// tracing and the listener.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/svcrun"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/directory"
	"github.com/parindex/platform/services/parscoring/internal/grpcapi"
	"github.com/parindex/platform/services/parscoring/internal/postgres"
)

// Producer names the service's stream (PARSCORING) and subjects (parscoring.v1.>).
const Producer = "parscoring"

// Config is what a PAR scoring process needs from its environment (kit/config tags).
type Config struct {
	svcrun.Base
	// Caller: the directory, where a round's units are resolved.
	svcrun.Caller
}

// Run serves PAR scoring on lis until ctx ends, then stops gracefully and returns nil; it
// returns an error if a dependency cannot be set up or a component fails. lis is closed
// in every case.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) error {
	p, err := svcrun.Start(ctx, cfg.Base, svcrun.Options{
		Service: Producer, Migrations: postgres.Migrations(), Publishes: true,
		Public: func(m string) bool { return grpcapi.PublicResultsMethods[m] || grpcapi.PublicAssessmentMethods[m] },
	}, log, lis)
	if err != nil {
		return err
	}
	defer p.Close()

	// API: use cases on the store.
	store := postgres.NewStore(p.Pool)
	scoring := app.New(store, nil)
	parscoringv1.RegisterParScoringServiceServer(p.Server, grpcapi.New(scoring, log))
	parscoringv1.RegisterMethodologyServiceServer(p.Server, grpcapi.NewMethodologyServer(scoring, log))
	// The directory is called on behalf of the caller (its token is forwarded).
	dirConn, err := p.DialDirectory(cfg.Caller)
	if err != nil {
		return fmt.Errorf("directory client: %w", err)
	}
	dir := directory.New(dirConn)
	assessments := app.NewAssessments(store, store, dir, nil)
	parscoringv1.RegisterAssessmentServiceServer(p.Server, grpcapi.NewAssessmentServer(assessments, app.NewFeedback(store, dir, nil), log))
	resultsUC := app.NewResults(store, nil)
	resultsUC.UseRounds(assessments) // round finalisation → publication
	parscoringv1.RegisterResultsServiceServer(p.Server, grpcapi.NewResults(resultsUC, log))
	return p.Run(ctx)
}
