// Package stack starts the whole platform on one machine: a private PostgreSQL cluster from
// the system's binaries, an embedded NATS JetStream server, a development token issuer, every
// service and the gateway as separate processes. `make run` and the end-to-end tests use it.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/pg/pgcluster"
)

// Services are the platform's gRPC services, in start order: the directory first, since the
// others resolve units through it.
var Services = []string{"directory", "tasktracking", "parscoring", "accountability", "notification"}

// DemoClientID and DemoClientSecret are the dev issuer's demo agency system, for the
// OAuth2 client-credentials grant at /oauth2/token. Development only.
const (
	DemoClientID     = "demo-agency"
	DemoClientSecret = "demo-agency-secret" // #nosec G101 -- a published development credential of make run, not a secret
)

// Issuer and Audience are the dev token issuer's `iss` and the platform's `aud`.
const (
	Issuer   = "par-dev"
	Audience = "par-platform"
)

// Options say where the stack keeps its data and which ports it uses. A zero port picks a
// free one.
type Options struct {
	// DataDir holds the PostgreSQL cluster, the NATS store, the signing key and the logs.
	DataDir string
	// BinDir holds the built programs: one per service, and gateway.
	BinDir string
	// DatabaseURL, when set, is an external PostgreSQL server (a superuser URL) used instead
	// of the private cluster; the stack creates the services' databases on it.
	DatabaseURL string
	// NATSURL, when set, is an external JetStream server used instead of the embedded one.
	NATSURL string

	PostgresPort int
	NATSPort     int
	IssuerPort   int
	GatewayPort  int
	// GRPCPorts maps a service name to its port.
	GRPCPorts map[string]int

	Log *slog.Logger
}

// Stack is a running platform.
type Stack struct {
	opts     Options
	log      *slog.Logger
	cluster  *pgcluster.Cluster
	nats     *server.Server
	issuer   *http.Server
	signer   *auth.Signer
	procs    map[string]*process
	order    []string
	addrs    map[string]string
	natsURL  string
	jwksURL  string
	gwURL    string
	dbURLs   map[string]string
	svcToken string
}

// GatewayURL is the REST base URL.
func (s *Stack) GatewayURL() string { return s.gwURL }

// GRPCAddr is the gRPC address of a service.
func (s *Stack) GRPCAddr(service string) string { return s.addrs[service] }

// NATSURL is the JetStream server's URL.
func (s *Stack) NATSURL() string { return s.natsURL }

// JWKSURL is where the dev issuer publishes its keys.
func (s *Stack) JWKSURL() string { return s.jwksURL }

// DatabaseURL is a service's database URL.
func (s *Stack) DatabaseURL(service string) string { return s.dbURLs[service] }

// LogFile is the path of a program's log.
func (s *Stack) LogFile(name string) string {
	return filepath.Join(s.opts.DataDir, "logs", name+".log")
}

// Signer mints dev tokens accepted by every service.
func (s *Stack) Signer() *auth.Signer { return s.signer }

