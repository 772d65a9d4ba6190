package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrUnauthenticated is wrapped by every error Verify returns.
var ErrUnauthenticated = errors.New("unauthenticated")

// Signing algorithms accepted. HMAC is excluded (a shared secret would let every service
// mint tokens) and so is "none".
const (
	AlgEdDSA = "EdDSA"
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// minRSABits is the smallest RSA modulus accepted, per current NIST guidance.
const minRSABits = 2048

// Verifier checks a bearer token and returns the principal it names.
type Verifier interface {
	// Verify returns the principal of rawToken, or an error wrapping ErrUnauthenticated.
	Verify(ctx context.Context, rawToken string) (Principal, error)
}

// Config configures NewVerifier. Exactly one key source must be set: JWKSURL,
// PublicKeyPEMFile or PublicKey.
type Config struct {
	// JWKSURL is the identity provider's JSON Web Key Set; keys are chosen by the token's kid.
	JWKSURL string
	// PublicKeyPEMFile is a local PEM file holding one public key (PKIX "PUBLIC KEY" or a
	// "CERTIFICATE"), used whatever the token's kid (development, `make run`).
	PublicKeyPEMFile string
	// PublicKey is an in-memory public key (ed25519.PublicKey, *rsa.PublicKey or P-256
	// *ecdsa.PublicKey), used whatever the token's kid (tests, in-process issuers).
	PublicKey crypto.PublicKey
	// Issuer is the required "iss".
	Issuer string
	// Audience is the required member of "aud".
	Audience string
	// Leeway is the clock skew tolerated on exp, nbf and iat; 0 tolerates none.
	Leeway time.Duration
	// HTTPClient fetches the JWKS; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// NewVerifier returns a Verifier for cfg. It does not contact the JWKS URL: keys are
// fetched on first use, so a service starts even while the identity provider is down.
func NewVerifier(cfg Config) (Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("auth: verifier needs both an issuer and an audience")
	}
	sources := 0
	for _, set := range []bool{cfg.JWKSURL != "", cfg.PublicKeyPEMFile != "", cfg.PublicKey != nil} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("auth: verifier needs exactly one of a JWKS URL, a public key file or a public key")
	}

	var keys keySource
	switch {
	case cfg.JWKSURL != "":
		client := cfg.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		keys = newJWKSSource(cfg.JWKSURL, client)
	case cfg.PublicKeyPEMFile != "":
		pub, err := readPublicKeyFile(cfg.PublicKeyPEMFile)
		if err != nil {
			return nil, err
		}
		keys = staticKey{pub}
	default:
		if _, err := algForKey(cfg.PublicKey); err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		keys = staticKey{cfg.PublicKey}
	}

	return &verifier{
		keys: keys,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{AlgEdDSA, AlgRS256, AlgES256}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
		),
	}, nil
}

// claims is the token payload: the registered claims plus the platform's own.
type claims struct {
	jwt.RegisteredClaims
	UserID string `json:"uid,omitempty"`
	UnitID string `json:"unit_id,omitempty"`
	// Roles accepts a single string as well as an array, as some providers emit one.
	Roles jwt.ClaimStrings `json:"roles,omitempty"`
	Name  string           `json:"name,omitempty"`
}

// Validate adds the platform's rule to the registered-claim checks: a token must name
// its subject, or audit trails would record nobody.
func (c *claims) Validate() error {
	if c.Subject == "" {
		return errors.New("token has no subject")
	}
	return nil
}

// keySource returns the public key to check a token signed with alg by key kid.
type keySource interface {
	key(ctx context.Context, kid, alg string) (crypto.PublicKey, error)
}

type verifier struct {
	keys   keySource
	parser *jwt.Parser
}

func (v *verifier) Verify(ctx context.Context, rawToken string) (Principal, error) {
	if rawToken == "" {
		return Principal{}, fmt.Errorf("%w: empty token", ErrUnauthenticated)
	}
	var c claims
	_, err := v.parser.ParseWithClaims(rawToken, &c, func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		kid, _ := t.Header["kid"].(string)
		key, err := v.keys.key(ctx, kid, alg)
		if err != nil {
			return nil, err
		}
		// The parser also checks the key's Go type per method; checking the pairing here
		// too rejects e.g. a P-384 key presented for ES256 with a clear reason.
		keyAlg, err := algForKey(key)
		if err != nil {
			return nil, err
		}
		if keyAlg != alg {
			return nil, fmt.Errorf("token signed with %s but key %q is for %s", alg, kid, keyAlg)
		}
		return key, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return Principal{
		Subject: c.Subject,
		UserID:  c.UserID,
		UnitID:  c.UnitID,
		Name:    c.Name,
		Roles:   []string(c.Roles),
	}, nil
}

// algForKey returns the one algorithm a key may be used with.
func algForKey(key crypto.PublicKey) (string, error) {
	switch k := key.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", errors.New("malformed Ed25519 key")
		}
		return AlgEdDSA, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return "", fmt.Errorf("RSA key of %d bits is shorter than %d", k.N.BitLen(), minRSABits)
		}
		return AlgRS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("EC key on %s, only P-256 is accepted", k.Curve.Params().Name)
		}
		return AlgES256, nil
	default:
		return "", fmt.Errorf("unsupported key type %T", key)
	}
}

// staticKey is a single configured key, used for every kid.
type staticKey struct{ pub crypto.PublicKey }

func (s staticKey) key(context.Context, string, string) (crypto.PublicKey, error) {
	return s.pub, nil
}

func readPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- key file path given by the operator (AUTH_PUBLIC_KEY_FILE, devstack), not by a request
	if err != nil {
		return nil, fmt.Errorf("auth: read public key: %w", err)
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("auth: public key %s: %w", path, err)
	}
	return pub, nil
}

// ParsePublicKeyPEM parses the first PEM block of data: a PKIX "PUBLIC KEY" or a
// "CERTIFICATE" whose key is taken. The key must be Ed25519, RSA (≥ 2048 bits) or P-256.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKIX public key: %w", err)
		}
		pub = k
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		pub = cert.PublicKey
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if _, err := algForKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}
