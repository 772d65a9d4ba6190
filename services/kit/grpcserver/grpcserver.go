// Package grpcserver builds the gRPC server every service runs, with the cross-cutting
// concerns in one place: tracing (otelgrpc stats handler), panic recovery, one log line
// per call, authentication, NFC normalisation of request strings, request validation
// (protovalidate rules in the .proto files), health and reflection.
package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/logx"
)

// GracePeriod is how long Serve waits for in-flight calls to finish after its context
// ends before it cuts the remaining connections.
const GracePeriod = 10 * time.Second

// Options configures New.
type Options struct {
	// Service names the service; it tags the default logger when Log is nil.
	Service string
	// Log receives the call log, panics and validation failures; nil means slog.Default().
	// A kit/logx logger adds the service name and the trace ids.
	Log *slog.Logger
	// Verifier authenticates callers. Required.
	Verifier auth.Verifier
	// Public lists further methods (full names, "/pkg.Service/Method") callable without a
	// token. Health and reflection are always public.
	Public func(fullMethod string) bool
	// MaxRecvMsgSize overrides gRPC's 4 MiB limit on a received message when > 0.
	MaxRecvMsgSize int
	// ServerOptions are appended to the options New sets.
	ServerOptions []grpc.ServerOption
}

// New returns a gRPC server with the platform's interceptor chain and the health and
// reflection services registered, and the health server whose status Serve manages.
// Register the service's own API on the server before calling Serve.
//
// Interceptors run in this order: panic recovery (a panic becomes codes.Internal and is
// logged with its stack; the server keeps running), the call log, authentication,
// NFC normalisation of every string in the request (Vietnamese text from agency systems
// that bypass the gateway), protovalidate (an invalid request becomes InvalidArgument
// with errdetails.BadRequest).
// New panics when opts.Verifier is nil: a server without authentication is a wiring bug.
func New(opts Options) (*grpc.Server, *health.Server) {
	if opts.Verifier == nil {
		panic("grpcserver: Options.Verifier is required")
	}
	log := opts.Log
	if log == nil {
		// A kit/logx logger already carries the service name; the default one does not.
		log = slog.Default().With(slog.String(logx.ServiceKey, opts.Service))
	}
	public := func(m string) bool {
		return IsHealthOrReflection(m) || (opts.Public != nil && opts.Public(m))
	}
	// The global validator compiles each message's rules once, on first use, and is
	// safe for concurrent use.
	validator := protovalidate.GlobalValidator
	recoveryOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		method, _ := grpc.Method(ctx)
		// debug.Stack here still shows the panicking frames: the deferred recover has
		// not unwound them yet.
		log.ErrorContext(ctx, "panic in gRPC handler",
			slog.String("grpc.method", method),
			slog.String("panic", fmt.Sprint(p)),
			slog.String("stack", string(debug.Stack())))
		return status.Error(codes.Internal, apierr.InternalMessage)
	})

	serverOpts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(
			recovery.UnaryServerInterceptor(recoveryOpt),
			unaryLog(log),
			auth.UnaryServerInterceptor(opts.Verifier, public),
			unaryNotePrincipal,
			unaryNFC,
			unaryValidate(validator, log),
		),
		grpc.ChainStreamInterceptor(
			recovery.StreamServerInterceptor(recoveryOpt),
			streamLog(log),
			auth.StreamServerInterceptor(opts.Verifier, public),
			streamNotePrincipal,
			streamValidate(validator, log),
		),
	}
	if opts.MaxRecvMsgSize > 0 {
		serverOpts = append(serverOpts, grpc.MaxRecvMsgSize(opts.MaxRecvMsgSize))
	}
	serverOpts = append(serverOpts, opts.ServerOptions...)

	srv := grpc.NewServer(serverOpts...)
	hs := health.NewServer()
	// Not serving until Serve runs, whatever the health package's default.
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv) // v1 and v1alpha
	return srv, hs
}

// IsHealthOrReflection reports whether fullMethod belongs to gRPC health or reflection,
// the methods that are public on every server.
func IsHealthOrReflection(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

// Serve serves srv on lis until ctx ends, then stops gracefully: every health status turns
// NOT_SERVING (so load balancers and watching clients drain first), in-flight calls get
// GracePeriod to finish, and whatever remains is cut. It returns nil after a stop caused by
// ctx, or the error that made serving fail.
func Serve(ctx context.Context, srv *grpc.Server, hs *health.Server, lis net.Listener) error {
	hs.Resume()
	for name := range srv.GetServiceInfo() {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	select {
	case err := <-served:
		hs.Shutdown()
		return fmt.Errorf("grpcserver: serve on %s: %w", lis.Addr(), err)
	case <-ctx.Done():
	}

	hs.Shutdown()
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(GracePeriod)
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		// Long-lived streams (health Watch, server streams) would hold GracefulStop
		// forever.
		srv.Stop()
		<-stopped
	}
	<-served
	return nil
}
