package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

func TestClientCredentialsHandler(t *testing.T) {
	signer, verifier := authtest.NewIssuer(t)
	clients := map[string]auth.Client{
		"so-tu-phap-hcc": {Secret: "s3cret", Principal: auth.Principal{UnitID: "unit-stp", Name: "Hệ thống một cửa Sở Tư pháp"}},
	}
	hs := httptest.NewServer(auth.ClientCredentialsHandler(signer, authtest.Audience, 10*time.Minute, clients))
	t.Cleanup(hs.Close)

	post := func(form url.Values, user, pass string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}

	grant := url.Values{"grant_type": {"client_credentials"}}
	for name, tc := range map[string]struct {
		form       url.Values
		user, pass string
	}{
		"basic auth":  {grant, "so-tu-phap-hcc", "s3cret"},
		"form fields": {url.Values{"grant_type": {"client_credentials"}, "client_id": {"so-tu-phap-hcc"}, "client_secret": {"s3cret"}}, "", ""},
	} {
		status, body := post(tc.form, tc.user, tc.pass)
		if status != http.StatusOK || body["token_type"] != "Bearer" || body["expires_in"] != float64(600) {
			t.Fatalf("%s: HTTP %d %v", name, status, body)
		}
		p, err := verifier.Verify(t.Context(), body["access_token"].(string))
		if err != nil {
			t.Fatalf("%s: token refused: %v", name, err)
		}
		if p.Subject != "client:so-tu-phap-hcc" || p.UnitID != "unit-stp" || !p.HasRole(auth.RoleAgencySystem) {
			t.Errorf("%s: principal %+v", name, p)
		}
	}

	for name, tc := range map[string]struct {
		form       url.Values
		user, pass string
		wantStatus int
		wantError  string
	}{
		"wrong secret":   {grant, "so-tu-phap-hcc", "guess", http.StatusUnauthorized, "invalid_client"},
		"unknown client": {grant, "nobody", "s3cret", http.StatusUnauthorized, "invalid_client"},
		"no client":      {grant, "", "", http.StatusUnauthorized, "invalid_client"},
		"password grant": {url.Values{"grant_type": {"password"}}, "so-tu-phap-hcc", "s3cret", http.StatusBadRequest, "unsupported_grant_type"},
	} {
		status, body := post(tc.form, tc.user, tc.pass)
		if status != tc.wantStatus || body["error"] != tc.wantError || body["access_token"] != nil {
			t.Errorf("%s: HTTP %d %v, want %d %s", name, status, body, tc.wantStatus, tc.wantError)
		}
	}
}
