package e2e

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
	"github.com/parindex/platform/services/kit/vntime"

	"github.com/parindex/platform/deploy/devstack/demo"
)

// TestScoringMethodologiesAndPublicFeedback loads the demo's scoring data as `make run`
// does (twice: the second load creates nothing), reads the shipped methodologies through
// REST, and sends a citizen's QR-code answer through the gateway without a token.
func TestScoringMethodologiesAndPublicFeedback(t *testing.T) {
	p := startPlatform(t)

	creds := auth.PerRPCCredentials{ServiceToken: p.token}
	scoringConn, err := grpcclient.Dial(p.st.GRPCAddr("parscoring"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer scoringConn.Close()
	dirConn, err := grpcclient.Dial(p.st.GRPCAddr("directory"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer dirConn.Close()
	log := slog.New(slog.DiscardHandler)
	for i := range 2 {
		if _, err := demo.LoadResults(t.Context(), log, dirConn, scoringConn); err != nil {
			t.Fatalf("demo load %d: %v", i+1, err)
		}
	}
	var sets struct {
		CriteriaSets []struct {
			Decision  string `json:"decision"`
			MaxPoints string `json:"max_points"`
		} `json:"criteria_sets"`
	}
	for year, decision := range map[string]string{"2017": "2948/QĐ-BNV", "2022": "876/QĐ-BNV"} {
		if st := p.do(t, http.MethodGet, "/v1/criteria-sets?year="+year, p.token, nil, nil, &sets); st != http.StatusOK ||
			len(sets.CriteriaSets) != 1 || sets.CriteriaSets[0].Decision != decision {
			t.Fatalf("GET /v1/criteria-sets?year=%s: HTTP %d %+v", year, st, sets)
		}
	}

	prov := p.createUnit(t, "E2E", "Ủy ban nhân dân tỉnh Thử Nghiệm", "province", "province", "")
	stp := p.createUnit(t, "E2E-STP", "Sở Tư pháp", "department", "province", prov)
	var code struct {
		FeedbackCode struct {
			Code         string `json:"code"`
			FeedbackPath string `json:"feedback_path"`
		} `json:"feedback_code"`
	}
	if st := p.do(t, http.MethodPost, "/v1/feedback-codes", p.token, map[string]any{"unit_id": stp, "desk": "Quầy số 1"}, nil, &code); st != http.StatusOK {
		t.Fatalf("create feedback code: HTTP %d", st)
	}

	// No token: the citizen's answer goes through.
	var thanks struct {
		Message string `json:"message"`
	}
	answer := map[string]any{"overall": 4, "waiting_minutes": 12, "comment": "Thủ tục nhanh gọn"}
	if st := p.do(t, http.MethodPost, code.FeedbackCode.FeedbackPath, "", answer, nil, &thanks); st != http.StatusOK || thanks.Message == "" {
		t.Fatalf("POST %s without token: HTTP %d %+v", code.FeedbackCode.FeedbackPath, st, thanks)
	}
	// Other scoring routes still need one.
	if st := p.do(t, http.MethodGet, "/v1/feedback-codes", "", nil, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("GET /v1/feedback-codes without token: HTTP %d, want 401", st)
	}
	today := vntime.Today(time.Now()).ISO()
	var sat struct {
		Responses        int    `json:"responses"`
		SatisfiedPercent string `json:"satisfied_percent"`
	}
	if st := p.do(t, http.MethodGet, "/v1/units/"+stp+"/satisfaction?from_date="+today+"&to_date="+today, p.token, nil, nil, &sat); st != http.StatusOK ||
		sat.Responses != 1 || sat.SatisfiedPercent != "100.00" {
		t.Errorf("satisfaction: HTTP %d %+v", st, sat)
	}
}
