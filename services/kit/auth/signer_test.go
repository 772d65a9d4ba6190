package auth

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOrCreateSigner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "dev-signing.pem")
	first, err := LoadOrCreateSigner(path, testIssuer)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("key file is not PKCS#8 PEM: %.40q", data)
	}

	// A restart loads the same key: tokens minted before still verify.
	tok, err := first.Mint(testPrincipal, testAudience, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateSigner(path, testIssuer)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if second.KeyID() != first.KeyID() || !second.PublicKey().Equal(first.PublicKey()) {
		t.Fatal("reloaded signer has a different key")
	}
	v := mustVerifier(t, Config{PublicKey: second.PublicKey()})
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Errorf("token minted before restart: %v", err)
	}

	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(path, testIssuer); err == nil {
		t.Error("LoadOrCreateSigner accepted a corrupt key file")
	}
}

func TestMintRejects(t *testing.T) {
	s := newTestSigner(t)
	if _, err := s.Mint(Principal{}, testAudience, time.Minute); err == nil {
		t.Error("Mint accepted a principal without subject")
	}
	if _, err := s.Mint(testPrincipal, testAudience, 0); err == nil {
		t.Error("Mint accepted a zero ttl")
	}
}

func TestJWKS(t *testing.T) {
	s := newTestSigner(t)
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	want := map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": s.KeyID(), "alg": "EdDSA", "use": "sig", "x": k["x"]}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Errorf("JWK (-want +got):\n%s", diff)
	}
	keys, err := parseJWKS(s.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := keys[s.KeyID()].key.(ed25519.PublicKey); !ok || !pub.Equal(s.PublicKey()) {
		t.Error("JWKS does not publish the signer's public key")
	}
}

func TestJWKSHandlerEndToEnd(t *testing.T) {
	s := newTestSigner(t)
	srv := httptest.NewServer(s.JWKSHandler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", resp.StatusCode)
	}

	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	tok, _ := s.Mint(testPrincipal, testAudience, time.Minute)
	p, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if diff := cmp.Diff(testPrincipal, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
}

func TestHasRole(t *testing.T) {
	p := Principal{Roles: []string{RoleUnitStaff, RoleAppraiser}}
	tests := []struct {
		roles []string
		want  bool
	}{
		{[]string{RoleAppraiser}, true},
		{[]string{RoleSecretariat, RoleUnitStaff}, true},
		{[]string{RoleSecretariat}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := p.HasRole(tt.roles...); got != tt.want {
			t.Errorf("HasRole(%v) = %v, want %v", tt.roles, got, tt.want)
		}
	}
}
