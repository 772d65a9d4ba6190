package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

func TestMiddleware(t *testing.T) {
	signer, v := authtest.NewIssuer(t)
	other, _ := authtest.NewIssuer(t)
	p := auth.Principal{Subject: "lead-1", Roles: []string{auth.RoleLeadership}}
	good := authtest.Token(t, signer, p)
	forged := authtest.Token(t, other, p)

	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := auth.FromContext(r.Context())
		if !ok {
			_, _ = io.WriteString(w, "anonymous")
			return
		}
		_, _ = io.WriteString(w, got.Subject)
	})
	public := func(r *http.Request) bool { return r.URL.Path == "/healthz" }
	srv := httptest.NewServer(auth.Middleware(v, public, next))
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		path       string
		header     string
		wantStatus int
		wantBody   string
		wantMsg    string
	}{
		{name: "no header", path: "/v1/units", wantStatus: 401, wantMsg: auth.MsgMissingToken},
		{name: "basic scheme", path: "/v1/units", header: "Basic dXNlcjpwYXNz", wantStatus: 401, wantMsg: auth.MsgMissingToken},
		{name: "forged token", path: "/v1/units", header: "Bearer " + forged, wantStatus: 401, wantMsg: auth.MsgInvalidToken},
		{name: "valid token", path: "/v1/units", header: "Bearer " + good, wantStatus: 200, wantBody: "lead-1"},
		{name: "scheme is case-insensitive", path: "/v1/units", header: "bearer " + good, wantStatus: 200, wantBody: "lead-1"},
		{name: "public path", path: "/healthz", wantStatus: 200, wantBody: "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 200 {
				if string(body) != tt.wantBody {
					t.Errorf("body = %q, want %q", body, tt.wantBody)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			// Exactly grpc-gateway's error shape.
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			want := map[string]any{"code": float64(16), "message": tt.wantMsg, "details": []any{}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}
