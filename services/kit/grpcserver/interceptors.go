package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

// callNote carries facts learnt deeper in the chain back to the call log, which runs
// before authentication and so cannot read the principal from its own context.
type callNote struct {
	subject string
}

type callNoteKey struct{}

func withCallNote(ctx context.Context) (context.Context, *callNote) {
	n := &callNote{}
	return context.WithValue(ctx, callNoteKey{}, n), n
}

// CallPrincipal receives the principal of a call once authentication has accepted it,
// for an interceptor that runs before authentication (grpc.UnaryInterceptor in
// Options.ServerOptions): kit/audit names the actor of a call refused by validation.
type CallPrincipal struct {
	p  auth.Principal
	ok bool
}

type callPrincipalKey struct{}

// WithCallPrincipal returns ctx with an empty CallPrincipal the chain fills in.
func WithCallPrincipal(ctx context.Context) (context.Context, *CallPrincipal) {
	c := &CallPrincipal{}
	return context.WithValue(ctx, callPrincipalKey{}, c), c
}

// Principal returns the authenticated principal of the call, if authentication accepted it.
func (c *CallPrincipal) Principal() (auth.Principal, bool) { return c.p, c.ok }

// notePrincipal copies the authenticated principal into the call note and any
// CallPrincipal. Both are written and read on the goroutine that runs the call, so they
// need no lock.
func notePrincipal(ctx context.Context) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return
	}
	if n, _ := ctx.Value(callNoteKey{}).(*callNote); n != nil {
		n.subject = p.Subject
	}
	if c, _ := ctx.Value(callPrincipalKey{}).(*CallPrincipal); c != nil {
		c.p, c.ok = p, true
	}
}

func unaryNotePrincipal(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	notePrincipal(ctx)
	return handler(ctx, req)
}

func streamNotePrincipal(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	notePrincipal(ss.Context())
	return handler(srv, ss)
}

func unaryLog(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (_ any, err error) {
		start := time.Now()
		ctx, note := withCallNote(ctx)
		returned := false
		defer func() {
			// A panicking handler never returns; recovery (outside this interceptor)
			// turns the panic into Internal, so the call is logged as such.
			if !returned {
				err = status.Error(codes.Internal, "panic")
			}
			logCall(ctx, log, info.FullMethod, start, note, err)
		}()
		resp, err := handler(ctx, req)
		returned = true
		return resp, err
	}
}

func streamLog(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		ctx, note := withCallNote(ss.Context())
		returned := false
		defer func() {
			if !returned {
				err = status.Error(codes.Internal, "panic")
			}
			logCall(ctx, log, info.FullMethod, start, note, err)
		}()
		err = handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		returned = true
		return err
	}
}

// logCall writes the one line per call. Server-side failures are errors; the caller's
// mistakes (bad input, no token, not found) are information, and so are routine health and
// reflection calls, logged at debug.
func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, note *callNote, err error) {
	code := status.Code(err)
	level := slog.LevelInfo
	switch code {
	case codes.Unknown, codes.Internal, codes.DataLoss, codes.Unavailable,
		codes.Unimplemented, codes.DeadlineExceeded, codes.ResourceExhausted:
		level = slog.LevelError
	case codes.OK:
		if IsHealthOrReflection(method) {
			level = slog.LevelDebug
		}
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("grpc.method", method),
		slog.String("grpc.code", code.String()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if note.subject != "" {
		attrs = append(attrs, slog.String("sub", note.subject))
	}
	if err != nil {
		// For Unauthenticated this includes the verification cause the client never sees.
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if vs := apierr.Violations(err); len(vs) > 0 {
		// The details are not in the status message; without them a rejected agency
		// system's request cannot be diagnosed from the log.
		fields := make([]string, len(vs))
		for i, v := range vs {
			fields[i] = v.Field + ": " + v.Description
		}
		attrs = append(attrs, slog.Any("violations", fields))
	}
	log.LogAttrs(ctx, level, "grpc call", attrs...)
}

func unaryValidate(v protovalidate.Validator, log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := validate(ctx, v, log, req); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func streamValidate(v protovalidate.Validator, log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &validatingStream{ServerStream: ss, v: v, log: log})
	}
}

// validatingStream normalises to NFC and validates every message the client sends on a
// stream.
type validatingStream struct {
	grpc.ServerStream
	v   protovalidate.Validator
	log *slog.Logger
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if msg, ok := m.(proto.Message); ok {
		normalizeNFC(msg.ProtoReflect())
	}
	return validate(s.Context(), s.v, s.log, m)
}

// validate applies the message's protovalidate rules. go-grpc-middleware's interceptor
// reports violations as buf.validate.Violations; clients and grpc-gateway understand
// google.rpc.BadRequest, so violations are converted to field path + description.
func validate(ctx context.Context, v protovalidate.Validator, log *slog.Logger, m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return nil // not a protobuf message (another codec): no rules to apply
	}
	err := v.Validate(msg)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if errors.As(err, &verr) {
		violations := make([]apierr.FieldViolation, 0, len(verr.Violations))
		for _, viol := range verr.Violations {
			violations = append(violations, apierr.FieldViolation{
				Field: protovalidate.FieldPathString(viol.Proto.GetField()),
				// People read it in the portal: Vietnamese; the rule id stays for programs.
				Description: apierr.ViolationDescription(viol.Proto.GetMessage()),
				Rule:        viol.Proto.GetRuleId(),
			})
		}
		return apierr.InvalidArgument(apierr.InvalidArgumentMessage, violations...)
	}
	// A rule that does not compile or fails at runtime is our bug, not the caller's.
	return apierr.Internal(ctx, log, fmt.Errorf("validate %s: %w", msg.ProtoReflect().Descriptor().FullName(), err))
}

// contextStream replaces a stream's context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }
