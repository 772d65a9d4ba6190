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
	"github.com/parindex/platform/services/kit/ttlcache"
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
//
// Units found are remembered for a short while (WithCache), so that creating tasks for the
// same units again and again does not cost a directory round trip each time. Only units
// found are remembered: a unit created in the directory a moment ago is never refused
// from a stale answer, and one dissolved is accepted for at most the cache's lifetime.
// Every directory reader may read every unit, so one caller's answer serves another.
type Client struct {
	units directoryv1.DirectoryServiceClient

	known *ttlcache.Cache[string, struct{}] // ids of units known to exist
}

var _ app.Directory = (*Client)(nil)

// DefaultCacheTTL is how long New remembers a unit found.
const DefaultCacheTTL = time.Minute

// New returns a Client on conn that remembers units found for DefaultCacheTTL.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{units: directoryv1.NewDirectoryServiceClient(conn), known: ttlcache.New[string, struct{}](DefaultCacheTTL, 0, nil)}
}

// WithCache makes c remember units found for ttl by the clock now (nil: the system clock);
// a ttl of 0 asks the directory every time.
func (c *Client) WithCache(ttl time.Duration, now func() time.Time) *Client {
	c.known = ttlcache.New[string, struct{}](ttl, 0, now)
	return c
}

// MissingUnits returns those of ids the directory does not know, in one call per 500 ids
// not remembered (one call for any real document, none when every unit was seen within the
// cache's lifetime). A directory that is down or slow gives an error wrapping
// app.ErrUnavailable.
func (c *Client) MissingUnits(ctx context.Context, ids []string) ([]string, error) {
	ask := c.unknown(ids)
	if len(ask) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var missing []string
	for start := 0; start < len(ask); start += maxBatch {
		chunk := ask[start:min(start+maxBatch, len(ask))]
		resp, err := c.units.BatchGetUnits(ctx, &directoryv1.BatchGetUnitsRequest{UnitIds: chunk})
		if err != nil {
			switch status.Code(err) {
			case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
				return nil, fmt.Errorf("directory BatchGetUnits: %w: %w", app.ErrUnavailable, err)
			}
			return nil, fmt.Errorf("directory BatchGetUnits: %w", err)
		}
		c.remember(resp.GetUnits())
		missing = append(missing, resp.GetMissingUnitIds()...)
	}
	return missing, nil
}

// unknown returns those of ids not remembered as existing, each once.
func (c *Client) unknown(ids []string) []string {
	var ask []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := c.known.Get(id); !ok {
			ask = append(ask, id)
		}
	}
	return ask
}

// remember records units as existing for the cache's lifetime.
func (c *Client) remember(units []*directoryv1.Unit) {
	found := make(map[string]struct{}, len(units))
	for _, u := range units {
		found[u.GetId()] = struct{}{}
	}
	c.known.PutAll(found)
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
