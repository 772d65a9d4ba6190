// Package server runs one directory process: database and migrations, NATS and the
// DIRECTORY stream, the outbox relay, and the gRPC API, until its context ends.
// Component tests call Run in-process; cmd/directory only adds configuration, logs,
// tracing and the listener.
package server

import (
	"context"
	"log/slog"
	"net"

	"github.com/parindex/platform/services/directory/internal/app"
	"github.com/parindex/platform/services/directory/internal/auditlog"
	"github.com/parindex/platform/services/directory/internal/grpcapi"
	"github.com/parindex/platform/services/directory/internal/postgres"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/svcrun"
)

// Producer names the directory's stream (DIRECTORY) and subjects (directory.v1.>).
const Producer = "directory"

// Config is what a directory process needs from its environment (kit/config tags): the
// settings every service reads; the directory has none of its own.
type Config struct {
	svcrun.Base
}

// Run serves the directory on lis until ctx ends, then stops gracefully and returns nil;
// it returns an error if a dependency cannot be set up or a component fails. lis is
// closed in every case.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) error {
	p, err := svcrun.Start(ctx, cfg.Base, svcrun.Options{Service: Producer, Migrations: postgres.Migrations(), Publishes: true}, log, lis)
	if err != nil {
		return err
	}
	defer p.Close()

	// API: use cases on the store.
	grpcapi.New(app.New(postgres.New(p.Pool)), log).Register(p.Server)
	grpcapi.NewAuditServer(auditlog.NewStore(p.Pool), log).Register(p.Server)

	// The platform's audit log: one durable consumer per producer's audit subject.
	for _, c := range auditlog.Consumers(p.Pool, p.JS, log) {
		p.Go("consumer "+c.Durable, func(ctx context.Context) error { return consumer.Run(ctx, c) })
	}
	return p.Run(ctx)
}
