package apierr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/logx"
)

func TestInvalidArgument(t *testing.T) {
	tests := []struct {
		name       string
		msg        string
		violations []apierr.FieldViolation
		wantMsg    string
	}{
		{"default message", "", []apierr.FieldViolation{{Field: "name", Description: "không được để trống"}}, apierr.InvalidArgumentMessage},
		{"custom message, two fields", "Kỳ đánh giá không hợp lệ", []apierr.FieldViolation{{Field: "period.year", Description: "phải từ 2020", Rule: "int32.gte"}, {Field: "items[1].code", Description: "trùng mã"}}, "Kỳ đánh giá không hợp lệ"},
		{"no violations", "", nil, apierr.InvalidArgumentMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apierr.InvalidArgument(tt.msg, tt.violations...)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || st.Message() != tt.wantMsg {
				t.Errorf("status = %v %q, want InvalidArgument %q", st.Code(), st.Message(), tt.wantMsg)
			}
			if diff := cmp.Diff(tt.violations, apierr.Violations(err)); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInternalMasksAndLogsOnce(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "op")
	defer span.End()

	var buf bytes.Buffer
	log := logx.NewWithWriter(&buf, "parscoring", slog.LevelInfo)
	cause := errors.New(`pq: relation "scores" does not exist`)
	err := apierr.Internal(ctx, log, cause)

	st := status.Convert(err)
	if st.Code() != codes.Internal || st.Message() != apierr.InternalMessage {
		t.Errorf("status = %v %q, want Internal %q", st.Code(), st.Message(), apierr.InternalMessage)
	}
	if strings.Contains(err.Error(), "scores") {
		t.Errorf("client-visible error %q leaks the cause", err)
	}
	var requestID string
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RequestInfo); ok {
			requestID = ri.GetRequestId()
		}
	}
	if want := span.SpanContext().TraceID().String(); requestID != want {
		t.Errorf("RequestInfo.request_id = %q, want trace id %q", requestID, want)
	}

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1: %s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["error"] != cause.Error() || rec["trace_id"] != requestID || rec["level"] != "ERROR" {
		t.Errorf("log record = %v, want the cause at ERROR with trace_id %s", rec, requestID)
	}
}

func TestInternalWithoutTrace(t *testing.T) {
	var buf bytes.Buffer
	err := apierr.Internal(t.Context(), slog.New(slog.NewJSONHandler(&buf, nil)), errors.New("boom"))
	if st := status.Convert(err); st.Code() != codes.Internal || len(st.Details()) != 0 {
		t.Errorf("status = %v with %d details, want Internal with none", st.Code(), len(st.Details()))
	}
}
