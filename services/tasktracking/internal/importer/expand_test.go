package importer_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parindex/platform/services/tasktracking/internal/importer"
)

// withOtherProvince adds a second province with a department, a district and a commune,
// which no collective of a Tuyên Quang document may reach.
func withOtherProvince(units []importer.Unit) []importer.Unit {
	return append(units,
		importer.Unit{ID: "HG", Name: "Ủy ban nhân dân tỉnh Hà Giang", Kind: "province", Level: "province"},
		importer.Unit{ID: "HG-SNV", Name: "Sở Nội vụ tỉnh Hà Giang", Kind: "department", Level: "province", ParentID: "HG"},
		importer.Unit{ID: "HG-HUYEN-VIXUYEN", Name: "Ủy ban nhân dân huyện Vị Xuyên", Kind: "district", Level: "district", ParentID: "HG"},
		importer.Unit{ID: "HG-HUYEN-VIXUYEN-PTP", Name: "Phòng Tư pháp huyện Vị Xuyên", Kind: "district_office", Level: "district", ParentID: "HG-HUYEN-VIXUYEN"},
		importer.Unit{ID: "HG-HUYEN-VIXUYEN-XA", Name: "Ủy ban nhân dân xã Đạo Đức", Kind: "commune", Level: "commune", ParentID: "HG-HUYEN-VIXUYEN"},
	)
}

func ids(us []importer.Unit) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

var (
	tqDepartments = []string{"TQ-SNV", "TQ-STP", "TQ-STC", "TQ-SKHCN", "TQ-STTTT", "TQ-SKHDT", "TQ-VPUBND"}
	tqDistricts   = []string{"TQ-TP-TUYENQUANG", "TQ-HUYEN-LAMBINH", "TQ-HUYEN-NAHANG", "TQ-HUYEN-CHIEMHOA", "TQ-HUYEN-HAMYEN", "TQ-HUYEN-YENSON", "TQ-HUYEN-SONDUONG"}
	tqCommunes    = []string{"TQ-TP-TUYENQUANG-PHANTHIET", "TQ-TP-TUYENQUANG-MINHXUAN", "TQ-HUYEN-SONDUONG-TANTRAO", "TQ-HUYEN-SONDUONG-MINHTHANH"}
)

func TestScopeExpandsCollectivesWithinTheIssuersProvince(t *testing.T) {
	m := importer.NewMatcher(withOtherProvince(demoUnits(t)))
	// A department issues: its province is Tuyên Quang, found by walking up.
	for _, issuer := range []string{"TQ", "TQ-SNV", "TQ-HUYEN-SONDUONG-PTP"} {
		t.Run(issuer, func(t *testing.T) {
			scope := m.ScopeOf(issuer)
			tests := []struct {
				match importer.Match
				want  []string
			}{
				{importer.Match{Text: "Các sở, ban, ngành", Collective: importer.CollectiveDepartments}, tqDepartments},
				{importer.Match{Text: "UBND cấp huyện", Collective: importer.CollectiveDistricts}, tqDistricts},
				{importer.Match{Text: "UBND cấp xã", Collective: importer.CollectiveCommunes}, tqCommunes},
				{importer.Match{Text: "UBND các cấp", Collective: importer.CollectiveAllLevels}, append(append([]string{}, tqDistricts...), tqCommunes...)},
				{importer.Match{Text: "Phòng Tư pháp", Collective: importer.CollectiveDistrictOffices}, []string{"TQ-HUYEN-SONDUONG-PTP"}},
				{importer.Match{Text: "Các phòng Nội vụ cấp huyện", Collective: importer.CollectiveDistrictOffices}, []string{"TQ-HUYEN-SONDUONG-PNV"}},
				{importer.Match{Text: "Các phòng chuyên môn cấp huyện", Collective: importer.CollectiveDistrictOffices}, []string{"TQ-HUYEN-SONDUONG-PNV", "TQ-HUYEN-SONDUONG-PTP"}},
				{importer.Match{Text: "Phòng Văn hóa", Collective: importer.CollectiveDistrictOffices}, nil},
				{importer.Match{Text: "Các cơ quan liên quan", Collective: importer.CollectiveRelated}, nil},
				{importer.Match{Text: "Cơ quan được giao chủ trì soạn thảo", Collective: importer.CollectiveDesignated}, nil},
				{importer.Match{Text: "Công chức Tư pháp-Hộ tịch", Collective: importer.CollectiveOfficials}, nil},
				{importer.Match{Text: "Sở Nội vụ", UnitID: "TQ-SNV"}, nil},
			}
			for _, tt := range tests {
				got := ids(scope.Expand(tt.match))
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
					t.Errorf("Expand(%q) (-want +got):\n%s", tt.match.Text, diff)
				}
			}
		})
	}
	if got := m.ScopeOf("nobody").Expand(importer.Match{Collective: importer.CollectiveDepartments}); len(got) != 0 {
		t.Errorf("unknown issuer expands departments to %v, want none", ids(got))
	}
	if got := ids(m.ScopeOf("HG-SNV").Expand(importer.Match{Collective: importer.CollectiveDepartments})); !cmp.Equal(got, []string{"HG-SNV"}) {
		t.Errorf("Hà Giang departments = %v", got)
	}
}

