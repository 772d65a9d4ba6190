package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/domainerr"
	"github.com/parindex/platform/services/kit/page"
)

// Authorisation failures (kit/apierr), mapped by toStatus like every other error.
var (
	errUnauthenticated  = apierr.ErrUnauthenticated
	errPermissionDenied = apierr.ErrPermissionDenied
)

// authorize requires an authenticated principal holding one of roles (any role when
// roles is empty).
var authorize = apierr.Authorize

// toStatus is the one place gRPC codes are chosen. Errors without a code of their own are
// logged with their cause and reach the client as a masked Internal.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	// The domain packages (explanation, responsibility) share kit/domainerr's type.
	var invalid domainerr.ValidationErrors
	var badToken *page.InvalidTokenError
	switch {
	case errors.As(err, &invalid):
		return apierr.Invalid(invalid, nil)
	case errors.As(err, &badToken):
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: "page_token", Description: "mã trang không hợp lệ"})
	case errors.Is(err, explanation.ErrNotFound):
		return status.Error(codes.NotFound, explanation.ErrNotFound.Error())
	case errors.Is(err, explanation.ErrWrongState):
		return status.Error(codes.FailedPrecondition, explanation.ErrWrongState.Error())
	case errors.Is(err, explanation.ErrStale):
		// AIP-154: a stale etag is ABORTED; the caller reads again and retries.
		return status.Error(codes.Aborted, explanation.ErrStale.Error())
	case errors.Is(err, explanation.ErrAlreadyRequested):
		return status.Error(codes.AlreadyExists, explanation.ErrAlreadyRequested.Error())
	case errors.Is(err, evaluation.ErrInvalidPolicy):
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: "policy_json", Description: err.Error()})
	case errors.Is(err, evaluation.ErrNotFound):
		return status.Error(codes.NotFound, evaluation.ErrNotFound.Error())
	case errors.Is(err, evaluation.ErrAlreadyPublished):
		return status.Error(codes.FailedPrecondition, evaluation.ErrAlreadyPublished.Error())
	case errors.Is(err, evaluation.ErrAlreadyDecided):
		return status.Error(codes.FailedPrecondition, evaluation.ErrAlreadyDecided.Error())
	case errors.Is(err, evaluation.ErrReportIncomplete):
		return status.Error(codes.FailedPrecondition, evaluation.ErrReportIncomplete.Error())
	case errors.Is(err, evaluation.ErrNothingToReport):
		return status.Error(codes.FailedPrecondition, evaluation.ErrNothingToReport.Error())
	case errors.Is(err, app.ErrForbidden):
		return status.Error(codes.PermissionDenied, app.ErrForbidden.Error())
	case errors.Is(err, responsibility.ErrNotFound):
		return status.Error(codes.NotFound, responsibility.ErrNotFound.Error())
	case errors.Is(err, app.ErrDirectoryUnavailable):
		// Worth logging: the cause is another service, not the caller.
		log.WarnContext(ctx, "directory unavailable", slog.Any("error", err))
		return status.Error(codes.Unavailable, app.ErrDirectoryUnavailable.Error())
	default:
		return apierr.Unexpected(ctx, log, err)
	}
}
