// Package directoryclient implements the app's Directory port with the directory
// service's gRPC API. Calls carry the caller's token (kit/auth PerRPCCredentials on the
// connection), so the directory applies the caller's own rights.
package directoryclient

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
)

// maxBatch is BatchGetUnits' limit on ids per call. A province's matrix names a few dozen
// units, so this is one call in practice.
const maxBatch = 500

// callTimeout bounds one directory call, so a hung directory fails a request in seconds
// rather than holding it for the caller's whole deadline.
const callTimeout = 5 * time.Second

// Client implements app.Directory.
type Client struct {
	units directoryv1.DirectoryServiceClient
}

var _ app.Directory = (*Client)(nil)

// New returns a Client on a connection to the directory (see kit/grpcclient).
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{units: directoryv1.NewDirectoryServiceClient(cc)}
}

// batchGet calls BatchGetUnits on ids, maxBatch a call, handing each response to use.
func (c *Client) batchGet(ctx context.Context, ids []string, use func(*directoryv1.BatchGetUnitsResponse)) error {
	for chunk := range slices.Chunk(ids, maxBatch) {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		res, err := c.units.BatchGetUnits(callCtx, &directoryv1.BatchGetUnitsRequest{UnitIds: chunk})
		cancel()
		if err != nil {
			return callError("BatchGetUnits", err)
		}
		use(res)
	}
	return nil
}

// MissingUnits implements app.Directory with BatchGetUnits.
func (c *Client) MissingUnits(ctx context.Context, ids []string) ([]string, error) {
	var missing []string
	err := c.batchGet(ctx, ids, func(res *directoryv1.BatchGetUnitsResponse) {
		missing = append(missing, res.GetMissingUnitIds()...)
	})
	return missing, err
}

// UnitNames implements app.UnitNamer with BatchGetUnits.
func (c *Client) UnitNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := c.batchGet(ctx, ids, func(res *directoryv1.BatchGetUnitsResponse) {
		for _, u := range res.GetUnits() {
			out[u.GetId()] = u.GetName()
		}
	})
	return out, err
}

// UnitIDByCode implements app.Directory with LookupUnit.
func (c *Client) UnitIDByCode(ctx context.Context, code string) (string, error) {
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := c.units.LookupUnit(callCtx, &directoryv1.LookupUnitRequest{Code: code})
	if err != nil {
		return "", callError("LookupUnit", err)
	}
	return res.GetUnit().GetId(), nil
}

// UnitCode implements app.Directory with GetUnit.
func (c *Client) UnitCode(ctx context.Context, id string) (string, error) {
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := c.units.GetUnit(callCtx, &directoryv1.GetUnitRequest{UnitId: id})
	if err != nil {
		return "", callError("GetUnit", err)
	}
	return res.GetUnit().GetCode(), nil
}

// HeadOnDate implements app.HeadDirectory with GetHeadOnDate: the responsible person that
// day (the acting head when there was one, 002 Art. 2.4).
func (c *Client) HeadOnDate(ctx context.Context, unitID, date string) (app.Head, error) {
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := c.units.GetHeadOnDate(callCtx, &directoryv1.GetHeadOnDateRequest{UnitId: unitID, Date: date})
	if err != nil {
		return app.Head{}, callError("GetHeadOnDate", err)
	}
	r := res.GetResponsible()
	return app.Head{UserID: r.GetUserId(), Name: r.GetPersonName()}, nil
}

// Parents implements app.HeadDirectory with BatchGetUnits.
func (c *Client) Parents(ctx context.Context, ids []string) (map[string]string, []string, error) {
	parents := make(map[string]string, len(ids))
	var missing []string
	err := c.batchGet(ctx, ids, func(res *directoryv1.BatchGetUnitsResponse) {
		for _, u := range res.GetUnits() {
			parents[strings.ToLower(u.GetId())] = strings.ToLower(u.GetParentId())
		}
		for _, id := range res.GetMissingUnitIds() {
			missing = append(missing, strings.ToLower(id))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return parents, missing, nil
}

// callError keeps the directory's status as the cause and marks the failures a retry can
// cure, so the caller gets Unavailable rather than an internal error.
func callError(method string, err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("directory %s: %w: %w", method, app.ErrUnknownUnit, err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return fmt.Errorf("directory %s: %w: %w", method, app.ErrDirectoryUnavailable, err)
	default:
		return fmt.Errorf("directory %s: %w", method, err)
	}
}
