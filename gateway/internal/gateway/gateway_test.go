package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/grpcserver"
)

// fakeDirectory is a peer-service fake: it answers GetUnit from a map and records the
// principal each call carried.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	units  map[string]*directoryv1.Unit
	caller chan auth.Principal
	// seen records the text fields of LookupUnit and CreateUnit requests as received.
	seen chan string
}

func (f *fakeDirectory) LookupUnit(_ context.Context, req *directoryv1.LookupUnitRequest) (*directoryv1.LookupUnitResponse, error) {
	f.seen <- req.GetCode()
	return nil, errNotFound
}

func (f *fakeDirectory) CreateUnit(_ context.Context, req *directoryv1.CreateUnitRequest) (*directoryv1.CreateUnitResponse, error) {
	f.seen <- req.GetUnit().GetName()
	return &directoryv1.CreateUnitResponse{Unit: req.GetUnit()}, nil
}

func (f *fakeDirectory) GetUnit(ctx context.Context, req *directoryv1.GetUnitRequest) (*directoryv1.GetUnitResponse, error) {
	p, _ := auth.FromContext(ctx)
	f.caller <- p
	u, ok := f.units[req.GetUnitId()]
	if !ok {
		return nil, errNotFound
	}
	return &directoryv1.GetUnitResponse{Unit: u}, nil
}

// startGateway starts a real gRPC server (kit/grpcserver: authentication and validation
// included) with the fake directory behind the gateway's handler.
func startGateway(t *testing.T) (*httptest.Server, *fakeDirectory, string) {
	t.Helper()
	return startGatewayWith(t, func(*Config) {})
}

// startGatewayWith is startGateway with the configuration adjusted by edit.
func startGatewayWith(t *testing.T, edit func(*Config)) (*httptest.Server, *fakeDirectory, string) {
	t.Helper()
	hs, fake, tok, _ := startGatewaySigner(t, edit)
	return hs, fake, tok
}

// startGatewaySigner is startGatewayWith that also returns the token issuer.
func startGatewaySigner(t *testing.T, edit func(*Config)) (*httptest.Server, *fakeDirectory, string, *auth.Signer) {
	t.Helper()
	signer, verifier := authtest.NewIssuer(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, hs := grpcserver.New(grpcserver.Options{Service: "directory", Log: log, Verifier: verifier})
	fake := &fakeDirectory{
		units: map[string]*directoryv1.Unit{
			"0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11": {Id: "0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", Code: "TQ-SNV", Name: "Sở Nội vụ", ShortName: "SNV", Kind: "department", Level: "province"},
		},
		caller: make(chan auth.Principal, 10),
		seen:   make(chan string, 10),
	}
	directoryv1.RegisterDirectoryServiceServer(srv, fake)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- grpcserver.Serve(ctx, srv, hs, lis) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	unused := "127.0.0.1:1" // lazy connections: never dialled by these tests
	cfg := Config{
		DirectoryAddr: lis.Addr().String(), TaskTrackingAddr: unused, ParScoringAddr: unused,
		AccountabilityAddr: unused, NotificationAddr: unused,
		MaxBodyBytes: 1 << 10, RequestTimeout: 5e9,
	}
	edit(&cfg)
	gw, err := New(t.Context(), cfg, log, verifier)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	hs2 := httptest.NewServer(gw)
	t.Cleanup(hs2.Close)
	tok := authtest.Token(t, signer, auth.Principal{Subject: "snv.cv01", UnitID: "0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", Roles: []string{auth.RoleSecretariat}})
	return hs2, fake, tok, signer
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	resp, body := do(t, newReq(t, http.MethodGet, url, token, ""))
	return resp.StatusCode, body
}

func TestGatewayForwardsAuthenticatedCalls(t *testing.T) {
	hs, fake, tok := startGateway(t)

	status, body := get(t, hs.URL+"/v1/units/0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", tok)
	if status != http.StatusOK {
		t.Fatalf("GET unit: HTTP %d %v", status, body)
	}
	want := map[string]any{"unit": map[string]any{
		"id": "0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", "code": "TQ-SNV", "name": "Sở Nội vụ",
		"short_name": "SNV", "kind": "department", "level": "province",
	}}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("unit JSON (-want +got):\n%s", diff)
	}
	// The service saw the caller's identity, not the gateway's.
	if p := <-fake.caller; p.Subject != "snv.cv01" {
		t.Errorf("service saw subject %q, want snv.cv01", p.Subject)
	}
}

func TestGatewayErrors(t *testing.T) {
	hs, _, tok := startGateway(t)
	tests := []struct {
		name       string
		path       string
		token      string
		wantStatus int
		wantInBody string
	}{
		{"no token", "/v1/units/0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", "", http.StatusUnauthorized, "Chưa xác thực"},
		{"forged token", "/v1/units/0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", tok[:len(tok)-4] + "AAAA", http.StatusUnauthorized, "Chưa xác thực"},
		{"invalid id", "/v1/units/not-a-uuid", tok, http.StatusBadRequest, "unit_id"},
		{"unknown unit", "/v1/units/6f0c1f7e-0000-4000-8000-000000000000", tok, http.StatusNotFound, "Không tìm thấy"},
		{"openapi is public", "/openapi.json", "", http.StatusOK, "PAR platform API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, hs.URL+tt.path, tt.token)
			if status != tt.wantStatus {
				t.Fatalf("HTTP %d, want %d (%v)", status, tt.wantStatus, body)
			}
			b, _ := json.Marshal(body)
			if !strings.Contains(string(b), tt.wantInBody) {
				t.Errorf("body %s does not mention %q", b, tt.wantInBody)
			}
		})
	}
}

func TestGatewayLimitsBodySize(t *testing.T) {
	hs, _, tok := startGateway(t)
	big := `{"code":"X","name":"` + strings.Repeat("a", 4<<10) + `"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/v1/units", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("oversized body: HTTP %d, want a 4xx", resp.StatusCode)
	}
}

var errNotFound = status.Error(codes.NotFound, "Không tìm thấy đơn vị")

func TestGatewayRefusesExpiredForgedAndWrongAudienceTokens(t *testing.T) {
	hs, _, _, signer := startGatewaySigner(t, func(*Config) {})
	p := auth.Principal{Subject: "snv.cv01", Roles: []string{auth.RoleSecretariat}}
	for name, tok := range authtest.RefusedTokens(t, signer, p) {
		status, body := get(t, hs.URL+"/v1/units/0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", tok)
		if status != http.StatusUnauthorized || body["message"] != auth.MsgInvalidToken || body["status"] != "UNAUTHENTICATED" {
			t.Errorf("%s token: HTTP %d %v, want 401 UNAUTHENTICATED", name, status, body)
		}
	}
}