func TestScopeUnitIDsOfSeed001(t *testing.T) {
	m := importer.NewMatcher(withOtherProvince(demoUnits(t)))
	res, err := importer.ParseAppendix(readFixture(t), m)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]importer.Task{}
	for _, task := range res.Tasks {
		byCode[task.Code] = task
	}
	scope := m.ScopeOf("TQ")
	without := func(list []string, drop ...string) []string {
		var out []string
	next:
		for _, id := range list {
			for _, d := range drop {
				if id == d {
					continue next
				}
			}
			out = append(out, id)
		}
		return out
	}
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	tests := []struct {
		code              string
		lead, cooperating []string
	}{
		// Explicit units; "các cơ quan liên quan" names nobody.
		{"I.1", []string{"TQ-SNV"}, []string{"TQ-STP", "TQ-STC", "TQ-SKHCN", "TQ-STTTT", "TQ-VPUBND"}},
		// A collective lead; Sở Nội vụ cooperates, communes cooperate.
		{"I.5", tqDistricts, cat([]string{"TQ-SNV"}, tqCommunes)},
		// Sở TT&TT is named and is a department: once, where it is named.
		{"I.6", cat([]string{"TQ-STTTT", "TQ-DPTTH", "TQ-BAOTQ"}, without(tqDepartments, "TQ-STTTT"), tqDistricts, tqCommunes), nil},
		// Sở Nội vụ named in the cooperating cell stays there; the departments collective
		// adds the others.
		{"I.7", []string{"TQ-DKTCCHC"}, cat([]string{"TQ-SNV"}, without(tqDepartments, "TQ-SNV"), tqDistricts)},
		// The district offices named "Phòng Tư pháp"; officials and the designated drafter
		// are no units.
		{"II.1", []string{"TQ-STP", "TQ-HUYEN-SONDUONG-PTP"}, nil},
		// "Các sở, ban, ngành; UBND các cấp" lead, "Sở Nội vụ" cooperates: explicit naming
		// wins over the collective.
		{"IV.4", cat(without(tqDepartments, "TQ-SNV"), tqDistricts, tqCommunes), []string{"TQ-SNV"}},
		// Named in both cells: lead, and the collectives add the other departments.
		{"IV.6", cat(tqDepartments, tqDistricts), nil},
		// Departments lead; Sở Tài chính and Sở Nội vụ named as cooperating stay there.
		{"V.2", cat(without(tqDepartments, "TQ-STC", "TQ-SNV"), tqDistricts), []string{"TQ-STC", "TQ-SNV"}},
	}
	for _, tt := range tests {
		lead, coop := scope.UnitIDs(byCode[tt.code])
		if diff := cmp.Diff(tt.lead, lead, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s lead (-want +got):\n%s", tt.code, diff)
		}
		if diff := cmp.Diff(tt.cooperating, coop, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s cooperating (-want +got):\n%s", tt.code, diff)
		}
	}
	// Every task leads somewhere, and no unit is in both roles.
	for _, task := range res.Tasks {
		lead, coop := scope.UnitIDs(task)
		if len(lead) == 0 {
			t.Errorf("%s expands to no lead unit (%q)", task.Code, task.LeadText)
		}
		for _, id := range coop {
			for _, l := range lead {
				if id == l {
					t.Errorf("%s: %s both leads and cooperates", task.Code, id)
				}
			}
		}
	}
	if got := byCode["II.1"].LeadText; got != "Sở Tư pháp; Phòng Tư pháp; Công chức Tư pháp-Hộ tịch." {
		t.Errorf("II.1 LeadText = %q", got)
	}
}

// TestForIssuerMatchesNamesWithinTheIssuersProvince: "Sở Nội vụ" and "UBND tỉnh" exist in
// every province; in a document of one province they name that province's units, and the
// other province's are neither matches nor ambiguities.
func TestForIssuerMatchesNamesWithinTheIssuersProvince(t *testing.T) {
	units := append(withOtherProvince(demoUnits(t)),
		importer.Unit{ID: "HG-SNV2", Name: "Sở Nội vụ", Kind: "department", Level: "province", ParentID: "HG"})
	for _, tc := range []struct{ issuer, text, want string }{
		{"TQ-SNV", "Sở Nội vụ", "TQ-SNV"},
		{"TQ", "UBND tỉnh", "TQ"},
		{"HG", "UBND tỉnh", "HG"},
		{"HG", "Phòng Tư pháp huyện Vị Xuyên", "HG-HUYEN-VIXUYEN-PTP"},
	} {
		m, _ := importer.ForIssuer(units, tc.issuer)
		got, problems := m.Match(tc.text)
		if len(problems) > 0 || len(got) != 1 || got[0].UnitID != tc.want {
			t.Errorf("issuer %s: Match(%q) = %+v, problems %+v; want %s", tc.issuer, tc.text, got, problems, tc.want)
		}
	}
	// A Tuyên Quang plan does not find Hà Giang's district.
	m, _ := importer.ForIssuer(units, "TQ")
	if got, problems := m.Match("Ủy ban nhân dân huyện Vị Xuyên"); len(problems) == 0 {
		t.Errorf("a Tuyên Quang import matched Hà Giang's district: %+v", got)
	}
	// An unknown issuer still matches among every unit (the import reports the issuer).
	m, scope := importer.ForIssuer(units, "nobody")
	if got, _ := m.Match("Phòng Tư pháp huyện Vị Xuyên"); len(got) != 1 || got[0].UnitID != "HG-HUYEN-VIXUYEN-PTP" {
		t.Errorf("unknown issuer: match = %+v", got)
	}
	if len(scope.Expand(importer.Match{Collective: importer.CollectiveDepartments})) != 0 {
		t.Error("unknown issuer: the scope reaches units")
	}
}
