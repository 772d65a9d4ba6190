package report

import (
	"strings"
	"testing"

	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/tabular"
)

// TestSectionsByGround: the Art. 20.2 report keeps the requests on the provincial index
// (Art. 14.1 through the matrix), on the units' own indexes (Art. 15.7) and those opened
// by hand (Art. 12.2, 14.2) apart, with their counts on the overview, in the workbook too.
func TestSectionsByGround(t *testing.T) {
	r := Report{ProvinceUnitID: "p", Year: 2024, Explanations: []explanation.Explanation{
		{Kind: explanation.KindScoreFell, ProvinceUnitID: "p", IndexUnitID: "p", IndexKind: "province", NodeCode: "8", Title: "Tác động"},
		{Kind: explanation.KindScoreFell, ProvinceUnitID: "p", IndexUnitID: "d", IndexKind: "department", NodeCode: "3", Title: "TTHC của Sở"},
		{Kind: explanation.KindScoreFell, ProvinceUnitID: "p", IndexUnitID: "h", IndexKind: "district", NodeCode: "2", Title: "Thể chế của huyện"},
		{Kind: explanation.KindManual, ProvinceUnitID: "p", LegalBasis: explanation.BasisCommittee, Title: "UBND tỉnh yêu cầu"},
		{Kind: explanation.KindManual, ProvinceUnitID: "p", LegalBasis: explanation.BasisConduct, Title: "Trách nhiệm cán bộ"},
	}}
	rows := map[string]int{}
	var overview [][]string
	for _, s := range r.Sheets() {
		rows[s.Name] = len(s.Records) - 1
		if s.Name == "Tổng quan" {
			overview = s.Records
		}
	}
	for name, want := range map[string]int{"Giải trình - Chỉ số tỉnh": 1, "Giải trình - Chỉ số đơn vị": 2, "Giải trình theo yêu cầu": 2} {
		if rows[name] != want {
			t.Errorf("sheet %q has %d rows, want %d (sheets %v)", name, rows[name], want, rows)
		}
	}
	counts := map[string]string{}
	for _, row := range overview {
		counts[row[0]] = row[1]
	}
	for label, want := range map[string]string{"Điều 15 khoản 7": "2", "Điều 14 khoản 1": "1", "Điều 12 khoản 2": "2"} {
		found := false
		for k, v := range counts {
			if strings.Contains(k, label) {
				found = true
				if v != want {
					t.Errorf("overview %q = %s, want %s", k, v, want)
				}
			}
		}
		if !found {
			t.Errorf("overview has no count naming %s: %v", label, counts)
		}
	}
	b, err := r.XLSX()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tabular.ReadXLSX(b); err != nil {
		t.Errorf("the workbook does not read back: %v", err)
	}
}
