package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
)

// The demo's Ministry-published results load through the APIs, twice without change, and
// the published scorecard and ranking are readable over REST without a token.
func TestDemoResultsArePublic(t *testing.T) {
	p := startPlatform(t)
	loader, err := p.st.Signer().Mint(auth.Principal{Subject: "service:demo-loader", Roles: []string{auth.RoleSecretariat, auth.RoleService}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	creds := auth.PerRPCCredentials{ServiceToken: loader}
	dirConn, err := grpcclient.Dial(p.st.GRPCAddr("directory"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer dirConn.Close()
	scoringConn, err := grpcclient.Dial(p.st.GRPCAddr("parscoring"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer scoringConn.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sum, err := demo.LoadResults(t.Context(), log, dirConn, scoringConn)
	if err != nil || sum.Imported != 2 || sum.UnitID == "" {
		t.Fatalf("first load: %+v, %v", sum, err)
	}
	if again, err := demo.LoadResults(t.Context(), log, dirConn, scoringConn); err != nil || again.Imported != 0 || again.UnitID != sum.UnitID {
		t.Fatalf("second load: %+v, %v", again, err)
	}

	var card struct {
		Scorecard struct {
			Total         string `json:"total"`
			Rank          int    `json:"rank"`
			RankOf        int    `json:"rank_of"`
			PreviousTotal string `json:"previous_total"`
			TotalChange   string `json:"total_change"`
			RankChange    int    `json:"rank_change"`
		} `json:"scorecard"`
	}
	if st := p.do(t, http.MethodGet, "/v1/published/units/"+sum.UnitID+"/scorecards/2023", "", nil, nil, &card); st != http.StatusOK {
		t.Fatalf("public scorecard: HTTP %d", st)
	}
	// Đồng Nai: 82.92, 51st of 63 in 2022 → 87.04, 32nd in 2023 (DOMAIN.md "Reference facts").
	c := card.Scorecard
	if c.Total != "87.04" || c.Rank != 32 || c.RankOf != 63 || c.PreviousTotal != "82.92" || c.TotalChange != "4.12" || c.RankChange != 19 {
		t.Errorf("scorecard = %+v", c)
	}
	var rk struct {
		Entries []struct {
			SubjectName string `json:"subject_name"`
			Rank        int    `json:"rank"`
		} `json:"entries"`
	}
	if st := p.do(t, http.MethodGet, "/v1/published/rankings/2023/province", "", nil, nil, &rk); st != http.StatusOK || len(rk.Entries) != 7 || rk.Entries[0].SubjectName != "Quảng Ninh" {
		t.Errorf("public ranking: HTTP %d %+v", st, rk)
	}
	if st := p.do(t, http.MethodGet, "/v1/units/"+sum.UnitID+"/scorecards/2023", "", nil, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("private scorecard without token: HTTP %d, want 401", st)
	}
}
