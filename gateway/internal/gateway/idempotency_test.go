package gateway

import (
	"io"
	"net/http"
	"testing"

	"github.com/parindex/platform/services/kit/natsx/natstest"
)

func TestIdempotentPOSTReplaysTheFirstResult(t *testing.T) {
	hs, fake, tok := startGatewayWith(t, func(c *Config) { c.NatsURL = natstest.Start(t) })
	post := func(key, name string) (int, string, http.Header) {
		t.Helper()
		req := newReq(t, http.MethodPost, hs.URL+"/v1/units", tok, `{"code":"STP","name":"`+name+`","kind":"department","level":"province"}`)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	calls := func() int { return len(fake.seen) }

	st1, body1, h1 := post("k-1", "Sở Tư pháp")
	if st1 != http.StatusOK || h1.Get("Idempotency-Replayed") != "" {
		t.Fatalf("first POST: HTTP %d %s", st1, body1)
	}
	st2, body2, h2 := post("k-1", "Sở Tư pháp")
	if st2 != st1 || body2 != body1 || h2.Get("Idempotency-Replayed") != "true" {
		t.Errorf("retry: HTTP %d %s (replayed %q), want the first answer %d %s", st2, body2, h2.Get("Idempotency-Replayed"), st1, body1)
	}
	if n := calls(); n != 1 {
		t.Errorf("service called %d times for one key, want 1", n)
	}
	// The same key for another request is refused, and changes nothing.
	if st, body, _ := post("k-1", "Sở Xây dựng"); st != http.StatusUnprocessableEntity {
		t.Errorf("reused key: HTTP %d %s, want 422", st, body)
	}
	// Another key, or none, is a new request.
	post("k-2", "Sở Tư pháp")
	post("", "Sở Tư pháp")
	post("", "Sở Tư pháp")
	if n := calls(); n != 4 {
		t.Errorf("service called %d times, want 4", n)
	}
}
