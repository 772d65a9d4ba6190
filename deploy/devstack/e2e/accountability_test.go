package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
)

// TestFallenNodeIsExplained follows one fall across four services: the secretariat imports
// the Ministry's results for two years (parscoring), a field owned by the Department of Home
// Affairs fell, so accountability opens exactly one explanation request to that department's
// head (Art. 14.1 of 002, owner from the default matrix of Art. 15), and notification puts the
// request in the department's inbox in Vietnamese.
func TestFallenNodeIsExplained(t *testing.T) {
	p := startPlatform(t)
	dirConn, taskConn, scoringConn := p.loaderConn(t, "directory"), p.loaderConn(t, "tasktracking"), p.loaderConn(t, "parscoring")
	log := discard
	sum, err := demo.Load(t.Context(), log, dirConn, taskConn)
	if err != nil {
		t.Fatalf("demo directory: %v", err)
	}
	province, snv := sum.UnitIDs["TQ"], sum.UnitIDs["TQ-SNV"]
	// The shipped methodologies (and the demo's Đồng Nai results of 2022–2023, which hold
	// those years' provincial snapshots: this test imports 2024 and 2025).
	if _, err := demo.LoadResults(t.Context(), log, dirConn, scoringConn); err != nil {
		t.Fatalf("demo results: %v", err)
	}
	sets, err := parscoringv1.NewParScoringServiceClient(scoringConn).ListCriteriaSets(t.Context(),
		&parscoringv1.ListCriteriaSetsRequest{Year: 2022, SubjectKind: "province", PageSize: 50})
	if err != nil || len(sets.GetCriteriaSets()) == 0 {
		t.Fatalf("criteria sets: %v %v", sets, err)
	}
	setID := sets.GetCriteriaSets()[0].GetId()

	if st := p.do(t, http.MethodPost, "/v1/provinces/"+province+"/responsibility-matrices/2025:import", p.token,
		map[string]any{"use_default": true}, nil, nil); st != http.StatusOK {
		t.Fatalf("import the default matrix: HTTP %d", st)
	}
	// Field 5 (owned by the Department of Home Affairs in the default matrix) fell from 13.20
	// to 12.10; field 4 rose, which asks nobody.
	files := map[int]string{
		2024: "subject_code,subject_name,node_code,score,rank,rank_of\nTQ,Tuyên Quang,,80.10,40,63\nTQ,Tuyên Quang,4,8.00,,\nTQ,Tuyên Quang,5,13.20,,\n",
		2025: "subject_code,subject_name,node_code,score,rank,rank_of\nTQ,Tuyên Quang,,81.00,38,63\nTQ,Tuyên Quang,4,9.50,,\nTQ,Tuyên Quang,5,12.10,,\n",
	}
	for _, year := range []int{2024, 2025} {
		var out struct {
			Problems []map[string]any `json:"problems"`
		}
		st := p.do(t, http.MethodPost, "/v1/result-snapshots:import", p.token, map[string]any{
			"year": year, "criteria_set_id": setID, "unit_id": province, "subject_code": "TQ",
			"decision": "Công bố PAR INDEX", "format": "FILE_FORMAT_CSV", "content": []byte(files[year]),
		}, nil, &out)
		if st != http.StatusOK || len(out.Problems) > 0 {
			t.Fatalf("import %d: HTTP %d, problems %v", year, st, out.Problems)
		}
	}

	type explanation struct {
		ID            string `json:"id"`
		NodeCode      string `json:"node_code"`
		UnitID        string `json:"unit_id"`
		HeadName      string `json:"head_name"`
		Score         string `json:"score"`
		PreviousScore string `json:"previous_score"`
		LegalBasis    string `json:"legal_basis"`
	}
	var got []explanation
	q := url.Values{"province_unit_id": {province}, "year": {"2025"}}
	waitFor(t, time.Minute, "an explanation request for the fallen field", func() (bool, string) {
		var out struct {
			Explanations []explanation `json:"explanations"`
		}
		if st := p.do(t, http.MethodGet, "/v1/explanations?"+q.Encode(), p.token, nil, nil, &out); st != http.StatusOK {
			return false, "HTTP " + http.StatusText(st)
		}
		got = out.Explanations
		return len(got) > 0, "none yet"
	})
	if len(got) != 1 {
		t.Fatalf("explanations = %+v, want exactly one (field 5)", got)
	}
	if x := got[0]; x.NodeCode != "5" || x.UnitID != snv || x.Score != "12.10" || x.PreviousScore != "13.20" || x.HeadName == "" || x.LegalBasis == "" {
		t.Errorf("explanation = %+v", x)
	}

	staff, err := p.st.Signer().Mint(auth.Principal{Subject: "e2e.snv", UnitID: snv, Roles: []string{auth.RoleUnitStaff}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the request in the department's inbox", func() (bool, string) {
		for _, it := range p.inbox(t, snv, staff).Items {
			if it.EventType == "accountability.v1.explanation.requested" {
				if !strings.Contains(it.Title, "giải trình") || !strings.Contains(it.Link, got[0].ID) {
					t.Errorf("inbox item = %+v", it)
				}
				return true, ""
			}
		}
		return false, "not delivered yet"
	})
}
