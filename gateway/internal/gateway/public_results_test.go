package gateway

import (
	"net/http"
	"testing"
)

// Published PAR results are public reads; the other results routes need a token.
func TestPublishedResultsArePublicOtherResultsAreNot(t *testing.T) {
	hs, _, _ := startGateway(t)
	// Without a token a published read reaches the (here absent) service instead of being
	// refused; a private read is refused with 401.
	if status, body := get(t, hs.URL+"/v1/published/rankings/2024/department", ""); status == http.StatusUnauthorized {
		t.Errorf("published ranking without token: HTTP %d %v", status, body)
	}
	if status, _ := get(t, hs.URL+"/v1/rankings/2024/department", ""); status != http.StatusUnauthorized {
		t.Errorf("private ranking without token: HTTP %d, want 401", status)
	}
	if status, _ := get(t, hs.URL+"/v1/units/0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11/scorecards/2024", ""); status != http.StatusUnauthorized {
		t.Errorf("private scorecard without token: HTTP %d, want 401", status)
	}
}
