package server_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
)

// fakeDirectory is the directory peer: a real gRPC server answering BatchGetUnits from a
// map of units and ListUnits from the devstack demo directory (Tuyên Quang), recording the
// calls and the authorization each carried.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer

	units map[string]string // id → name
	// list is what ListUnits pages through, in the directory's order.
	list []*directoryv1.Unit

	mu        sync.Mutex
	calls     []batchCall
	listCalls []batchCall
}

// fakeListPageSize is the most units the fake returns per ListUnits page, fewer than
// clients ask for (a server may), so that paging is exercised with the demo's 29 units.
const fakeListPageSize = 10

// demoUnitID is the id the fake gives the demo unit with this code: a name-based UUID, so
// tests can name units by code.
func demoUnitID(code string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("par-demo-unit/"+code)).String()
}

// demoUnits reads the devstack demo directory's units.
func demoUnits(t testing.TB) []*directoryv1.Unit {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "devstack", "demo", "data", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir struct {
		Units []struct {
			Code      string `json:"code"`
			Name      string `json:"name"`
			ShortName string `json:"short_name"`
			Kind      string `json:"kind"`
			Level     string `json:"level"`
			Parent    string `json:"parent"`
		} `json:"units"`
	}
	if err := json.Unmarshal(data, &dir); err != nil {
		t.Fatal(err)
	}
	var out []*directoryv1.Unit
	for _, u := range dir.Units {
		pb := &directoryv1.Unit{
			Id: demoUnitID(u.Code), Code: u.Code, Name: u.Name, ShortName: u.ShortName,
			Kind: u.Kind, Level: u.Level,
		}
		if u.Parent != "" {
			pb.ParentId = demoUnitID(u.Parent)
		}
		out = append(out, pb)
	}
	return out
}

// batchCall is one BatchGetUnits the fake received.
type batchCall struct {
	IDs           []string
	Authorization string
}

// startFakeDirectory serves units on 127.0.0.1 and returns the fake and its address.
func startFakeDirectory(t testing.TB, units map[string]string) (*fakeDirectory, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Another province with a department of the same kind as Tuyên Quang's: scopes drawn by
	// kind ("every department") must stay within the issuer's province.
	other := []*directoryv1.Unit{
		{Id: demoUnitID("HG"), Code: "HG", Name: "Ủy ban nhân dân tỉnh Hà Giang", Kind: "province", Level: "province"},
		{Id: demoUnitID("HG-SNV"), Code: "HG-SNV", Name: "Sở Nội vụ tỉnh Hà Giang", Kind: "department", Level: "province", ParentId: demoUnitID("HG")},
	}
	f := &fakeDirectory{units: map[string]string{}, list: append(demoUnits(t), other...)}
	for id, name := range units {
		f.units[id] = name
	}
	for _, u := range f.list {
		f.units[u.GetId()] = u.GetName()
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

// BatchGetUnits returns the known units among the ids and lists the others as missing.
func (f *fakeDirectory) BatchGetUnits(ctx context.Context, req *directoryv1.BatchGetUnitsRequest) (*directoryv1.BatchGetUnitsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.calls = append(f.calls, batchCall{IDs: req.GetUnitIds(), Authorization: strings.Join(md.Get("authorization"), ",")})
	f.mu.Unlock()
	resp := &directoryv1.BatchGetUnitsResponse{}
	for _, id := range req.GetUnitIds() {
		if name, ok := f.units[id]; ok {
			resp.Units = append(resp.Units, &directoryv1.Unit{Id: id, Name: name})
		} else {
			resp.MissingUnitIds = append(resp.MissingUnitIds, id)
		}
	}
	return resp, nil
}

// Calls returns the calls received so far.
func (f *fakeDirectory) Calls() []batchCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]batchCall(nil), f.calls...)
}

// ListUnits pages through the demo units, at most fakeListPageSize at a time; the page token
// is the offset of the next unit.
func (f *fakeDirectory) ListUnits(ctx context.Context, req *directoryv1.ListUnitsRequest) (*directoryv1.ListUnitsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.listCalls = append(f.listCalls, batchCall{Authorization: strings.Join(md.Get("authorization"), ",")})
	f.mu.Unlock()
	from := 0
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(f.list) {
			return nil, status.Error(codes.InvalidArgument, "bad page token")
		}
		from = n
	}
	size := int(req.GetPageSize())
	if size <= 0 || size > fakeListPageSize {
		size = fakeListPageSize
	}
	to := min(from+size, len(f.list))
	resp := &directoryv1.ListUnitsResponse{Units: f.list[from:to]}
	if to < len(f.list) {
		resp.NextPageToken = strconv.Itoa(to)
	}
	return resp, nil
}

// ListCalls returns the ListUnits calls received so far.
func (f *fakeDirectory) ListCalls() []batchCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]batchCall(nil), f.listCalls...)
}
