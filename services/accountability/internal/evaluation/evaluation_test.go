package evaluation

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func policy(t *testing.T) Policy {
	t.Helper()
	p, err := ParsePolicy(DefaultPolicyJSON())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// item builds an owned item's history, newest first: trend and cause per year from year down.
func item(code string, year int, hist ...ItemYear) Item {
	for i := range hist {
		hist[i].Year = year - i
	}
	return Item{NodeCode: code, History: hist}
}

func TestEvaluate(t *testing.T) {
	p := policy(t)
	fellSubj := ItemYear{Trend: TrendFell, Cause: "subjective"}
	tests := []struct {
		name      string
		in        Input
		tier      string
		rule      string
		proposals []string
	}{
		{"no items, index 85", Input{Year: 2024, Index: 85, HasIndex: true}, TierGood, "art17.1.b", nil},
		{"excellent: at max", Input{Year: 2024, Index: 92, HasIndex: true, Items: []Item{item("3", 2024, ItemYear{Trend: TrendHeld, AtMax: true})}},
			TierExcellent, "art17.1.a", []string{KindCommendation}},
		{"excellent: rose two years", Input{Year: 2024, Index: 92, HasIndex: true, Items: []Item{item("3", 2024, ItemYear{Trend: TrendRose}, ItemYear{Trend: TrendRose})}},
			TierExcellent, "art17.1.a", []string{KindCommendation}},
		{"index 95, item only held: not covered, policy fallback", Input{Year: 2024, Index: 95, HasIndex: true, Items: []Item{item("3", 2024, ItemYear{Trend: TrendHeld})}},
			TierCompleted, "policy.fallback", nil},
		{"fell once, objective cause, index 85: not covered, floor", Input{Year: 2024, Index: 85, HasIndex: true, Items: []Item{item("3", 2024, ItemYear{Trend: TrendFell, Cause: "objective"})}},
			TierCompleted, "policy.fallback", nil},
		{"fell once, subjective: criticism", Input{Year: 2024, Index: 70, HasIndex: true, Items: []Item{item("3", 2024, fellSubj, ItemYear{Trend: TrendRose})}},
			TierCompleted, "policy.fallback", []string{KindWrittenCriticism}},
		{"fell two years subjective: not completed", Input{Year: 2024, Index: 88, HasIndex: true, Items: []Item{item("3", 2024, fellSubj, fellSubj)}},
			TierNotCompleted, "art17.1.d", []string{KindWrittenCriticism, KindWrittenNotice}},
		{"fell three years subjective: report to the Party committee", Input{Year: 2024, Index: 88, HasIndex: true, Items: []Item{item("3", 2024, fellSubj, fellSubj, fellSubj)}},
			TierNotCompleted, "art17.1.d", []string{KindWrittenCriticism, KindWrittenNotice, KindReportToParty}},
		{"bonus item excepted from 17.1.d", Input{Year: 2024, Index: 75, HasIndex: true, Items: []Item{{NodeCode: "1.6", Bonus: true, History: []ItemYear{{Year: 2024, Trend: TrendFell, Cause: "subjective"}, {Year: 2023, Trend: TrendFell, Cause: "subjective"}}}}},
			TierCompleted, "policy.fallback", []string{KindWrittenCriticism}},
		{"index below 60", Input{Year: 2024, Index: 59.99, HasIndex: true}, TierNotCompleted, "art17.1.d", []string{KindWrittenNotice}},
		{"commune, first year not completed", Input{Year: 2024, UnitKind: "commune", Index: 55, HasIndex: true}, TierNotCompleted, "art17.2", []string{KindCommuneCriticism}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.Evaluate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tier != tt.tier || r.Rule != tt.rule || r.LegalBasis == "" || r.Explanation == "" {
				t.Errorf("got %s by %s (%s): %s; want %s by %s", r.Tier, r.Rule, r.LegalBasis, r.Explanation, tt.tier, tt.rule)
			}
			var kinds []string
			for _, pr := range p.Propose(tt.in, r, "") {
				kinds = append(kinds, pr.Kind)
				if pr.LegalBasis == "" || len(pr.Evidence) == 0 {
					t.Errorf("proposal %s without basis or evidence", pr.Kind)
				}
			}
			if diff := cmp.Diff(tt.proposals, kinds); diff != "" {
				t.Errorf("proposals (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommuneSecondYear(t *testing.T) {
	p := policy(t)
	in := Input{Year: 2024, UnitKind: "commune", Index: 50, HasIndex: true}
	r, _ := p.Evaluate(in)
	got := p.Propose(in, r, TierNotCompleted)
	if len(got) != 1 || got[0].Kind != KindCommuneDiscipl || got[0].LegalBasis != "Điều 19 khoản 2 điểm b Quyết định 3373/QĐ-UBND" {
		t.Errorf("proposals = %+v", got)
	}
}

func TestParsePolicyRequiresFallback(t *testing.T) {
	if _, err := ParsePolicy([]byte(`{"tiers":[{"tier":"good","rule":"r","legal_basis":"b","items":"rose"}],"not_completed":{"rule":"r","legal_basis":"b"},"no_owned_items":"index_only"}`)); err == nil {
		t.Error("a policy without fallback was accepted")
	}
	if _, err := ParsePolicy([]byte(`{"unknown": 1}`)); err == nil {
		t.Error("unknown field accepted")
	}
}

// TestReportLines: a district's report (Art. 21.4) needs every evaluation published, lists
// each chairman with the proposals on them (Art. 19.2), and names the communes with an
// index but no evaluation.
func TestReportLines(t *testing.T) {
	published := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	evs := []HeadEvaluation{
		{ID: "e1", UnitID: "c1", HeadName: "Nguyễn Văn A", Result: Result{Tier: TierNotCompleted, Rule: "art17.2"}, PublishTime: published},
		{ID: "e2", UnitID: "c2", HeadName: "Lê Thị B", Result: Result{Tier: TierGood, Rule: "art17.2"}, PublishTime: published},
	}
	props := []SanctionProposal{{ID: "p1", EvaluationID: "e1", Proposal: Proposal{Kind: KindCommuneCriticism}, Status: StatusApproved}}
	lines, unevaluated, err := ReportLines([]string{"c1", "c2", "c3"}, evs, props)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || len(lines[0].Handling) != 1 || lines[0].Handling[0].Status != StatusApproved || len(lines[1].Handling) != 0 {
		t.Errorf("lines = %+v", lines)
	}
	if len(unevaluated) != 1 || unevaluated[0] != "c3" {
		t.Errorf("unevaluated = %v, want [c3]", unevaluated)
	}
	counts := DistrictReport{Lines: lines}.Counts()
	if len(counts) != 4 || counts[1] != (TierCount{TierGood, 1}) || counts[3] != (TierCount{TierNotCompleted, 1}) || counts[0].Count != 0 {
		t.Errorf("counts = %v", counts)
	}
	evs[1].PublishTime = time.Time{}
	if _, _, err := ReportLines(nil, evs, nil); !errors.Is(err, ErrReportIncomplete) {
		t.Errorf("with a draft: %v, want ErrReportIncomplete", err)
	}
	if _, _, err := ReportLines([]string{"c1"}, nil, nil); !errors.Is(err, ErrNothingToReport) {
		t.Errorf("nothing evaluated: %v, want ErrNothingToReport", err)
	}
}
