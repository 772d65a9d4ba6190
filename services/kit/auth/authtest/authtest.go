// Package authtest gives tests an in-process token issuer: a Signer and the Verifier that
// trusts it, with no files or network.
package authtest

import (
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/auth"
)

// Issuer and Audience of the tokens minted by this package.
const (
	Issuer   = "par-test"
	Audience = "par-platform"
)

// TTL is the lifetime of tokens minted by Token: long enough for any test.
const TTL = time.Hour

// NewIssuer returns a Signer with a fresh key and a Verifier accepting its tokens
// (issuer Issuer, audience Audience).
func NewIssuer(t testing.TB) (*auth.Signer, auth.Verifier) {
	t.Helper()
	signer, err := auth.GenerateSigner(Issuer)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	v, err := auth.NewVerifier(auth.Config{PublicKey: signer.PublicKey(), Issuer: Issuer, Audience: Audience})
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	return signer, v
}

// Token mints a token for p (audience Audience, valid for TTL). A principal without a
// subject gets "test-" plus its user id, or "test-user".
func Token(t testing.TB, signer *auth.Signer, p auth.Principal) string {
	t.Helper()
	if p.Subject == "" {
		p.Subject = "test-user"
		if p.UserID != "" {
			p.Subject = "test-" + p.UserID
		}
	}
	tok, err := signer.Mint(p, Audience, TTL)
	if err != nil {
		t.Fatalf("authtest: mint: %v", err)
	}
	return tok
}

// RefusedTokens returns, for p, tokens every verifier of signer must refuse, by name:
// expired an hour ago, signed by another key (forged), and minted for another audience.
func RefusedTokens(t testing.TB, signer *auth.Signer, p auth.Principal) map[string]string {
	t.Helper()
	if p.Subject == "" {
		p.Subject = "test-user"
	}
	other, err := auth.GenerateSigner(signer.Issuer())
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	mint := func(s *auth.Signer, aud string) string {
		tok, err := s.Mint(p, aud, TTL)
		if err != nil {
			t.Fatalf("authtest: mint: %v", err)
		}
		return tok
	}
	return map[string]string{
		"expired":        mint(signer.At(time.Now().Add(-2*TTL)), Audience),
		"forged":         mint(other, Audience),
		"wrong audience": mint(signer, "another-platform"),
	}
}
