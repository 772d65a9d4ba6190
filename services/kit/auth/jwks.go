package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

const (
	// jwksMinRefetch bounds how often a token with an unknown kid can make us fetch the
	// key set again: rotation is picked up within seconds, but a flood of forged kids
	// cannot turn into a flood of requests to the identity provider.
	jwksMinRefetch = 30 * time.Second
	// jwksMaxAge is how long a fetched key set is trusted before it is fetched again on
	// the next lookup, so keys withdrawn by the provider stop being accepted.
	jwksMaxAge = time.Hour
	// jwksFetchTimeout bounds one fetch.
	jwksFetchTimeout = 10 * time.Second
	// jwksMaxBytes bounds the size of a key set response.
	jwksMaxBytes = 1 << 20
)

// jwk is one JSON Web Key as published in a key set (RFC 7517/7518/8037).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// publicJWK is a parsed signing key.
type publicJWK struct {
	key crypto.PublicKey
	alg string // the algorithm the set pins the key to, or ""
}

// jwksSource serves keys from a remote JWKS, cached by kid.
type jwksSource struct {
	url    string
	client *http.Client
	now    func() time.Time

	// fetchMu serialises fetches so that concurrent misses cause one request.
	fetchMu sync.Mutex

	mu        sync.RWMutex
	keys      map[string]publicJWK
	fetched   time.Time // last successful fetch
	attempted time.Time // last fetch attempt, successful or not
}

func newJWKSSource(url string, client *http.Client) *jwksSource {
	return &jwksSource{url: url, client: client, now: time.Now}
}

func (s *jwksSource) lookup(kid string) (publicJWK, bool, time.Time, time.Time) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if kid == "" && len(s.keys) == 1 {
		// A token without kid is unambiguous only against a single-key set.
		for _, k := range s.keys {
			return k, true, s.fetched, s.attempted
		}
	}
	k, ok := s.keys[kid]
	return k, ok, s.fetched, s.attempted
}

func (s *jwksSource) key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	k, err := s.find(ctx, kid)
	if err != nil {
		return nil, err
	}
	if k.alg != "" && k.alg != alg {
		return nil, fmt.Errorf("key %q is published for %s, token uses %s", kid, k.alg, alg)
	}
	return k.key, nil
}

func (s *jwksSource) find(ctx context.Context, kid string) (publicJWK, error) {
	k, ok, fetched, _ := s.lookup(kid)
	if ok && s.now().Sub(fetched) < jwksMaxAge {
		return k, nil
	}

	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	// Another caller may have fetched while we waited.
	k, ok, fetched, attempted := s.lookup(kid)
	if ok && s.now().Sub(fetched) < jwksMaxAge {
		return k, nil
	}
	if !attempted.IsZero() && s.now().Sub(attempted) < jwksMinRefetch {
		if ok {
			return k, nil // stale but the best we have
		}
		return publicJWK{}, fmt.Errorf("unknown key id %q", kid)
	}

	keys, err := s.fetch(ctx)
	s.mu.Lock()
	s.attempted = s.now()
	if err == nil {
		s.keys, s.fetched = keys, s.attempted
	}
	s.mu.Unlock()
	if err != nil {
		if ok {
			// The provider is unreachable; keep accepting the keys we already trust
			// rather than lock every user out.
			return k, nil
		}
		return publicJWK{}, err
	}

	k, ok, _, _ = s.lookup(kid)
	if !ok {
		return publicJWK{}, fmt.Errorf("unknown key id %q", kid)
	}
	return k, nil
}

func (s *jwksSource) fetch(ctx context.Context) (map[string]publicJWK, error) {
	// The fetch serves every waiting request, not just this one: detach it from this
	// caller's cancellation (keeping its values, e.g. the trace) and bound it on its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil) // #nosec G704 -- the JWKS URL comes from the operator (AUTH_JWKS_URL), never from a request
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req) // #nosec G704 -- the JWKS URL comes from the operator (AUTH_JWKS_URL), never from a request
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: %s answered %s", s.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read jwks: %w", err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("jwks larger than %d bytes", jwksMaxBytes)
	}
	return parseJWKS(body)
}

// parseJWKS parses a key set, keeping the signing keys of supported types. Keys of other
// types or uses are skipped (a set may also publish encryption keys); a malformed key of a
// supported type fails the whole set, since it signals a broken provider.
func parseJWKS(data []byte) (map[string]publicJWK, error) {
	var set jwkSet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	keys := make(map[string]publicJWK, len(set.Keys))
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, err := k.publicKey()
		if errors.Is(err, errUnsupportedKey) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse jwks key %q: %w", k.Kid, err)
		}
		keys[k.Kid] = publicJWK{key: pub, alg: k.Alg}
	}
	return keys, nil
}

var errUnsupportedKey = errors.New("unsupported key type")

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch {
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		x, err := b64(k.X, "x")
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 x is %d bytes, want %d", len(x), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(x), nil
	case k.Kty == "EC" && k.Crv == "P-256":
		x, err := b64(k.X, "x")
		if err != nil {
			return nil, err
		}
		y, err := b64(k.Y, "y")
		if err != nil {
			return nil, err
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, errors.New("P-256 coordinates must be 32 bytes each")
		}
		// ParseUncompressedPublicKey also rejects points off the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("P-256 point: %w", err)
		}
		return pub, nil
	case k.Kty == "RSA":
		n, err := b64(k.N, "n")
		if err != nil {
			return nil, err
		}
		e, err := b64(k.E, "e")
		if err != nil {
			return nil, err
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, errors.New("RSA exponent out of range")
		}
		exp := new(big.Int).SetBytes(e).Int64()
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits is shorter than %d", pub.N.BitLen(), minRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return nil, errors.New("RSA exponent invalid")
		}
		return pub, nil
	default:
		return nil, errUnsupportedKey
	}
}

func b64(s, name string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("missing %q", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not base64url: %w", name, err)
	}
	return b, nil
}
