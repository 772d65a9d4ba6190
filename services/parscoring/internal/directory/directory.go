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
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
)

// callTimeout bounds a listing when the caller's context has no earlier deadline, so a
// hung directory fails the request instead of holding it.
const callTimeout = 10 * time.Second

// maxPageSize is ListUnits' limit on units per page; maxPages bounds a directory that
// answers page tokens forever (1000 pages of 500 is far beyond any province).
const (
	maxPageSize = 500
	maxPages    = 1000
)

// Client lists units through the directory's ListUnits and reads one through GetUnit. The connection forwards the
// caller's token (kit/auth.PerRPCCredentials), so the directory applies the caller's rights.
type Client struct {
	units directoryv1.DirectoryServiceClient
}

var _ app.Directory = (*Client)(nil)

// New returns a Client on conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{units: directoryv1.NewDirectoryServiceClient(conn)}
}

// Units implements app.Directory: every unit in force of the level and kind, in the
// directory's order. A directory that is down or slow gives an error wrapping
// app.ErrUnavailable.
func (c *Client) Units(ctx context.Context, level, kind string) ([]assessment.Subject, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var (
		out   []assessment.Subject
		token string
	)
	for range maxPages {
		resp, err := c.units.ListUnits(ctx, &directoryv1.ListUnitsRequest{Level: level, Kind: kind, PageSize: maxPageSize, PageToken: token})
		if err != nil {
			switch status.Code(err) {
			case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
				return nil, fmt.Errorf("directory ListUnits: %w: %w", app.ErrUnavailable, err)
			}
			return nil, fmt.Errorf("directory ListUnits: %w", err)
		}
		for _, u := range resp.GetUnits() {
			// The filter is the directory's; checking again keeps a lenient peer from
			// putting units of another level into a round.
			if u.GetLevel() != level || u.GetKind() != kind {
				continue
			}
			out = append(out, assessment.Subject{UnitID: u.GetId(), UnitCode: u.GetCode(), UnitName: u.GetName()})
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("directory ListUnits: more than %d pages", maxPages)
}

// GetUnit implements app.Directory through the directory's GetUnit: a unit the directory
// does not know (NotFound, or an id it refuses) wraps app.ErrUnitNotFound; a directory that
// is down or slow wraps app.ErrUnavailable.
func (c *Client) GetUnit(ctx context.Context, id string) (app.Unit, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.units.GetUnit(ctx, &directoryv1.GetUnitRequest{UnitId: id})
	if err != nil {
		return app.Unit{}, fmt.Errorf("directory GetUnit %s: %w", id, classify(err))
	}
	u := resp.GetUnit()
	out := app.Unit{ID: u.GetId(), Code: u.GetCode(), Name: u.GetName(), Kind: u.GetKind(), Level: u.GetLevel()}
	if v := u.GetValidTo(); v != "" {
		if out.ValidTo, err = vntime.ParseISO(v); err != nil {
			return app.Unit{}, fmt.Errorf("directory GetUnit %s: valid_to %q: %w", id, v, err)
		}
	}
	return out, nil
}

// classify wraps the app's sentinel matching a directory error's code, keeping the cause.
func classify(err error) error {
	switch status.Code(err) {
	case codes.NotFound, codes.InvalidArgument:
		return fmt.Errorf("%w: %w", app.ErrUnitNotFound, err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return fmt.Errorf("%w: %w", app.ErrUnavailable, err)
	}
	return err
}
