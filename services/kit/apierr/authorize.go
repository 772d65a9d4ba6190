package apierr

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/auth"
)

// Authorisation failures of Authorize, mapped by Unexpected like the other errors every
// service maps alike.
var (
	ErrUnauthenticated  = errors.New("cần đăng nhập")
	ErrPermissionDenied = errors.New("bạn không có quyền thực hiện thao tác này")
)

// Authorize requires an authenticated principal holding one of roles (any role when roles
// is empty). The interceptor has authenticated the call already; checking again in a
// handler keeps it safe if it is ever served without it.
func Authorize(ctx context.Context, roles ...string) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, ErrUnauthenticated
	}
	if len(roles) > 0 && !p.HasRole(roles...) {
		return auth.Principal{}, ErrPermissionDenied
	}
	return p, nil
}

// Unexpected is the end of a service's mapping of errors to statuses, for the errors no
// domain classified: Authorize's failures, a caller who gave up or ran out of time (not our
// failure, nothing logged), and anything else, logged and masked by Internal.
func Unexpected(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return status.Error(codes.Unauthenticated, ErrUnauthenticated.Error())
	case errors.Is(err, ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, ErrPermissionDenied.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	default:
		return Internal(ctx, log, err)
	}
}
