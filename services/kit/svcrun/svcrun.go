// Package svcrun is the start-up every service's server.Run shares: the token verifier,
// the service's own database (opened and migrated), NATS (and the service's stream with
// its outbox relay, for a service that publishes events), the gRPC server with kit's
// interceptors and the audit log, connections to peer services, and running the
// service's components beside the server until the context ends. A service's server.Run
// says only what is its own: its migrations, its use cases and API, its workers.
package svcrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

// Base is the configuration every service reads (kit/config tags). Embed it, untagged,
// in a server's Config: kit/config reads the fields of embedded structs, so the variable
// names stay those of every service.
type Base struct {
	// DatabaseURL is the service's own database.
	DatabaseURL string `env:"DATABASE_URL" required:"true" secret:"true"`
	// NatsURL is the JetStream server.
	NatsURL string `env:"NATS_URL" default:"nats://127.0.0.1:4222"`
	// AuthJWKSURL is the identity provider's JWKS; or AuthPublicKeyFile, a local PEM key
	// (exactly one).
	AuthJWKSURL       string `env:"AUTH_JWKS_URL"`
	AuthPublicKeyFile string `env:"AUTH_PUBLIC_KEY_FILE"`
	// AuthIssuer and AuthAudience are the required iss and aud of tokens.
	AuthIssuer   string `env:"AUTH_ISSUER" default:"par-dev"`
	AuthAudience string `env:"AUTH_AUDIENCE" default:"par-platform"`
	// TokenCacheTTL is how long a verified bearer token is accepted without checking its
	// signature again (never past its expiry); 0 checks every call.
	TokenCacheTTL time.Duration `env:"TOKEN_CACHE_TTL" default:"1m"`
}

