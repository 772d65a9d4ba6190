// Package directory resolves recipients through the directory service over gRPC: the users
// of units and roles, and who answers for a unit on a date. Answers are cached for a short
// time, because one event names the same units and roles as the events around it.
package directory

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/ttlcache"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/app"
)

// Client implements app.Directory.
type Client struct {
	dir   directoryv1.DirectoryServiceClient
	cache *ttlcache.Cache[string, entry]
}

type entry struct {
	users  []app.User
	userID string
}

var _ app.Directory = (*Client)(nil)

// New returns a Client on conn, caching answers for ttl (0: no caching).
func New(conn grpc.ClientConnInterface, ttl time.Duration) *Client {
	return &Client{dir: directoryv1.NewDirectoryServiceClient(conn), cache: ttlcache.New[string, entry](ttl, 0, nil)}
}

func (c *Client) cached(key string) (entry, bool) { return c.cache.Get(key) }

func (c *Client) store(key string, e entry) { c.cache.Put(key, e) }

// listUsers pages through ListUsers.
func (c *Client) listUsers(ctx context.Context, req *directoryv1.ListUsersRequest) ([]app.User, error) {
	var out []app.User
	req.PageSize = 500
	for {
		resp, err := c.dir.ListUsers(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range resp.GetUsers() {
			if u.GetActive() {
				out = append(out, user(u))
			}
		}
		if resp.GetNextPageToken() == "" {
			return out, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func user(u *directoryv1.User) app.User {
	return app.User{ID: strings.ToLower(u.GetId()), UnitID: strings.ToLower(u.GetUnitId()), Email: u.GetEmail(), Name: u.GetDisplayName()}
}

// manyUnits is where asking unit by unit costs more than listing every user once.
const manyUnits = 50

// UsersOfUnits asks for the users of each unit, a few units at a time; for many units (the
// results of every unit of the province) it lists all users once and groups them.
func (c *Client) UsersOfUnits(ctx context.Context, unitIDs []string) (map[string][]app.User, error) {
	out := make(map[string][]app.User, len(unitIDs))
	if len(unitIDs) > manyUnits {
		all, err := c.listUsers(ctx, &directoryv1.ListUsersRequest{})
		if err != nil {
			return nil, err
		}
		want := make(map[string]bool, len(unitIDs))
		for _, id := range unitIDs {
			want[id] = true
		}
		for _, u := range all {
			if want[u.UnitID] {
				out[u.UnitID] = append(out[u.UnitID], u)
			}
		}
		return out, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range unitIDs {
		key := "unit:" + id
		if e, ok := c.cached(key); ok {
			out[id] = e.users
			continue
		}
		g.Go(func() error {
			us, err := c.listUsers(gctx, &directoryv1.ListUsersRequest{UnitId: id})
			if err != nil {
				return fmt.Errorf("unit %s: %w", id, err)
			}
			c.store(key, entry{users: us})
			mu.Lock()
			out[id] = us
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// roles maps the audience names to directory roles.
var roles = map[string]directoryv1.Role{
	"secretariat": directoryv1.Role_ROLE_SECRETARIAT,
	"leadership":  directoryv1.Role_ROLE_LEADERSHIP,
}

// RoleUsers returns the active users holding role.
func (c *Client) RoleUsers(ctx context.Context, role string) ([]app.User, error) {
	r, ok := roles[role]
	if !ok {
		return nil, fmt.Errorf("unknown role %q", role)
	}
	key := "role:" + role
	if e, ok := c.cached(key); ok {
		return e.users, nil
	}
	us, err := c.listUsers(ctx, &directoryv1.ListUsersRequest{Role: r})
	if err != nil {
		return nil, err
	}
	c.store(key, entry{users: us})
	return us, nil
}

// ResponsibleHead returns the user id of who answers for the unit on day.
func (c *Client) ResponsibleHead(ctx context.Context, unitID string, day vntime.Date) (string, error) {
	key := "head:" + unitID + ":" + day.ISO()
	if e, ok := c.cached(key); ok {
		return e.userID, nil
	}
	resp, err := c.dir.GetHeadOnDate(ctx, &directoryv1.GetHeadOnDateRequest{UnitId: unitID, Date: day.ISO()})
	if err != nil {
		return "", fmt.Errorf("head of %s on %s: %w", unitID, day.ISO(), err)
	}
	id := strings.ToLower(resp.GetResponsible().GetUserId())
	c.store(key, entry{userID: id})
	return id, nil
}

// User returns one user.
func (c *Client) User(ctx context.Context, id string) (app.User, bool, error) {
	key := "user:" + id
	if e, ok := c.cached(key); ok {
		return e.users[0], len(e.users) == 1 && e.users[0].ID != "", nil
	}
	resp, err := c.dir.GetUser(ctx, &directoryv1.GetUserRequest{UserId: id})
	if status, ok := grpcStatus(err); ok && status == notFound {
		c.store(key, entry{users: []app.User{{}}})
		return app.User{}, false, nil
	}
	if err != nil {
		return app.User{}, false, fmt.Errorf("user %s: %w", id, err)
	}
	u := user(resp.GetUser())
	c.store(key, entry{users: []app.User{u}})
	return u, true, nil
}

const notFound = codes.NotFound

func grpcStatus(err error) (codes.Code, bool) {
	if err == nil {
		return codes.OK, false
	}
	s, ok := status.FromError(err)
	return s.Code(), ok
}
