package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/apierr"
)

func TestToStatus(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("put: %w", responsibility.ValidationErrors{{Field: "entries[0].owner_unit_id", Reason: "r"}}), codes.InvalidArgument},
		{errUnauthenticated, codes.Unauthenticated},
		{errPermissionDenied, codes.PermissionDenied},
		{fmt.Errorf("get: %w", responsibility.ErrNotFound), codes.NotFound},
		{fmt.Errorf("put: %w: %w", app.ErrDirectoryUnavailable, errors.New("dial tcp: refused")), codes.Unavailable},
		{fmt.Errorf("put: %w", context.Canceled), codes.Canceled},
		{errors.New("pg: commit: connection reset"), codes.Internal},
	}
	for _, tt := range tests {
		st := status.Convert(toStatus(t.Context(), log, tt.err))
		if st.Code() != tt.want {
			t.Errorf("%v: code %v, want %v", tt.err, st.Code(), tt.want)
		}
		if tt.want == codes.Internal && st.Message() != apierr.InternalMessage {
			t.Errorf("internal cause leaked: %q", st.Message())
		}
	}
	got := apierr.Violations(toStatus(t.Context(), log, responsibility.ValidationErrors{{Field: "entries[0].owner_unit_id", Reason: "r"}}))
	if diff := cmp.Diff([]apierr.FieldViolation{{Field: "entries[0].owner_unit_id", Description: "r"}}, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}