// Caller is the configuration of a service that calls the directory (kit/config tags);
// embed it beside Base.
type Caller struct {
	// ServiceToken is the service's own token, for calls made outside a request; calls
	// made for a request forward the caller's token.
	ServiceToken string `env:"SERVICE_TOKEN" secret:"true"`
	// DirectoryAddr is the directory's gRPC address.
	DirectoryAddr string `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
}

// Options is what differs between services at start-up.
type Options struct {
	// Service names the service: its NATS client name, its stream (when Publishes), the
	// producer of its audit records and the service of its logs.
	Service string
	// Migrations are the service's own (pg.Migrate); nil for none.
	Migrations fs.FS
	// Publishes is true for a service that publishes events: its stream is created before
	// anything runs, and the outbox relay runs beside the server.
	Publishes bool
	// Public lists methods callable without a token (grpcserver.Options.Public).
	Public func(fullMethod string) bool
	// MaxRecvMsgSize overrides gRPC's 4 MiB limit on a received message when > 0.
	MaxRecvMsgSize int
}

// Process is a service started by Start: its dependencies are open, its gRPC server is
// built and waits for the service's API; Run serves it.
type Process struct {
	// Pool is the service's migrated database.
	Pool *pgxpool.Pool
	// NC and JS are the NATS connection and its JetStream.
	NC *nats.Conn
	JS jetstream.JetStream
	// Server is the gRPC server: register the service's API on it before Run.
	Server *grpc.Server

	service    string
	log        *slog.Logger
	lis        net.Listener
	health     *health.Server
	components []component
	closers    []func()
	served     bool
	closeOnce  sync.Once
}

type component struct {
	name string
	run  func(context.Context) error
}

// Start opens what every service needs, in the order they depend on each other. On error
// everything opened so far is closed, lis included. Otherwise the caller defers Close and
// ends with Run.
func Start(ctx context.Context, base Base, opts Options, log *slog.Logger, lis net.Listener) (_ *Process, err error) {
	p := &Process{service: opts.Service, log: log, lis: lis}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()

	// Authentication: tokens of the platform's identity provider.
	verifier, err := auth.NewVerifier(auth.Config{
		JWKSURL: base.AuthJWKSURL, PublicKeyPEMFile: base.AuthPublicKeyFile,
		Issuer: base.AuthIssuer, Audience: base.AuthAudience,
	})
	if err != nil {
		return nil, fmt.Errorf("token verifier: %w", err)
	}
	// Clients send the same token call after call; its signature is checked once.
	verifier = auth.NewCachingVerifier(verifier, base.TokenCacheTTL, nil)

	// Database: the service's own, migrated before anything reads it.
	if p.Pool, err = pg.Open(ctx, base.DatabaseURL); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Pool.Close)
	if err := pg.Migrate(ctx, p.Pool, opts.Migrations); err != nil {
		return nil, err
	}

	// NATS: the service's stream must exist before the relay publishes into it. A service
	// that only consumes leaves the producers' streams to its consumers.
	if p.NC, p.JS, err = natsx.Connect(ctx, base.NatsURL, opts.Service); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.NC.Close)
	if opts.Publishes {
		if _, err := natsx.EnsureStream(ctx, p.JS, opts.Service); err != nil {
			return nil, err
		}
		p.Go("outbox relay", (&outbox.Relay{Pool: p.Pool, JS: p.JS, Log: log}).Run)
	}

	// API: kit's server (tracing, recovery, logging, authentication, protovalidate,
	// health, reflection) with the audit log of mutations.
	p.Server, p.health = grpcserver.New(grpcserver.Options{
		Service: opts.Service, Log: log, Verifier: verifier, Public: opts.Public,
		MaxRecvMsgSize: opts.MaxRecvMsgSize, ServerOptions: audit.ServerOptions(p.Pool, opts.Service, log),
	})
	return p, nil
}

// Dial connects to a peer service at addr (lazily: the service starts while the peer is
// down, and only the calls to it fail until it is back). Calls made for a request forward
// the caller's token, others send serviceToken. Close closes the connection.
func (p *Process) Dial(addr, serviceToken string) (*grpc.ClientConn, error) {
	conn, err := grpcclient.Dial(addr, auth.PerRPCCredentials{ServiceToken: serviceToken})
	if err != nil {
		return nil, fmt.Errorf("client of %s: %w", addr, err)
	}
	p.closers = append(p.closers, func() { _ = conn.Close() })
	return conn, nil
}

// DialDirectory is Dial to the directory of c.
func (p *Process) DialDirectory(c Caller) (*grpc.ClientConn, error) {
	return p.Dial(c.DirectoryAddr, c.ServiceToken)
}

// Go adds a component Run runs beside the server until its context ends (a consumer, a
// scheduler, a worker). name prefixes its error.
func (p *Process) Go(name string, run func(context.Context) error) {
	p.components = append(p.components, component{name: name, run: run})
}

// Run serves the gRPC API on the listener and runs the components until ctx ends, then
// stops gracefully: the server finishes the calls in flight (grpcserver.Serve) and every
// component returns. The first component to return, with or without an error, stops the
// others: a service missing one of its parts must not keep serving. Run returns the
// components' errors, except those that only say their context ended.
func (p *Process) Run(ctx context.Context) error {
	p.served = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	all := append(slices.Clone(p.components), component{name: "grpc", run: func(ctx context.Context) error {
		return grpcserver.Serve(ctx, p.Server, p.health, p.lis)
	}})
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(all))
	)
	for i, c := range all {
		wg.Go(func() {
			defer cancel()
			if err := c.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs[i] = fmt.Errorf("%s: %w", c.name, err)
			}
		})
	}
	p.log.InfoContext(ctx, p.service+" serving", slog.String("addr", p.lis.Addr().String()))
	wg.Wait()
	return errors.Join(errs...)
}

// Close closes what Start and Dial opened, in reverse order, and the listener if Run never
// served it. It may be called more than once.
func (p *Process) Close() {
	p.closeOnce.Do(func() {
		if !p.served {
			_ = p.lis.Close() // serving would have closed it
		}
		for _, c := range slices.Backward(p.closers) {
			c()
		}
	})
}
