// Package gateway is the REST front of the platform: grpc-gateway handlers for every
// service, authentication of the caller, tracing, request logs and limits.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/natsx"

	"github.com/parindex/platform/gateway/internal/docs"
	"github.com/parindex/platform/gateway/internal/openapi"
)

// Config is the gateway's configuration, read from the environment.
type Config struct {
	HTTPAddr           string        `env:"HTTP_ADDR" default:"127.0.0.1:8080"`
	DirectoryAddr      string        `env:"DIRECTORY_ADDR" default:"127.0.0.1:9101"`
	TaskTrackingAddr   string        `env:"TASKTRACKING_ADDR" default:"127.0.0.1:9102"`
	ParScoringAddr     string        `env:"PARSCORING_ADDR" default:"127.0.0.1:9103"`
	AccountabilityAddr string        `env:"ACCOUNTABILITY_ADDR" default:"127.0.0.1:9104"`
	NotificationAddr   string        `env:"NOTIFICATION_ADDR" default:"127.0.0.1:9105"`
	AuthJWKSURL        string        `env:"AUTH_JWKS_URL"`
	AuthPublicKeyFile  string        `env:"AUTH_PUBLIC_KEY_FILE"`
	AuthIssuer         string        `env:"AUTH_ISSUER" default:"par-dev"`
	AuthAudience       string        `env:"AUTH_AUDIENCE" default:"par-platform"`
	OTLPEndpoint       string        `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	LogLevel           string        `env:"LOG_LEVEL" default:"info"`
	MaxBodyBytes       int64         `env:"MAX_BODY_BYTES" default:"1048576"`
	RequestTimeout     time.Duration `env:"REQUEST_TIMEOUT" default:"30s"`
	// CORSAllowedOrigins are the portal's origins allowed to call from a browser.
	CORSAllowedOrigins []string `env:"CORS_ALLOWED_ORIGINS"`
	// TrustForwardedFor makes the last X-Forwarded-For entry the client IP (behind a
	// trusted reverse proxy only).
	TrustForwardedFor bool `env:"TRUST_FORWARDED_FOR" default:"false"`
	// PublicRatePerMinute and PublicRateBurst limit public routes per client IP.
	PublicRatePerMinute int `env:"PUBLIC_RATE_PER_MINUTE" default:"60"`
	PublicRateBurst     int `env:"PUBLIC_RATE_BURST" default:"20"`
	// NatsURL is the JetStream server holding the Idempotency-Key results; empty turns
	// idempotent replays off.
	NatsURL string `env:"NATS_URL"`
	// IdempotencyTTL is how long a POST result is kept for retries with the same key.
	IdempotencyTTL time.Duration `env:"IDEMPOTENCY_TTL" default:"24h"`
}

// Gateway is the HTTP handler of the platform and the gRPC connections behind it.
type Gateway struct {
	handler http.Handler
	conns   []*grpc.ClientConn
	nc      *nats.Conn
}

// New connects to every service and builds the handler. Connections are lazy (grpc.NewClient),
// so the gateway starts even when a service is still starting.
func New(ctx context.Context, cfg Config, log *slog.Logger, verifier auth.Verifier) (*Gateway, error) {
	g := &Gateway{}
	dial := func(target string) (*grpc.ClientConn, error) {
		// The gateway forwards the caller's Authorization header as metadata itself, so the
		// connection carries no credentials of its own.
		conn, err := grpcclient.Dial(target, nil)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", target, err)
		}
		g.conns = append(g.conns, conn)
		return conn, nil
	}

	dirConn, err := dial(cfg.DirectoryAddr)
	if err != nil {
		return nil, err
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				// Proto field names (snake_case) are the stable JSON names of the API, the same
				// names the OpenAPI document shows.
				MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
				UnmarshalOptions: protojson.UnmarshalOptions{},
			},
		}),
		runtime.WithHealthEndpointAt(healthpb.NewHealthClient(dirConn), "/healthz"),
		runtime.WithErrorHandler(errorHandler(log)),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
	)

	if err := directoryv1.RegisterDirectoryServiceHandler(ctx, mux, dirConn); err != nil {
		return nil, fmt.Errorf("register directory: %w", err)
	}
	registrations := []struct {
		addr     string
		register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	}{
		{cfg.DirectoryAddr, directoryv1.RegisterAuditServiceHandler},
		{cfg.TaskTrackingAddr, tasktrackingv1.RegisterTaskTrackingServiceHandler},
		{cfg.TaskTrackingAddr, tasktrackingv1.RegisterStatisticsServiceHandler},
		{cfg.TaskTrackingAddr, tasktrackingv1.RegisterProgressReportServiceHandler},
		{cfg.TaskTrackingAddr, tasktrackingv1.RegisterTargetServiceHandler},
		{cfg.ParScoringAddr, parscoringv1.RegisterParScoringServiceHandler},
		{cfg.ParScoringAddr, parscoringv1.RegisterResultsServiceHandler},
		{cfg.ParScoringAddr, parscoringv1.RegisterAssessmentServiceHandler},
		{cfg.ParScoringAddr, parscoringv1.RegisterMethodologyServiceHandler},
		{cfg.AccountabilityAddr, accountabilityv1.RegisterAccountabilityServiceHandler},
		{cfg.AccountabilityAddr, accountabilityv1.RegisterExplanationServiceHandler},
		{cfg.AccountabilityAddr, accountabilityv1.RegisterEvaluationServiceHandler},
		{cfg.NotificationAddr, notificationv1.RegisterNotificationServiceHandler},
	}
	for _, r := range registrations {
		conn, err := dial(r.addr)
		if err != nil {
			return nil, err
		}
		if err := r.register(ctx, mux, conn); err != nil {
			return nil, fmt.Errorf("register handlers for %s: %w", r.addr, err)
		}
	}

	root := http.NewServeMux()
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	})
	// Evidence upload (multipart) and download (raw bytes) over task tracking's streams.
	ttConn, err := dial(cfg.TaskTrackingAddr)
	if err != nil {
		return nil, err
	}
	registerEvidence(root, ttConn, log)
	root.Handle("GET /docs/", docs.Handler("/docs/"))
	root.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	root.Handle("/", mux)

	if cfg.PublicRatePerMinute <= 0 {
		cfg.PublicRatePerMinute = 60
	}
	if cfg.PublicRateBurst <= 0 {
		cfg.PublicRateBurst = 20
	}
	policies := newPolicyTable(routePolicies(), cfg.MaxBodyBytes, cfg.RequestTimeout)
	deny := func(w http.ResponseWriter, r *http.Request, msg string, cause error) {
		if cause != nil {
			log.InfoContext(r.Context(), "token refused", slog.String("path", r.URL.Path), slog.String("error", cause.Error()))
		}
		writeCode(r.Context(), w, codes.Unauthenticated, msg)
	}

	// Outermost first: CORS answers preflights before authentication; public routes are
	// rate limited before any work; the body is bounded and normalised once authenticated.
	var kv jetstream.KeyValue
	if cfg.NatsURL != "" {
		nc, js, err := natsx.Connect(ctx, cfg.NatsURL, "gateway")
		if err != nil {
			return nil, err
		}
		g.nc = nc
		ttl := cfg.IdempotencyTTL
		if ttl <= 0 {
			ttl = 24 * time.Hour
		}
		if kv, err = openIdempotencyStore(ctx, js, ttl); err != nil {
			nc.Close()
			return nil, fmt.Errorf("idempotency bucket: %w", err)
		}
	}

	var h http.Handler = root
	h = timeouts(h)
	h = idempotency(kv, log, h)
	h = normalizeRequest(h)
	h = auth.MiddlewareFunc(verifier, policies.isPublic, deny, h)
	h = rateLimitPublic(newRateLimiter(cfg.PublicRatePerMinute, cfg.PublicRateBurst), cfg.TrustForwardedFor, h)
	h = cors(cfg.CORSAllowedOrigins, h)
	h = withPolicy(policies, h)
	h = accessLog(log, h)
	// otelhttp is outermost so the span (and its trace id) exists for the access log, and the
	// W3C traceparent of the caller, if any, is continued.
	h = otelhttp.NewHandler(h, "gateway", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return r.Method + " " + r.URL.Path
	}))
	g.handler = h
	return g, nil
}

// ServeHTTP serves the REST API.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Close closes the connections to the services.
func (g *Gateway) Close() error {
	var errs []error
	if g.nc != nil {
		g.nc.Close()
	}
	for _, c := range g.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// statusRecorder remembers the status code written, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush keeps streaming responses streaming through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog writes one line per request, with the trace id of the request's span.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)))
	})
}
