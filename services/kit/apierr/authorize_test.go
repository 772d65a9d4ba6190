package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

func TestAuthorize(t *testing.T) {
	if _, err := apierr.Authorize(t.Context()); !errors.Is(err, apierr.ErrUnauthenticated) {
		t.Errorf("no principal: %v, want ErrUnauthenticated", err)
	}
	ctx := auth.WithPrincipal(t.Context(), auth.Principal{UserID: "u-1", Roles: []string{auth.RoleUnitStaff}})
	if _, err := apierr.Authorize(ctx, auth.RoleSecretariat); !errors.Is(err, apierr.ErrPermissionDenied) {
		t.Errorf("wrong role: %v, want ErrPermissionDenied", err)
	}
	if p, err := apierr.Authorize(ctx); err != nil || p.UserID != "u-1" {
		t.Errorf("any role: %v, %v; want the principal", p, err)
	}
}

func TestUnexpected(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("get: %w", apierr.ErrUnauthenticated), codes.Unauthenticated},
		{apierr.ErrPermissionDenied, codes.PermissionDenied},
		{fmt.Errorf("put: %w", context.Canceled), codes.Canceled},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{errors.New("boom"), codes.Internal},
	} {
		if got := status.Code(apierr.Unexpected(t.Context(), log, tt.err)); got != tt.want {
			t.Errorf("Unexpected(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
