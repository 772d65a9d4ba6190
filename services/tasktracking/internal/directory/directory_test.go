package directory_test

import (
	"errors"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/directory"
)

// A directory that is down is reported as ErrUnavailable, which the API answers with
// Unavailable (try again) rather than Internal.
func TestMissingUnitsDirectoryDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close() // nothing listens there any more

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, err = directory.New(conn).MissingUnits(t.Context(), []string{"0190a1b2-0000-7000-8000-000000000001"})
	if !errors.Is(err, app.ErrUnavailable) {
		t.Errorf("MissingUnits = %v, want ErrUnavailable", err)
	}
}

func TestUnitsDirectoryDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := directory.New(conn).Units(t.Context()); !errors.Is(err, app.ErrUnavailable) {
		t.Errorf("Units = %v, want ErrUnavailable", err)
	}
}
