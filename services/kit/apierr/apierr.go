// Package apierr builds the gRPC errors clients see, keeping the public/internal split:
// a client gets a safe status (Vietnamese message, structured details), the log keeps the
// cause.
package apierr

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/domainerr"
)

// Messages people read. They are fixed strings so no internal detail reaches a client.
const (
	// InvalidArgumentMessage is the status message of InvalidArgument when none is given.
	InvalidArgumentMessage = "Dữ liệu không hợp lệ"
	// InternalMessage is the status message of every Internal error.
	InternalMessage = "Lỗi nội bộ, vui lòng thử lại sau"
)

// FieldViolation names one invalid request field (a path like "unit.name" or
// "items[2].code") and says what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
	// Rule is the id of the protovalidate rule broken ("string.min_len"), carried as the
	// violation's reason; empty for the services' own checks.
	Rule string
}

// InvalidArgument returns a codes.InvalidArgument status error with msg (or
// InvalidArgumentMessage when msg is empty) and an errdetails.BadRequest listing the
// violations; grpc-gateway renders it as HTTP 400 with the details in the body.
func InvalidArgument(msg string, violations ...FieldViolation) error {
	if msg == "" {
		msg = InvalidArgumentMessage
	}
	st := status.New(codes.InvalidArgument, msg)
	if len(violations) == 0 {
		return st.Err()
	}
	br := &errdetails.BadRequest{FieldViolations: make([]*errdetails.BadRequest_FieldViolation, len(violations))}
	for i, v := range violations {
		br.FieldViolations[i] = &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description, Reason: v.Rule}
	}
	withDetails, err := st.WithDetails(br)
	if err != nil {
		// Only fails if the detail cannot be marshalled, which a BadRequest always can.
		return st.Err()
	}
	return withDetails.Err()
}

// Invalid is InvalidArgument with one violation per problem of a domain's validation
// errors, so every service turns kit/domainerr's problems into field violations the same
// way. path maps a domain field path to the request's (e.g. prefixing "document."); nil
// keeps it.
func Invalid(es domainerr.ValidationErrors, path func(field string) string) error {
	vs := make([]FieldViolation, len(es))
	for i, e := range es {
		field := e.Field
		if path != nil {
			field = path(field)
		}
		vs[i] = FieldViolation{Field: field, Description: e.Reason}
	}
	return InvalidArgument("", vs...)
}

// Prefix is a path for Invalid that puts prefix before every field.
func Prefix(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

// Internal logs err once, at error level with ctx (so a logx logger adds the trace id),
// and returns a codes.Internal status whose message is InternalMessage: the client never
// sees the cause. When ctx carries a trace, its id is attached as errdetails.RequestInfo so
// a user can quote it and an operator can find the log line and the trace.
// A nil log means slog.Default().
func Internal(ctx context.Context, log *slog.Logger, err error) error {
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(ctx, "internal error", slog.Any("error", err))

	st := status.New(codes.Internal, InternalMessage)
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if withDetails, derr := st.WithDetails(&errdetails.RequestInfo{RequestId: sc.TraceID().String()}); derr == nil {
			st = withDetails
		}
	}
	return st.Err()
}

// Violations returns the field violations carried by err's BadRequest detail, or nil.
// It serves tests and clients that turn a status back into form errors.
func Violations(err error) []FieldViolation {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []FieldViolation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, FieldViolation{Field: v.GetField(), Description: v.GetDescription(), Rule: v.GetReason()})
			}
		}
	}
	return out
}