// Start brings the platform up. On error, whatever was started is stopped again.
func Start(ctx context.Context, opts Options) (st *Stack, err error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	opts.DataDir = dataDir
	if err := os.MkdirAll(dataDir, 0o755); err != nil { // #nosec G301 -- the postgres user must traverse the data directory to reach its cluster
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s := &Stack{opts: opts, log: opts.Log, procs: map[string]*process{}, addrs: map[string]string{}, dbURLs: map[string]string{}}
	defer func() {
		if err != nil {
			_ = s.Stop(context.WithoutCancel(ctx)) // the error that made New fail is the one to report
		}
	}()

	if err := s.startPostgres(ctx); err != nil {
		return nil, err
	}
	if err := s.startNATS(); err != nil {
		return nil, err
	}
	if err := s.startIssuer(); err != nil {
		return nil, err
	}
	if err := s.startPrograms(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// startPostgres starts the private cluster (or uses DatabaseURL) and creates one database per
// service, keeping whatever they already hold.
func (s *Stack) startPostgres(ctx context.Context) error {
	if s.opts.DatabaseURL != "" {
		for _, svc := range Services {
			u, err := createDatabaseAt(ctx, s.opts.DatabaseURL, "par_"+svc)
			if err != nil {
				return fmt.Errorf("database for %s: %w", svc, err)
			}
			s.dbURLs[svc] = u
		}
		return nil
	}
	if err := pgcluster.EnsureInstalled(ctx, s.log); err != nil {
		return err
	}
	cl, err := pgcluster.Start(ctx, pgcluster.Options{
		Dir:  filepath.Join(s.opts.DataDir, "postgres"),
		Port: s.opts.PostgresPort,
		Log:  s.log,
	})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.cluster = cl
	for _, svc := range Services {
		name := "par_" + svc
		if err := cl.CreateDatabase(ctx, name); err != nil {
			return fmt.Errorf("database %s: %w", name, err)
		}
		s.dbURLs[svc] = cl.URL(name)
	}
	return nil
}

// startNATS starts the embedded JetStream server with its store beside the database, or uses
// NATSURL.
func (s *Stack) startNATS() error {
	if s.opts.NATSURL != "" {
		s.natsURL = s.opts.NATSURL
		return nil
	}
	port := s.opts.NATSPort
	if port == 0 {
		port = -1
	}
	ns, err := natsx.StartEmbedded(natsx.Options{Dir: filepath.Join(s.opts.DataDir, "nats"), Host: "127.0.0.1", Port: port})
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	s.nats = ns
	s.natsURL = ns.ClientURL()
	return nil
}

// startIssuer loads (or creates) the dev signing key and publishes its JWKS on loopback, so
// services verify dev tokens exactly as they would verify a real identity provider's.
func (s *Stack) startIssuer() error {
	signer, err := auth.LoadOrCreateSigner(filepath.Join(s.opts.DataDir, "dev-signing-key.pem"), Issuer)
	if err != nil {
		return fmt.Errorf("dev signing key: %w", err)
	}
	s.signer = signer
	lis, err := listen(s.opts.IssuerPort)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", signer.JWKSHandler())
	// OAuth2 client credentials for agency systems (docs/AGENCIES.md), with one demo client.
	mux.Handle("/oauth2/token", auth.ClientCredentialsHandler(signer, Audience, time.Hour, map[string]auth.Client{
		DemoClientID: {Secret: DemoClientSecret, Principal: auth.Principal{Name: "Hệ thống thử nghiệm của cơ quan"}},
	}))
	s.issuer = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.issuer.Serve(lis) }()
	s.jwksURL = "http://" + lis.Addr().String() + "/.well-known/jwks.json"

	// The services' own token, for work done outside a request (event consumers calling the
	// directory). Long-lived because it is re-minted at every start.
	tok, err := signer.Mint(auth.Principal{Subject: "service:platform", Name: "Nền tảng CCHC", Roles: []string{auth.RoleService}}, Audience, 30*24*time.Hour)
	if err != nil {
		return fmt.Errorf("service token: %w", err)
	}
	s.svcToken = tok
	return nil
}

// startPrograms starts every service, waits for each to report SERVING, then the gateway.
func (s *Stack) startPrograms(ctx context.Context) error {
	common := []string{
		"NATS_URL=" + s.natsURL,
		"AUTH_JWKS_URL=" + s.jwksURL,
		"AUTH_ISSUER=" + Issuer,
		"AUTH_AUDIENCE=" + Audience,
		"SERVICE_TOKEN=" + s.svcToken,
	}
	if v := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		common = append(common, "OTEL_EXPORTER_OTLP_ENDPOINT="+v)
	}
	for _, svc := range Services {
		port, err := freePort(s.opts.GRPCPorts[svc])
		if err != nil {
			return err
		}
		s.addrs[svc] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	peers := []string{
		"DIRECTORY_ADDR=" + s.addrs["directory"],
		"TASKTRACKING_ADDR=" + s.addrs["tasktracking"],
		"PARSCORING_ADDR=" + s.addrs["parscoring"],
		"ACCOUNTABILITY_ADDR=" + s.addrs["accountability"],
		"NOTIFICATION_ADDR=" + s.addrs["notification"],
	}
	gwPort, err := freePort(s.opts.GatewayPort)
	if err != nil {
		return err
	}
	gwAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(gwPort))
	for _, svc := range Services {
		env := append(append([]string{}, common...), peers...)
		env = append(env, "GRPC_ADDR="+s.addrs[svc], "DATABASE_URL="+s.dbURLs[svc])
		if svc == "notification" {
			// E-mails link into the portal behind this stack's gateway; no SMTP relay runs
			// here, so e-mails stay queued (SMTP_ADDR empty).
			env = append(env, "PORTAL_BASE_URL=http://"+gwAddr)
		}
		if svc == "tasktracking" {
			// Evidence files live beside the database, so they survive restarts with it.
			env = append(env, "BLOB_DIR="+filepath.Join(s.opts.DataDir, "tasktracking", "blobs"))
		}
		p := &process{name: svc, bin: filepath.Join(s.opts.BinDir, svc), env: env, log: s.LogFile(svc)}
		s.procs[svc], s.order = p, append(s.order, svc)
		if err := p.start(); err != nil {
			return err
		}
		if err := s.waitGRPC(ctx, svc); err != nil {
			return err
		}
	}

	env := append(append([]string{}, common...), peers...)
	env = append(env, "HTTP_ADDR="+gwAddr)
	p := &process{name: "gateway", bin: filepath.Join(s.opts.BinDir, "gateway"), env: env, log: s.LogFile("gateway")}
	s.procs["gateway"], s.order = p, append(s.order, "gateway")
	if err := p.start(); err != nil {
		return err
	}
	s.gwURL = "http://" + gwAddr
	return p.waitReady(ctx, 30*time.Second, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.gwURL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %s", resp.Status)
		}
		return nil
	})
}

