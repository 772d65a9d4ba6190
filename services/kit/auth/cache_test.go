package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// counting counts the tokens its verifier is asked to check.
type counting struct {
	auth.Verifier
	n atomic.Int64
}

func (c *counting) Verify(ctx context.Context, raw string) (auth.Principal, error) {
	c.n.Add(1)
	return c.Verifier.Verify(ctx, raw)
}

// TestVerifierRemembersVerifiedTokens: a token verified once is not checked again until it
// expires or the cache's lifetime passes; refused tokens are checked every time; what the
// caller does with a principal does not change the remembered one.
func TestVerifierRemembersVerifiedTokens(t *testing.T) {
	signer, real := authtest.NewIssuer(t)
	next := &counting{Verifier: real}
	now := time.Now()
	v := auth.NewCachingVerifier(next, time.Minute, func() time.Time { return now })
	ctx := t.Context()
	p := auth.Principal{Subject: "u1", UnitID: "0190a1b2-0000-7000-8000-000000000001", Name: "Nguyễn Văn A", Roles: []string{auth.RoleSecretariat}}
	tok := authtest.Token(t, signer, p)

	verify := func(step, raw string, wantChecks int64) auth.Principal {
		t.Helper()
		before := next.n.Load()
		got, err := v.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if n := next.n.Load() - before; n != wantChecks {
			t.Errorf("%s: %d signature checks, want %d", step, n, wantChecks)
		}
		return got
	}
	first := verify("first", tok, 1)
	if diff := cmp.Diff(p, first); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	first.Roles[0] = auth.RoleLeadership
	if diff := cmp.Diff(p, verify("again", tok, 0)); diff != "" {
		t.Errorf("remembered principal changed (-want +got):\n%s", diff)
	}
	other := authtest.Token(t, signer, auth.Principal{Subject: "u2"})
	verify("another token", other, 1)

	for name, raw := range authtest.RefusedTokens(t, signer, p) {
		for range 2 {
			before := next.n.Load()
			if _, err := v.Verify(ctx, raw); err == nil || next.n.Load() != before+1 {
				t.Errorf("%s: %v after %d checks; want refused, checked each time", name, err, next.n.Load()-before)
			}
		}
	}

	now = now.Add(time.Minute)
	verify("lifetime over", tok, 1)
	verify("remembered anew", tok, 0)

	// A token expiring before the cache's lifetime is checked again once it expires.
	short, err := signer.Mint(auth.Principal{Subject: "u3"}, authtest.Audience, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	verify("short-lived", short, 1)
	now = now.Add(9 * time.Second)
	verify("short-lived, still valid", short, 0)
	now = now.Add(2 * time.Second)
	// (The real verifier's clock has not moved: it accepts the token again.)
	verify("short-lived, expired here", short, 1)

	off := auth.NewCachingVerifier(next, 0, nil)
	before := next.n.Load()
	for range 2 {
		if _, err := off.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if next.n.Load() != before+2 {
		t.Errorf("ttl 0: %d checks for 2 calls, want 2", next.n.Load()-before)
	}
}
