package auth

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Messages returned to unauthenticated callers: short, Vietnamese, and saying nothing about
// why a token failed (that goes to the server's log through the error's cause).
const (
	MsgMissingToken = "Chưa xác thực: thiếu mã truy cập"                        // #nosec G101 -- a message shown to people, not a credential
	MsgInvalidToken = "Chưa xác thực: mã truy cập không hợp lệ hoặc đã hết hạn" // #nosec G101 -- a message shown to people, not a credential
)

// authorizationKey is the metadata key (gRPC lower-cases keys) and HTTP header of the token.
const authorizationKey = "authorization"

// UnaryServerInterceptor authenticates every unary call except those for which public
// returns true (public may be nil: nothing is public). On success the handler's context
// carries the Principal (FromContext) and the raw token (TokenFromContext).
func UnaryServerInterceptor(v Verifier, public func(fullMethod string) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if public != nil && public(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, err := authenticate(ctx, v)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls.
func StreamServerInterceptor(v Verifier, public func(fullMethod string) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if public != nil && public(info.FullMethod) {
			return handler(srv, ss)
		}
		ctx, err := authenticate(ss.Context(), v)
		if err != nil {
			return err
		}
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}

// contextStream replaces a stream's context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

func authenticate(ctx context.Context, v Verifier) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var header string
	if vals := md.Get(authorizationKey); len(vals) > 0 {
		header = vals[0]
	}
	token, ok := bearerToken(header)
	if !ok {
		return ctx, &statusError{st: status.New(codes.Unauthenticated, MsgMissingToken)}
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return ctx, &statusError{st: status.New(codes.Unauthenticated, MsgInvalidToken), cause: err}
	}
	return WithToken(WithPrincipal(ctx, p), token), nil
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" value; the scheme is
// case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// statusError is a gRPC status for the client that keeps the cause for the server's log:
// gRPC sends only the status (GRPCStatus is found on the error itself, so its message is
// used verbatim), while Error and Unwrap expose the cause to logging interceptors.
type statusError struct {
	st    *status.Status
	cause error
}

func (e *statusError) Error() string {
	if e.cause == nil {
		return e.st.Err().Error()
	}
	return e.st.Err().Error() + ": " + e.cause.Error()
}

func (e *statusError) GRPCStatus() *status.Status { return e.st }

func (e *statusError) Unwrap() error { return e.cause }

// PerRPCCredentials attaches a bearer token to outgoing calls: the token of the incoming
// request found in the call's context (so a service calls another on behalf of its caller,
// and the callee applies the caller's rights), else ServiceToken (for work done outside a
// request, such as event consumers). With neither, the call goes out without a token and
// the callee rejects it.
//
// Use it with grpc.WithPerRPCCredentials (see kit/grpcclient).
type PerRPCCredentials struct {
	// ServiceToken is the service's own token (SERVICE_TOKEN), role "service".
	ServiceToken string
}

var _ credentials.PerRPCCredentials = PerRPCCredentials{}

// GetRequestMetadata returns the authorization metadata for one call.
func (c PerRPCCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	token, ok := TokenFromContext(ctx)
	if !ok {
		token = c.ServiceToken
	}
	if token == "" {
		return nil, nil
	}
	return map[string]string{authorizationKey: "Bearer " + token}, nil
}

// RequireTransportSecurity returns false: calls between services travel over loopback or
// the mesh's mTLS, below gRPC's view.
func (c PerRPCCredentials) RequireTransportSecurity() bool { return false }