// waitGRPC waits until a service answers its gRPC health check with SERVING.
func (s *Stack) waitGRPC(ctx context.Context, svc string) error {
	conn, err := grpc.NewClient(s.addrs[svc], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("health client: %w", err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	return s.procs[svc].waitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("status %s", resp.GetStatus())
		}
		return nil
	})
}

// Kill stops one program at once, as a crash would (for restart tests).
func (s *Stack) Kill(name string) error {
	p, ok := s.procs[name]
	if !ok {
		return fmt.Errorf("no program %q", name)
	}
	return p.kill()
}

// Restart starts a stopped program again and waits until it is ready.
func (s *Stack) Restart(ctx context.Context, name string) error {
	p, ok := s.procs[name]
	if !ok {
		return fmt.Errorf("no program %q", name)
	}
	if err := p.start(); err != nil {
		return err
	}
	if name == "gateway" {
		return nil
	}
	return s.waitGRPC(ctx, name)
}

// Stop stops the gateway, the services in reverse order, the issuer, NATS and PostgreSQL.
func (s *Stack) Stop(ctx context.Context) error {
	var errs []error
	for i := len(s.order) - 1; i >= 0; i-- {
		if err := s.procs[s.order[i]].stop(15 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.order[i], err))
		}
	}
	if s.issuer != nil {
		_ = s.issuer.Close()
	}
	if s.nats != nil {
		s.nats.Shutdown()
		s.nats.WaitForShutdown()
	}
	if s.cluster != nil {
		if err := s.cluster.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop postgres: %w", err))
		}
	}
	return errors.Join(errs...)
}

// listen opens a loopback listener on port (0 picks one).
func listen(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// freePort returns port, or a free loopback port when port is 0. The port is free when asked;
// the program that binds it a moment later almost always gets it.
func freePort(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	lis, err := listen(0)
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port, nil
}
