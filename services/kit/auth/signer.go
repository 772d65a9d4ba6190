package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Signer mints EdDSA tokens with one Ed25519 key. It stands in for the identity provider in
// development (`make run`), tests and service tokens; production verifies tokens of the
// province's provider through its JWKS.
type Signer struct {
	key    ed25519.PrivateKey
	kid    string
	issuer string
	now    func() time.Time
}

// NewSigner returns a Signer for key. An empty kid is replaced by the key's RFC 7638
// thumbprint, which is stable across restarts.
func NewSigner(key ed25519.PrivateKey, kid, issuer string) *Signer {
	pub := key.Public().(ed25519.PublicKey)
	if kid == "" {
		kid = thumbprint(pub)
	}
	return &Signer{key: key, kid: kid, issuer: issuer, now: time.Now}
}

// GenerateSigner returns a Signer with a fresh random key.
func GenerateSigner(issuer string) (*Signer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generate Ed25519 key: %w", err)
	}
	return NewSigner(key, "", issuer), nil
}

// LoadOrCreateSigner returns a Signer for the PKCS#8 PEM key at path, creating the file
// (mode 0600, parent directories 0700) with a fresh key if it does not exist. `make run`
// uses it so that tokens stay valid across restarts.
func LoadOrCreateSigner(path, issuer string) (*Signer, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- key file path given by the operator (AUTH_PUBLIC_KEY_FILE, devstack), not by a request
	if errors.Is(err, fs.ErrNotExist) {
		return createSigner(path, issuer)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read signing key: %w", err)
	}
	return parseSigner(path, data, issuer)
}

func createSigner(path, issuer string) (*Signer, error) {
	s, err := GenerateSigner(issuer)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: create key directory: %w", err)
	}
	// O_EXCL: if another process created the file since we looked, use its key so both
	// agree on one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- key file path given by the operator (AUTH_PUBLIC_KEY_FILE, devstack), not by a request
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSigner(path, issuer)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: create signing key file: %w", err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path) // a half-written key would fail every later start
		return nil, fmt.Errorf("auth: write signing key: %w", werr)
	}
	return s, nil
}

func parseSigner(path string, data []byte, issuer string) (*Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("auth: %s holds no PKCS#8 PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: parse signing key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: signing key %s is %T, want Ed25519", path, k)
	}
	return NewSigner(key, "", issuer), nil
}

// At returns a copy of s whose tokens are minted as if the time were now: tests use it to
// mint tokens that have already expired.
func (s *Signer) At(now time.Time) *Signer {
	c := *s
	c.now = func() time.Time { return now }
	return &c
}

// KeyID returns the kid put in minted tokens and in the JWKS.
func (s *Signer) KeyID() string { return s.kid }

// Issuer returns the iss put in minted tokens.
func (s *Signer) Issuer() string { return s.issuer }

// PublicKey returns the verification key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// PublicKeyPEM returns the verification key as a PKIX "PUBLIC KEY" PEM block, the format
// of AUTH_PUBLIC_KEY_FILE.
func (s *Signer) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(s.PublicKey())
	if err != nil {
		// Marshalling a valid Ed25519 key cannot fail.
		panic(fmt.Sprintf("auth: marshal Ed25519 public key: %v", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Mint returns a token for p valid for ttl, for audience.
func (s *Signer) Mint(p Principal, audience string, ttl time.Duration) (string, error) {
	if p.Subject == "" {
		return "", errors.New("auth: mint: principal has no subject")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: mint: ttl %s is not positive", ttl)
	}
	now := s.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        uuid.NewString(),
			Subject:   p.Subject,
			Issuer:    s.issuer,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		UserID: p.UserID,
		UnitID: p.UnitID,
		Roles:  jwt.ClaimStrings(p.Roles),
		Name:   p.Name,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &c)
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, nil
}

// JWKS returns the JSON Web Key Set publishing the verification key.
func (s *Signer) JWKS() []byte {
	set := jwkSet{Keys: []jwk{{
		Kty: "OKP",
		Crv: "Ed25519",
		X:   base64.RawURLEncoding.EncodeToString(s.PublicKey()),
		Kid: s.kid,
		Alg: AlgEdDSA,
		Use: "sig",
	}}}
	b, err := json.Marshal(set)
	if err != nil {
		panic(fmt.Sprintf("auth: marshal JWKS: %v", err)) // plain strings cannot fail
	}
	return b
}

// JWKSHandler serves JWKS, for AUTH_JWKS_URL in development.
func (s *Signer) JWKSHandler() http.Handler {
	body := s.JWKS()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 key (RFC 8037 §2): SHA-256 of
// the required members in lexicographic order.
func thumbprint(pub ed25519.PublicKey) string {
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
