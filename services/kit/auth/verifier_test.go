package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

const (
	testIssuer   = "par-dev"
	testAudience = "par-platform"
)

var testPrincipal = Principal{
	Subject: "user-42",
	UserID:  "0199a1b2-0000-7000-8000-000000000042",
	UnitID:  "so-noi-vu",
	Name:    "Nguyễn Thị Lan",
	Roles:   []string{RoleUnitStaff, RoleUnitHead},
}

// sign signs arbitrary claims, for tokens the Signer would never produce.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func validClaims(now time.Time) *claims {
	return &claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   testPrincipal.Subject,
			Issuer:    testIssuer,
			Audience:  jwt.ClaimStrings{testAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
		UserID: testPrincipal.UserID,
		UnitID: testPrincipal.UnitID,
		Roles:  jwt.ClaimStrings(testPrincipal.Roles),
		Name:   testPrincipal.Name,
	}
}

func newTestSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := GenerateSigner(testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustVerifier(t *testing.T, cfg Config) Verifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestVerify(t *testing.T) {
	signer := newTestSigner(t)
	v := mustVerifier(t, Config{PublicKey: signer.PublicKey()})
	now := time.Now()

	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pastSigner := NewSigner(signer.key, "", testIssuer)
	pastSigner.now = func() time.Time { return now.Add(-2 * time.Hour) }
	futureSigner := NewSigner(signer.key, "", testIssuer)
	futureSigner.now = func() time.Time { return now.Add(time.Hour) }

	mint := func(s *Signer, p Principal, aud string) string {
		tok, err := s.Mint(p, aud, time.Hour)
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
		return tok
	}
	noExp := validClaims(now)
	noExp.ExpiresAt = nil
	noSub := validClaims(now)
	noSub.Subject = ""
	wrongIssuer := validClaims(now)
	wrongIssuer.Issuer = "https://evil.example"
	singleRole := validClaims(now)
	singleRole.Roles = nil

	tests := []struct {
		name    string
		token   string
		want    Principal
		wantErr bool
	}{
		{name: "valid", token: mint(signer, testPrincipal, testAudience), want: testPrincipal},
		{name: "expired", token: mint(pastSigner, testPrincipal, testAudience), wantErr: true},
		{name: "not yet valid", token: mint(futureSigner, testPrincipal, testAudience), wantErr: true},
		{name: "wrong audience", token: mint(signer, testPrincipal, "other-platform"), wantErr: true},
		{name: "wrong issuer", token: sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, wrongIssuer), wantErr: true},
		{name: "forged by another key, same kid", token: sign(t, jwt.SigningMethodEdDSA, otherKey, signer.kid, validClaims(now)), wantErr: true},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", validClaims(now)), wantErr: true},
		// The classic confusion attack: HMAC keyed with the public key bytes.
		{name: "HS256 with the public key as secret", token: sign(t, jwt.SigningMethodHS256, []byte(signer.PublicKey()), signer.kid, validClaims(now)), wantErr: true},
		{name: "no exp", token: sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, noExp), wantErr: true},
		{name: "no subject", token: sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, noSub), wantErr: true},
		{name: "garbage", token: "not.a.jwt", wantErr: true},
		{name: "empty", token: "", wantErr: true},
		{
			name:  "no roles",
			token: sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, singleRole),
			want:  Principal{Subject: testPrincipal.Subject, UserID: testPrincipal.UserID, UnitID: testPrincipal.UnitID, Name: testPrincipal.Name},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(t.Context(), tt.token)
			if tt.wantErr {
				if !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("Verify error = %v, want ErrUnauthenticated", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRolesClaimAsSingleString(t *testing.T) {
	signer := newTestSigner(t)
	v := mustVerifier(t, Config{PublicKey: signer.PublicKey()})
	now := time.Now()
	tok := sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, jwt.MapClaims{
		"sub": "sys-1", "iss": testIssuer, "aud": testAudience, "exp": now.Add(time.Minute).Unix(),
		"roles": RoleAgencySystem,
	})
	p, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasRole(RoleAgencySystem) || p.HasRole(RoleService) {
		t.Errorf("roles = %v", p.Roles)
	}
}

func TestLeeway(t *testing.T) {
	signer := newTestSigner(t)
	c := validClaims(time.Now().Add(-time.Hour))
	c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-10 * time.Second))
	tok := sign(t, jwt.SigningMethodEdDSA, signer.key, signer.kid, c)

	strict := mustVerifier(t, Config{PublicKey: signer.PublicKey()})
	if _, err := strict.Verify(t.Context(), tok); err == nil {
		t.Error("token expired 10 s ago accepted without leeway")
	}
	lenient := mustVerifier(t, Config{PublicKey: signer.PublicKey(), Leeway: time.Minute})
	if _, err := lenient.Verify(t.Context(), tok); err != nil {
		t.Errorf("token expired 10 s ago refused with 1 min leeway: %v", err)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	signer := newTestSigner(t)
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no key source", Config{Issuer: "i", Audience: "a"}},
		{"two key sources", Config{Issuer: "i", Audience: "a", JWKSURL: "http://127.0.0.1/jwks", PublicKey: signer.PublicKey()}},
		{"no issuer", Config{Audience: "a", PublicKey: signer.PublicKey()}},
		{"no audience", Config{Issuer: "i", PublicKey: signer.PublicKey()}},
		{"missing PEM file", Config{Issuer: "i", Audience: "a", PublicKeyPEMFile: filepath.Join(t.TempDir(), "none.pem")}},
		{"RSA 1024", Config{Issuer: "i", Audience: "a", PublicKey: &weakRSA.PublicKey}},
		{"P-384", Config{Issuer: "i", Audience: "a", PublicKey: &p384.PublicKey}},
	}
	for _, tt := range tests {
		if _, err := NewVerifier(tt.cfg); err == nil {
			t.Errorf("%s: NewVerifier accepted the config", tt.name)
		}
	}
}

