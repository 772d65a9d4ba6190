package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

// Authorisation failures, mapped by toStatus like every other error.
var (
	errUnauthenticated  = errors.New("cần đăng nhập")
	errPermissionDenied = errors.New("bạn không có quyền thực hiện thao tác này")
)

// authorize requires an authenticated principal holding one of roles (any role when
// roles is empty). The interceptor has authenticated the call already; checking again
// here keeps a handler safe if it is ever served without it.
func authorize(ctx context.Context, roles ...string) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, errUnauthenticated
	}
	if len(roles) > 0 && !p.HasRole(roles...) {
		return auth.Principal{}, errPermissionDenied
	}
	return p, nil
}

// toStatus is the one place gRPC codes are chosen. Errors without a code of their own are
// logged with their cause and reach the client as a masked Internal.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	var invalid responsibility.ValidationErrors
	switch {
	case errors.As(err, &invalid):
		vs := make([]apierr.FieldViolation, len(invalid))
		for i, v := range invalid {
			vs[i] = apierr.FieldViolation{Field: v.Field, Description: v.Reason}
		}
		return apierr.InvalidArgument("", vs...)
	case errors.Is(err, errUnauthenticated):
		return status.Error(codes.Unauthenticated, errUnauthenticated.Error())
	case errors.Is(err, errPermissionDenied):
		return status.Error(codes.PermissionDenied, errPermissionDenied.Error())
	case errors.Is(err, responsibility.ErrNotFound):
		return status.Error(codes.NotFound, responsibility.ErrNotFound.Error())
	case errors.Is(err, app.ErrDirectoryUnavailable):
		// Worth logging: the cause is another service, not the caller.
		log.WarnContext(ctx, "directory unavailable", slog.Any("error", err))
		return status.Error(codes.Unavailable, app.ErrDirectoryUnavailable.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller gave up or ran out of time: not our failure, nothing to log.
		return status.FromContextError(err).Err()
	default:
		return apierr.Internal(ctx, log, err)
	}
}
