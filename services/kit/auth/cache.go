package auth

// A caching verifier remembers verified bearer tokens, so that a caller sending the same
// token call after call pays for one signature check, not one per call.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTokenCacheTTL is the longest a verified token is remembered. It bounds how long a token
// keeps working after its signing key is withdrawn from the JWKS; the token's own expiry
// always ends it earlier when it comes first.
const DefaultTokenCacheTTL = time.Minute

// maxCachedTokens bounds the memory held; when full, expired entries go, then all.
const maxCachedTokens = 50_000

// Verifier is an Verifier that remembers the principal of each token its next
// verifier accepted, by the token's SHA-256, until the token expires or ttl passes,
// whichever comes first. Refusals are not remembered: a token refused is checked again.
type CachingVerifier struct {
	next Verifier
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	p     Principal
	until time.Time
}

var _ Verifier = (*CachingVerifier)(nil)

// NewCachingVerifier returns a CachingVerifier in front of next, remembering tokens for at most ttl by the clock
// now (nil: the system clock). A ttl of 0 or less remembers nothing.
func NewCachingVerifier(next Verifier, ttl time.Duration, now func() time.Time) *CachingVerifier {
	if now == nil {
		now = time.Now
	}
	return &CachingVerifier{next: next, ttl: ttl, now: now, entries: map[[sha256.Size]byte]cachedToken{}}
}

// Verify returns the principal of rawToken: the remembered one while the token is fresh,
// otherwise next's answer.
func (v *CachingVerifier) Verify(ctx context.Context, rawToken string) (Principal, error) {
	if v.ttl <= 0 {
		return v.next.Verify(ctx, rawToken)
	}
	key := sha256.Sum256([]byte(rawToken))
	now := v.now()
	v.mu.Lock()
	e, ok := v.entries[key]
	v.mu.Unlock()
	if ok && now.Before(e.until) {
		return clonePrincipal(e.p), nil
	}
	p, err := v.next.Verify(ctx, rawToken)
	if err != nil {
		return p, err
	}
	exp, ok := tokenExpiry(rawToken)
	if !ok {
		return p, nil // verified, but with no readable expiry: never remembered
	}
	until := now.Add(v.ttl)
	if exp.Before(until) {
		until = exp
	}
	if !now.Before(until) {
		return p, nil
	}
	v.mu.Lock()
	if len(v.entries) >= maxCachedTokens {
		for k, old := range v.entries {
			if !now.Before(old.until) {
				delete(v.entries, k)
			}
		}
		if len(v.entries) >= maxCachedTokens {
			clear(v.entries)
		}
	}
	v.entries[key] = cachedToken{p: clonePrincipal(p), until: until}
	v.mu.Unlock()
	return p, nil
}

// tokenExpiry reads the "exp" claim of a token next has just verified (so its payload is
// authentic).
func tokenExpiry(rawToken string) (time.Time, bool) {
	parts := strings.Split(rawToken, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Exp == nil {
		return time.Time{}, false
	}
	secs, err := c.Exp.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, int64(secs*float64(time.Second))), true
}

// clonePrincipal copies p so that a caller changing its roles cannot change the entry.
func clonePrincipal(p Principal) Principal {
	p.Roles = slices.Clone(p.Roles)
	return p
}