func TestPublicKeyPEMFile(t *testing.T) {
	dir := t.TempDir()
	signer := newTestSigner(t)
	edPath := filepath.Join(dir, "ed25519.pem")
	if err := os.WriteFile(edPath, signer.PublicKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, Config{PublicKeyPEMFile: edPath})
	tok, _ := signer.Mint(testPrincipal, testAudience, time.Minute)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Errorf("Ed25519 PEM: %v", err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPath := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(rsaPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	v = mustVerifier(t, Config{PublicKeyPEMFile: rsaPath})
	if _, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodRS256, rsaKey, "", validClaims(time.Now()))); err != nil {
		t.Errorf("RSA PEM: %v", err)
	}
	// An EdDSA token must not pass against the RSA key.
	if _, err := v.Verify(t.Context(), tok); err == nil {
		t.Error("EdDSA token accepted by an RSA-key verifier")
	}

	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewVerifier(Config{Issuer: "i", Audience: "a", PublicKeyPEMFile: bad}); err == nil {
		t.Error("NewVerifier accepted a file without PEM")
	}
}

// jwkOf publishes pub as a JWK.
func jwkOf(t *testing.T, pub crypto.PublicKey, kid, alg string) jwk {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return jwk{Kty: "OKP", Crv: "Ed25519", X: enc(k), Kid: kid, Alg: alg, Use: "sig"}
	case *rsa.PublicKey:
		return jwk{Kty: "RSA", N: enc(k.N.Bytes()), E: enc(big.NewInt(int64(k.E)).Bytes()), Kid: kid, Alg: alg, Use: "sig"}
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return jwk{Kty: "EC", Crv: "P-256", X: enc(b[1:33]), Y: enc(b[33:]), Kid: kid, Alg: alg}
	default:
		t.Fatalf("jwkOf: %T", pub)
		return jwk{}
	}
}

// jwksServer serves a key set that tests can replace, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	set     jwkSet
	failing bool
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...jwk) *jwksServer {
	t.Helper()
	s := &jwksServer{set: jwkSet{Keys: keys}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failing {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(s.set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(failing bool, keys ...jwk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
	s.set = jwkSet{Keys: keys}
}

func TestJWKSAlgorithms(t *testing.T) {
	edSigner := newTestSigner(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := newJWKSServer(t,
		jwkOf(t, edSigner.PublicKey(), "ed", AlgEdDSA),
		jwkOf(t, &rsaKey.PublicKey, "rsa", AlgRS256),
		jwkOf(t, &ecKey.PublicKey, "ec", ""),
		// Keys the verifier must skip without failing the set.
		jwk{Kty: "RSA", Use: "enc", Kid: "enc", N: "AQAB", E: "AQAB"},
		jwk{Kty: "oct", Kid: "hmac", Alg: "HS256"},
	)
	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	now := time.Now()

	tests := []struct {
		name    string
		token   string
		wantErr bool
	}{
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, edSigner.key, "ed", validClaims(now)), false},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa", validClaims(now)), false},
		{"ES256", sign(t, jwt.SigningMethodES256, ecKey, "ec", validClaims(now)), false},
		{"RS512 not allowed", sign(t, jwt.SigningMethodRS512, rsaKey, "rsa", validClaims(now)), true},
		{"ES256 token naming the RSA kid", sign(t, jwt.SigningMethodES256, ecKey, "rsa", validClaims(now)), true},
		{"HS256 naming the hmac kid", sign(t, jwt.SigningMethodHS256, []byte("secret"), "hmac", validClaims(now)), true},
		{"no kid against many keys", sign(t, jwt.SigningMethodEdDSA, edSigner.key, "", validClaims(now)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), tt.token)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Verify error = %v, want error: %v", err, tt.wantErr)
			}
			t.Log(err)
			if err != nil && !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("error %v does not wrap ErrUnauthenticated", err)
			}
		})
	}
}

