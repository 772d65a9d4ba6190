package grpcserver_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRequestStringsReachHandlersInNFC calls the server over gRPC, as an agency system
// does without the gateway, with Vietnamese in decomposed form (NFD): the handler sees
// NFC, and the length rules count NFC characters.
func TestRequestStringsReachHandlersInNFC(t *testing.T) {
	f := start(t)
	conn := f.conn(t, f.token(t, "user-1"))
	nfd := norm.NFD.String

	const name = "Ủy ban nhân dân tỉnh" // 20 characters in NFC, 25 code points in NFD
	if len([]rune(nfd(name))) <= 20 {
		t.Fatalf("test input is not longer in NFD")
	}
	resp := f.echo.newResp()
	if err := conn.Invoke(callCtx(t), echoMethod, f.echo.newReq(nfd(name), 2025), resp); err != nil {
		t.Fatalf("Echo with NFD input (max_len 20 in NFC): %v", err)
	}
	if got := str(resp, "name"); got != name {
		t.Errorf("handler saw %q (%d code points), want NFC %q", got, len([]rune(got)), name)
	}

	// Still too long once composed: refused.
	err := conn.Invoke(callCtx(t), echoMethod, f.echo.newReq(nfd(name+"!"), 2025), f.echo.newResp())
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("21 characters: %v, want InvalidArgument", err)
	}

	// Client streams' messages too.
	names, err := f.echo.repeat(callCtx(t), conn, f.echo.newReq(nfd("Tuyên Quang"), 2022))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Tuyên Quang", "Tuyên Quang"}, names); diff != "" {
		t.Errorf("streamed names (-want +got):\n%s", diff)
	}
}
