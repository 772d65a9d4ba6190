package explanation

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFalls(t *testing.T) {
	nodes := []NodeFigure{
		{Code: "1", Score: "9.50", PreviousScore: "9.75"},   // fell
		{Code: "2", Score: "9.75", PreviousScore: "9.75"},   // held
		{Code: "3", Score: "12,10", PreviousScore: "12.09"}, // rose, comma decimal
		{Code: "4", Score: "3.00", PreviousScore: ""},       // new this year
		{Code: "5", Score: "", PreviousScore: "2.00"},       // not scored
		{Code: "6", Score: "0.99", PreviousScore: "1"},      // fell by a hundredth
	}
	var got []string
	for _, f := range Falls(2024, nodes) {
		got = append(got, f.Node.Code)
	}
	if diff := cmp.Diff([]string{"1", "6"}, got); diff != "" {
		t.Errorf("falls (-want +got):\n%s", diff)
	}
	if r := Falls(2024, nodes)[0].Reason; r != "Điểm số giảm từ 9.75 xuống 9.50 so với số liệu công bố năm 2023 (Điều 14 khoản 1 Quyết định 3373/QĐ-UBND)" {
		t.Errorf("reason %q", r)
	}
}

func TestLifecycle(t *testing.T) {
	now := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	e := Explanation{Kind: KindScoreFell, NodeCode: "3", Status: StatusRequested, Parts: []Part{{UnitID: "coop"}}}
	if err := e.Submit(now); !errors.As(err, new(ValidationErrors)) {
		t.Fatalf("submit without shortcomings: %v", err)
	}
	bad := Content{Shortcomings: []Shortcoming{{Description: "x", Causes: []Cause{{Kind: "other"}}}}, Roadmap: []Action{{Content: "y"}}}
	var ve ValidationErrors
	if err := e.SaveDraft(bad, now); !errors.As(err, &ve) || len(ve) != 3 {
		t.Fatalf("bad content: %v", err)
	}
	good := Content{Shortcomings: []Shortcoming{{NodeCode: "3", Description: "x", Causes: []Cause{{Kind: CauseObjective, Description: "d"}}}}}
	if err := e.SaveDraft(good, now); err != nil {
		t.Fatal(err)
	}
	if err := e.SavePart("stranger", good, "u", now, ""); !errors.As(err, new(ValidationErrors)) {
		t.Errorf("part of a unit not invited: %v", err)
	}
	if err := e.Conclude(nil, "c", now); !errors.Is(err, ErrWrongState) {
		t.Errorf("conclude before submission: %v", err)
	}
	if err := e.Submit(now); err != nil {
		t.Fatal(err)
	}
	if err := e.SaveDraft(good, now); !errors.Is(err, ErrWrongState) {
		t.Errorf("draft while submitted: %v", err)
	}
	if err := e.Conclude([]DeterminedCause{{NodeCode: "4", Cause: CauseObjective}}, "c", now); !errors.As(err, new(ValidationErrors)) {
		t.Errorf("conclude without the node's cause: %v", err)
	}
	if err := e.Conclude([]DeterminedCause{{NodeCode: "3", Cause: CauseObjective}}, "c", now); err != nil {
		t.Fatal(err)
	}
	if e.CauseOf("3") != CauseObjective || e.CauseOf("4") != "" {
		t.Errorf("CauseOf = %q", e.CauseOf("3"))
	}
	if err := e.Publish(now); err != nil || e.PublishTime.IsZero() {
		t.Errorf("publish: %v", err)
	}
}

// TestScope: the ground of a request, for the sections of the Art. 20.2 report.
func TestScope(t *testing.T) {
	for _, c := range []struct {
		name string
		e    Explanation
		want Scope
	}{
		{"provincial index (Art. 14.1)", Explanation{Kind: KindScoreFell, ProvinceUnitID: "p", IndexUnitID: "p", IndexKind: "province"}, ScopeProvincialIndex},
		{"stored before Art. 15.7", Explanation{Kind: KindScoreFell, ProvinceUnitID: "p"}, ScopeProvincialIndex},
		{"own index (Art. 15.7)", Explanation{Kind: KindScoreFell, ProvinceUnitID: "p", IndexUnitID: "d", IndexKind: "department"}, ScopeOwnIndex},
		{"committee (Art. 12.2)", Explanation{Kind: KindManual, LegalBasis: BasisCommittee}, ScopeCommittee},
		{"conduct (Art. 14.2)", Explanation{Kind: KindManual, LegalBasis: BasisConduct}, ScopeConduct},
	} {
		if got := c.e.Scope(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