// fakeClock is a settable clock for the key cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestJWKSRotation(t *testing.T) {
	oldSigner := newTestSigner(t)
	newSigner := newTestSigner(t)
	srv := newJWKSServer(t, jwkOf(t, oldSigner.PublicKey(), oldSigner.KeyID(), AlgEdDSA))
	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	clock := &fakeClock{now: time.Now()}
	v.(*verifier).keys.(*jwksSource).now = clock.Now

	oldTok, _ := oldSigner.Mint(testPrincipal, testAudience, 3*time.Hour)
	newTok, _ := newSigner.Mint(testPrincipal, testAudience, 3*time.Hour)
	_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	strangerTok, _ := NewSigner(strangerKey, "stranger", testIssuer).Mint(testPrincipal, testAudience, 3*time.Hour)

	steps := []struct {
		name        string
		advance     time.Duration
		publish     []jwk
		failing     bool
		token       string
		wantErr     bool
		wantFetches int32
	}{
		{name: "first use fetches", token: oldTok, wantFetches: 1},
		{name: "known kid is cached", token: oldTok, wantFetches: 1},
		{
			name:    "rotation published, unknown kid within 30 s is refused without fetching",
			publish: []jwk{jwkOf(t, oldSigner.PublicKey(), oldSigner.KeyID(), AlgEdDSA), jwkOf(t, newSigner.PublicKey(), newSigner.KeyID(), AlgEdDSA)},
			advance: 10 * time.Second, token: newTok, wantErr: true, wantFetches: 1,
		},
		{name: "after 30 s the unknown kid refetches", advance: 21 * time.Second, token: newTok, wantFetches: 2},
		{name: "new key cached", token: newTok, wantFetches: 2},
		{name: "stranger kid soon after is refused without fetching", advance: 5 * time.Second, token: strangerTok, wantErr: true, wantFetches: 2},
		{name: "stranger kid later fetches once and is refused", advance: 31 * time.Second, token: strangerTok, wantErr: true, wantFetches: 3},
		{name: "stranger kid again is refused from cache", token: strangerTok, wantErr: true, wantFetches: 3},
		{
			name:    "old key withdrawn: after max age the set is refreshed and the old key refused",
			publish: []jwk{jwkOf(t, newSigner.PublicKey(), newSigner.KeyID(), AlgEdDSA)},
			advance: 61 * time.Minute, token: oldTok, wantErr: true, wantFetches: 4,
		},
		{
			name:    "provider down after max age: known keys still accepted",
			publish: nil, failing: true,
			advance: 61 * time.Minute, token: newTok, wantFetches: 5,
		},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.publish != nil || st.failing {
			srv.publish(st.failing, st.publish...)
		}
		_, err := v.Verify(t.Context(), st.token)
		t.Log(st.name, err)
		if st.wantErr != (err != nil) {
			t.Fatalf("%s: Verify error = %v, want error: %v", st.name, err, st.wantErr)
		}
		if got := srv.fetches.Load(); got != st.wantFetches {
			t.Fatalf("%s: %d fetches, want %d", st.name, got, st.wantFetches)
		}
	}
}

func TestJWKSConcurrentMissesFetchOnce(t *testing.T) {
	signer := newTestSigner(t)
	srv := newJWKSServer(t, jwkOf(t, signer.PublicKey(), signer.KeyID(), AlgEdDSA))
	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	tok, _ := signer.Mint(testPrincipal, testAudience, time.Minute)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := v.Verify(t.Context(), tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Verify: %v", err)
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("%d fetches for 16 concurrent first uses, want 1", got)
	}
}

func TestJWKSFetchSurvivesCallerCancellation(t *testing.T) {
	signer := newTestSigner(t)
	srv := newJWKSServer(t, jwkOf(t, signer.PublicKey(), signer.KeyID(), AlgEdDSA))
	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	tok, _ := signer.Mint(testPrincipal, testAudience, time.Minute)

	// A caller that has already gone away must not poison the cache for 30 s.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("Verify with cancelled ctx: %v", err)
	}
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestJWKSProviderDownAtFirstUse(t *testing.T) {
	signer := newTestSigner(t)
	srv := newJWKSServer(t)
	srv.publish(true)
	v := mustVerifier(t, Config{JWKSURL: srv.URL})
	tok, _ := signer.Mint(testPrincipal, testAudience, time.Minute)
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("Verify error = %v, want ErrUnauthenticated", err)
	}
}

func TestParseJWKSRejectsMalformedKeys(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"not json", `{`},
		{"ed25519 short", `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"AAAA"}]}`},
		{"ec off curve", `{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 32)) + `","y":"` + base64.RawURLEncoding.EncodeToString(append(make([]byte, 31), 1)) + `"}]}`},
		{"rsa short", `{"keys":[{"kty":"RSA","kid":"a","n":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 64)) + `","e":"AQAB"}]}`},
		{"bad base64", `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"!!"}]}`},
	}
	for _, tt := range tests {
		if _, err := parseJWKS([]byte(tt.body)); err == nil {
			t.Errorf("%s: parseJWKS accepted it", tt.name)
		}
	}
}
