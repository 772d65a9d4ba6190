package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
)

// Messages the gateway itself gives for errors whose gRPC text could reveal internals
// (addresses, Go error strings) or that never reached a service.
const (
	msgUnavailable   = "Dịch vụ tạm thời không sẵn sàng, vui lòng thử lại sau"
	msgTimeout       = "Yêu cầu xử lý quá thời gian cho phép"
	msgCanceled      = "Yêu cầu đã bị hủy"
	msgTooLarge      = "Nội dung yêu cầu vượt quá dung lượng cho phép"
	msgRateLimited   = "Quá nhiều yêu cầu, vui lòng thử lại sau"
	msgNotFoundRoute = "Không tìm thấy đường dẫn"
	msgBadMethod     = "Phương thức không được hỗ trợ cho đường dẫn này"
	msgBadBody       = "Nội dung yêu cầu không đúng định dạng JSON"
)

// ErrorBody is the one JSON shape of every error the gateway returns, whether it comes
// from a service, from grpc-gateway or from the gateway's own checks.
type ErrorBody struct {
	// Code is the gRPC code number (3 = INVALID_ARGUMENT, 16 = UNAUTHENTICATED, …).
	Code codes.Code `json:"code"`
	// Status is the gRPC code name, e.g. "INVALID_ARGUMENT".
	Status string `json:"status"`
	// Message is for people: Vietnamese, never an internal detail.
	Message string `json:"message"`
	// FieldViolations lists the invalid request fields (errdetails.BadRequest).
	FieldViolations []FieldViolation `json:"field_violations"`
	// TraceID identifies the request in logs and traces; users quote it to support.
	TraceID string `json:"trace_id,omitempty"`
}

// FieldViolation is one invalid field: a path such as "unit.name", what is wrong (in
// Vietnamese, for people) and, for a rule of the .proto contract, the rule's id
// ("string.min_len", for programs).
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
	Rule        string `json:"rule,omitempty"`
}

// codeName is the canonical upper-case name of c ("INVALID_ARGUMENT").
func codeName(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return "UNKNOWN"
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// publicStatus turns st into what a client may see: codes whose message can carry
// transport or server internals get a fixed Vietnamese message instead; the others keep
// the service's message, which services write for people (kit/apierr).
func publicStatus(st *status.Status) ErrorBody {
	body := ErrorBody{Code: st.Code(), Status: codeName(st.Code()), Message: st.Message(), FieldViolations: []FieldViolation{}}
	switch st.Code() {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		body.Message = apierr.InternalMessage
	case codes.Unavailable:
		body.Message = msgUnavailable
	case codes.DeadlineExceeded:
		body.Message = msgTimeout
	case codes.Canceled:
		body.Message = msgCanceled
	case codes.Unimplemented:
		body.Message = msgNotFoundRoute
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				body.FieldViolations = append(body.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription(), Rule: v.GetReason()})
			}
		}
	}
	return body
}

// writeError writes body with the HTTP status of its code (grpc-gateway's standard
// mapping), stamped with the request's trace id.
func writeError(ctx context.Context, w http.ResponseWriter, body ErrorBody) {
	writeErrorStatus(ctx, w, runtime.HTTPStatusFromCode(body.Code), body)
}

// writeErrorStatus is writeError with an HTTP status more precise than the code's
// (413, 405), for errors the gateway finds before any service is called.
func writeErrorStatus(ctx context.Context, w http.ResponseWriter, httpStatus int, body ErrorBody) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		body.TraceID = sc.TraceID().String()
	}
	if body.FieldViolations == nil {
		body.FieldViolations = []FieldViolation{}
	}
	body.Status = codeName(body.Code)
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(body)
}

// writeCode writes an error the gateway decides itself.
func writeCode(ctx context.Context, w http.ResponseWriter, code codes.Code, msg string) {
	writeError(ctx, w, ErrorBody{Code: code, Message: msg})
}

// errorHandler is grpc-gateway's error hook: every error of a proxied call, and every
// marshalling error, leaves in the one shape. The full error goes to the log only.
func errorHandler(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		st := status.Convert(err)
		body := publicStatus(st)
		if st.Code() == codes.InvalidArgument && len(st.Details()) == 0 && fromGatewayDecode(st.Message()) {
			// grpc-gateway's own decoding errors are Go strings ("proto: syntax error …").
			body.Message = msgBadBody
		}
		if code := st.Code(); code == codes.Internal || code == codes.Unknown || code == codes.Unavailable || code == codes.DataLoss {
			log.ErrorContext(ctx, "request failed", slog.String("path", r.URL.Path), slog.String("code", codeName(code)), slog.String("error", err.Error()))
		}
		writeError(ctx, w, body)
	}
}

// fromGatewayDecode recognises the messages grpc-gateway builds from JSON and parameter
// decoding errors, which are Go strings, not written for people.
func fromGatewayDecode(msg string) bool {
	for _, p := range []string{"proto:", "json:", "EOF", "parsing field", "type mismatch", "bad Base64", "invalid character"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// routingErrorHandler answers unknown paths and methods in the same shape.
func routingErrorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		writeErrorStatus(ctx, w, http.StatusMethodNotAllowed, ErrorBody{Code: codes.Unimplemented, Message: msgBadMethod})
	case http.StatusBadRequest:
		writeCode(ctx, w, codes.InvalidArgument, msgBadBody)
	default:
		writeCode(ctx, w, codes.NotFound, msgNotFoundRoute)
	}
}
