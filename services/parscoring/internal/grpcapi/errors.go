package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Authorisation failures (kit/apierr), mapped by toStatus like every other error.
var (
	errUnauthenticated  = apierr.ErrUnauthenticated
	errPermissionDenied = apierr.ErrPermissionDenied
)

// authorize requires an authenticated principal holding one of roles (any role when
// roles is empty).
var authorize = apierr.Authorize

// toStatus is the one place gRPC codes are chosen. fieldPrefix locates the domain's field
// paths in the request (e.g. "criteria_set." for CreateCriteriaSet). Errors without a
// code of their own are logged with their cause and reach the client as a masked Internal.
func toStatus(ctx context.Context, log *slog.Logger, err error, fieldPrefix string) error {
	var (
		invalid  methodology.ValidationErrors
		badToken *page.InvalidTokenError
	)
	switch {
	case errors.As(err, &invalid):
		return apierr.Invalid(invalid, apierr.Prefix(fieldPrefix))
	case errors.As(err, &badToken):
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: page.TokenField, Description: "mã trang không hợp lệ, hãy tải lại từ trang đầu"})
	case errors.Is(err, methodology.ErrNotFound):
		return status.Error(codes.NotFound, methodology.ErrNotFound.Error())
	case errors.Is(err, methodology.ErrAlreadyExists):
		return status.Error(codes.AlreadyExists, methodology.ErrAlreadyExists.Error())
	default:
		return apierr.Unexpected(ctx, log, err)
	}
}
