package grpcapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/page"
)

// requestFields are field problems that belong to the request rather than to the
// message inside it, so they keep their name without the message's prefix.
var requestFields = map[string]bool{"update_mask": true, page.TokenField: true}

// toStatus is the one place the directory chooses gRPC codes. Field problems become
// InvalidArgument with a BadRequest naming request paths (prefix + field, e.g.
// "unit.code"); classified domain errors carry their own Vietnamese sentence; anything
// else is logged and masked as Internal.
func (s *Server) toStatus(ctx context.Context, err error, prefix string) error {
	if v, ok := directory.AsValidation(err); ok {
		return apierr.Invalid(v, func(field string) string {
			if requestFields[field] {
				return field
			}
			return prefix + field
		})
	}
	var de *directory.Error
	if errors.As(err, &de) {
		code := codes.Internal
		switch {
		case errors.Is(de, directory.ErrNotFound):
			code = codes.NotFound
		case errors.Is(de, directory.ErrConflict):
			code = codes.AlreadyExists
		case errors.Is(de, directory.ErrFailedPrecondition):
			code = codes.FailedPrecondition
		}
		if code != codes.Internal {
			return status.Error(code, de.Message)
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "Yêu cầu đã bị huỷ")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "Hết thời gian xử lý yêu cầu")
	}
	return apierr.Internal(ctx, s.log, err)
}
