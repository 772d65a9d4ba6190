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

// maxPageSize is ListUnits' limit on units per page.
const maxPageSize = 500

// maxPages bounds Units: a directory answering page tokens forever must not hold a
// request; 1000 pages of 500 is far beyond any province's units.
const maxPages = 1000

// Units returns every unit in force the caller may see, paging through ListUnits 500 at a
// time. A directory that is down or slow gives an error wrapping app.ErrUnavailable.
func (c *Client) Units(ctx context.Context) ([]app.Unit, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var (
		units []app.Unit
		token string
	)
	for range maxPages {
		resp, err := c.units.ListUnits(ctx, &directoryv1.ListUnitsRequest{PageSize: maxPageSize, PageToken: token})
		if err != nil {
			return nil, peerError("ListUnits", err)
		}
		for _, u := range resp.GetUnits() {
			units = append(units, app.Unit{
				ID: u.GetId(), Code: u.GetCode(), Name: u.GetName(), ShortName: u.GetShortName(),
				Kind: u.GetKind(), Level: u.GetLevel(), ParentID: u.GetParentId(),
			})
		}
		if token = resp.GetNextPageToken(); token == "" {
			return units, nil
		}
	}
	return nil, fmt.Errorf("directory ListUnits: more than %d pages", maxPages)
}

// peerError wraps an error of a directory call, marking those worth retrying later with
// app.ErrUnavailable.
func peerError(method string, err error) error {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return fmt.Errorf("directory %s: %w: %w", method, app.ErrUnavailable, err)
	}
	return fmt.Errorf("directory %s: %w", method, err)
}
