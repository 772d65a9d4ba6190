package server_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
)

// fakeDirectory is the directory peer: a real gRPC server answering BatchGetUnits from a
// map of units, recording the calls and the authorization each carried.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer

	units map[string]string // id → name

	mu    sync.Mutex
	calls []batchCall
}

// batchCall is one BatchGetUnits the fake received.
type batchCall struct {
	IDs           []string
	Authorization string
}

// startFakeDirectory serves units on 127.0.0.1 and returns the fake and its address.
func startFakeDirectory(t *testing.T, units map[string]string) (*fakeDirectory, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDirectory{units: units}
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
