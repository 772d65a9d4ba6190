// Package directory talks to the directory service: it implements app.Directory over gRPC.
package directory

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/tasktracking/internal/app"
)

// maxBatch is BatchGetUnits' limit on ids per call.
const maxBatch = 500

// callTimeout bounds one call when the caller's context has no earlier deadline, so a hung
// directory fails the request instead of holding it.
const callTimeout = 10 * time.Second

// Client resolves units through the directory's BatchGetUnits. The connection it is given
// forwards the caller's token (kit/auth.PerRPCCredentials), so the directory applies the
// caller's rights.
type Client struct {
	units directoryv1.DirectoryServiceClient
}

var _ app.Directory = (*Client)(nil)

// New returns a Client on conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{units: directoryv1.NewDirectoryServiceClient(conn)}
}

// MissingUnits returns those of ids the directory does not know, in one call per 500 ids
// (one call for any real document). A directory that is down or slow gives an error wrapping
// app.ErrUnavailable.
func (c *Client) MissingUnits(ctx context.Context, ids []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var missing []string
	for start := 0; start < len(ids); start += maxBatch {
		chunk := ids[start:min(start+maxBatch, len(ids))]
		resp, err := c.units.BatchGetUnits(ctx, &directoryv1.BatchGetUnitsRequest{UnitIds: chunk})
		if err != nil {
			switch status.Code(err) {
			case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
				return nil, fmt.Errorf("directory BatchGetUnits: %w: %w", app.ErrUnavailable, err)
			}
			return nil, fmt.Errorf("directory BatchGetUnits: %w", err)
		}
		missing = append(missing, resp.GetMissingUnitIds()...)
	}
	return missing, nil
}
