// Package directorytest runs a fake directory peer for tests: a real gRPC server on loopback
// answering ListUsers, GetUser and GetHeadOnDate from data the test sets.
package directorytest

import (
	"context"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
)

// Fake is the directory's data.
type Fake struct {
	directoryv1.UnimplementedDirectoryServiceServer

	mu    sync.Mutex
	users []*directoryv1.User
	heads map[string]string // unit → responsible user id
	// Fail makes every call answer Unavailable while true.
	Fail atomic.Bool
	// Calls counts calls.
	Calls atomic.Int64
}

// Start serves a Fake on loopback until the test ends; it returns the fake and its address.
func Start(t testing.TB) (*Fake, string) {
	t.Helper()
	f := &Fake{heads: map[string]string{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

// Dial returns a connection to the fake at addr, closed when the test ends.
func Dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// AddUser adds an active user.
func (f *Fake) AddUser(id, unitID, email, name string, roles ...directoryv1.Role) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = append(f.users, &directoryv1.User{Id: id, UnitId: unitID, Email: email, DisplayName: name, Roles: roles, Active: true})
}

// SetHead makes userID the head answering for unitID on any date.
func (f *Fake) SetHead(unitID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heads[unitID] = userID
}

func (f *Fake) check() error {
	f.Calls.Add(1)
	if f.Fail.Load() {
		return status.Error(codes.Unavailable, "directory down")
	}
	return nil
}

// ListUsers filters by unit and role, 100 per page.
func (f *Fake) ListUsers(_ context.Context, req *directoryv1.ListUsersRequest) (*directoryv1.ListUsersResponse, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []*directoryv1.User
	for _, u := range f.users {
		if req.GetUnitId() != "" && u.GetUnitId() != req.GetUnitId() {
			continue
		}
		if req.GetRole() != directoryv1.Role_ROLE_UNSPECIFIED && !slices.Contains(u.GetRoles(), req.GetRole()) {
			continue
		}
		match = append(match, u)
	}
	start, _ := strconv.Atoi(req.GetPageToken())
	end := min(start+100, len(match))
	resp := &directoryv1.ListUsersResponse{Users: match[start:end]}
	if end < len(match) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

// GetUser returns a user or NotFound.
func (f *Fake) GetUser(_ context.Context, req *directoryv1.GetUserRequest) (*directoryv1.GetUserResponse, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.GetId() == req.GetUserId() {
			return &directoryv1.GetUserResponse{User: u}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "no user")
}

// GetHeadOnDate answers the head set with SetHead.
func (f *Fake) GetHeadOnDate(_ context.Context, req *directoryv1.GetHeadOnDateRequest) (*directoryv1.GetHeadOnDateResponse, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.heads[req.GetUnitId()]
	if !ok {
		return &directoryv1.GetHeadOnDateResponse{}, nil
	}
	tenure := &directoryv1.HeadTenure{UnitId: req.GetUnitId(), UserId: id}
	return &directoryv1.GetHeadOnDateResponse{Head: tenure, Responsible: tenure}, nil
}
