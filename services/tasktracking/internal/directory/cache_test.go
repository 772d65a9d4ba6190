package directory_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/tasktracking/internal/directory"
)

// countingDirectory is the directory peer over real gRPC: it knows the units in known and
// records the ids of every BatchGetUnits.
type countingDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	known map[string]bool

	mu    sync.Mutex
	calls [][]string
}

func (d *countingDirectory) BatchGetUnits(_ context.Context, req *directoryv1.BatchGetUnitsRequest) (*directoryv1.BatchGetUnitsResponse, error) {
	d.mu.Lock()
	d.calls = append(d.calls, req.GetUnitIds())
	d.mu.Unlock()
	resp := &directoryv1.BatchGetUnitsResponse{}
	for _, id := range req.GetUnitIds() {
		if d.known[id] {
			resp.Units = append(resp.Units, &directoryv1.Unit{Id: id})
		} else {
			resp.MissingUnitIds = append(resp.MissingUnitIds, id)
		}
	}
	return resp, nil
}

func (d *countingDirectory) lastCall() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.calls) == 0 {
		return nil
	}
	return d.calls[len(d.calls)-1]
}

func (d *countingDirectory) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.calls)
}

// TestMissingUnitsRemembersFoundUnits: units found are not asked for again within the
// cache's lifetime, units missing always are (one created meanwhile is accepted at once),
// and after the lifetime every unit is asked for again.
func TestMissingUnitsRemembersFoundUnits(t *testing.T) {
	const snv, stp, fresh = "0190a1b2-0000-7000-8000-000000000001", "0190a1b2-0000-7000-8000-000000000002", "0190a1b2-0000-7000-8000-000000000003"
	peer := &countingDirectory{known: map[string]bool{snv: true, stp: true}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, peer)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	c := directory.New(conn).WithCache(time.Minute, func() time.Time { return now })
	check := func(step string, ids []string, wantMissing, wantAsked []string) {
		t.Helper()
		before := peer.count()
		missing, err := c.MissingUnits(t.Context(), ids)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !slices.Equal(missing, wantMissing) {
			t.Errorf("%s: missing = %v, want %v", step, missing, wantMissing)
		}
		var asked []string
		if peer.count() > before {
			asked = peer.lastCall()
		}
		if peer.count()-before > 1 || !slices.Equal(asked, wantAsked) {
			t.Errorf("%s: %d calls, last asked %v; want one asking %v", step, peer.count()-before, asked, wantAsked)
		}
	}

	check("first", []string{snv, stp, fresh}, []string{fresh}, []string{snv, stp, fresh})
	check("again", []string{stp, snv}, nil, nil)
	peer.mu.Lock()
	peer.known[fresh] = true // created in the directory meanwhile
	peer.mu.Unlock()
	check("missing asked again", []string{snv, fresh}, nil, []string{fresh})
	now = now.Add(59 * time.Second)
	check("within the lifetime", []string{snv, stp, fresh}, nil, nil)
	now = now.Add(time.Second)
	check("lifetime over", []string{snv, stp}, nil, []string{snv, stp})

	off := directory.New(conn).WithCache(0, nil)
	for range 2 {
		before := peer.count()
		if _, err := off.MissingUnits(t.Context(), []string{snv}); err != nil || peer.count() != before+1 {
			t.Errorf("without a cache: %v, %d calls; want one call each time", err, peer.count()-before)
		}
	}
}
