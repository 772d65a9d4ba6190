package importer_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/tasktracking/internal/importer"
)

// summary writes matches compactly: a unit as its id, a collective as "*kind(text)".
func summary(ms []importer.Match) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if m.IsCollective() {
			out = append(out, "*"+string(m.Collective)+"("+m.Text+")")
		} else {
			out = append(out, m.UnitID)
		}
	}
	return out
}

func TestMatchNamesUnitsAndCollectives(t *testing.T) {
	m := demoMatcher(t)
	tests := []struct {
		cell string
		want []string
	}{
		{"Sở Nội vụ", []string{"TQ-SNV"}},
		{"SỞ NỘI VỤ", []string{"TQ-SNV"}},
		{"so noi vu", []string{"TQ-SNV"}},
		// A line break inside a name (a wrapped cell) is joined back when that names a unit.
		{"Sở  Nội\nvụ", []string{"TQ-SNV"}},
		{"Sở Thông tin và truyền thông", []string{"TQ-STTTT"}},
		{"Sở TT&TT", []string{"TQ-STTTT"}},
		{"Sở TT & TT", []string{"TQ-STTTT"}},
		{"Sở KH&ĐT", []string{"TQ-SKHDT"}},
		{"Sở KH&CN", []string{"TQ-SKHCN"}},
		{"Sở TT&TT,Sở KH&ĐT", []string{"TQ-STTTT", "TQ-SKHDT"}},
		{"VP UBND tỉnh", []string{"TQ-VPUBND"}},
		{"Văn phòng UBND tỉnh", []string{"TQ-VPUBND"}},
		{"Văn phòng Ủy ban nhân dân tỉnh", []string{"TQ-VPUBND"}},
		{"UBND tỉnh", []string{"TQ"}},
		{"Ủy ban nhân dân tỉnh", []string{"TQ"}},
		{"Uỷ ban nhân dân tỉnh Tuyên Quang", []string{"TQ"}},
		{"Văn phòng HĐND tỉnh", []string{"TQ-VPHDND"}},
		{"Đài phát thanh và Truyền hình tỉnh", []string{"TQ-DPTTH"}},
		{"Đài PT-TH tỉnh", []string{"TQ-DPTTH"}},
		{"Đoàn TNCS Hồ Chí Minh tỉnh", []string{"TQ-TINHDOAN"}},
		{"Đoàn kiểm tra CCHC của tỉnh", []string{"TQ-DKTCCHC"}},
		{"TQ-SNV", []string{"TQ-SNV"}},
		{"Phòng Tư pháp huyện Sơn Dương", []string{"TQ-HUYEN-SONDUONG-PTP"}},
		// Lists.
		{"Sở Tư pháp, Sở Tài chính, Sở Khoa học và Công nghệ, Sở Thông tin và Truyền thông, Văn phòng UBND tỉnh; các cơ quan liên quan.",
			[]string{"TQ-STP", "TQ-STC", "TQ-SKHCN", "TQ-STTTT", "TQ-VPUBND", "*related(các cơ quan liên quan)"}},
		{"- Sở Tài chính;\n- Sở Nội vụ.", []string{"TQ-STC", "TQ-SNV"}},
		{"- Sở Tài chính; - Sở Nội vụ.", []string{"TQ-STC", "TQ-SNV"}},
		{"Sở Nội vụ\nSở Tư pháp", []string{"TQ-SNV", "TQ-STP"}},
		{"Sở Thông tin và Truyền thông; Đài phát thanh và Truyền hình tỉnh; Báo Tuyên Quang. Các sở, ban, ngành; UBND cấp huyện, cấp xã.",
			[]string{"TQ-STTTT", "TQ-DPTTH", "TQ-BAOTQ", "*departments(Các sở, ban, ngành)", "*districts(UBND cấp huyện)", "*communes(UBND cấp xã)"}},
		// Collectives, which are not errors.
		{"Các sở, ban, ngành; UBND cấp huyện; UBND cấp xã.",
			[]string{"*departments(Các sở, ban, ngành)", "*districts(UBND cấp huyện)", "*communes(UBND cấp xã)"}},
		{"Các Sở, ban, ngành; HĐND, UBND cấp huyện, cấp xã.",
			[]string{"*departments(Các Sở, ban, ngành)", "*districts(HĐND, UBND cấp huyện)", "*communes(HĐND, UBND cấp xã)"}},
		{"Ủy ban nhân dân cấp huyện", []string{"*districts(Ủy ban nhân dân cấp huyện)"}},
		{"UBND huyện, thành phố", []string{"*districts(UBND huyện, thành phố)"}},
		{"UBND các cấp", []string{"*all_levels(UBND các cấp)"}},
		{"Các cơ quan liên quan", []string{"*related(Các cơ quan liên quan)"}},
		{"các cơ quan, đơn vị có liên quan", []string{"*related(các cơ quan, đơn vị có liên quan)"}},
		{"Các đơn vị sự nghiệp công lập.", []string{"*public_service_units(Các đơn vị sự nghiệp công lập)"}},
		{"Sở Tư pháp; Phòng Tư pháp; Công chức Tư pháp-Hộ tịch.",
			[]string{"TQ-STP", "*district_offices(Phòng Tư pháp)", "*officials(Công chức Tư pháp-Hộ tịch)"}},
		{"Cơ quan được giao nhiệm vụ chủ trì soạn thảo văn bản QPPL",
			[]string{"*designated(Cơ quan được giao nhiệm vụ chủ trì soạn thảo văn bản QPPL)"}},
		{"", []string{}},
		{" ; , ", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.cell, func(t *testing.T) {
			got, problems := m.Match(tt.cell)
			if len(problems) > 0 {
				t.Fatalf("Match(%q) problems: %+v", tt.cell, problems)
			}
			if diff := cmp.Diff(tt.want, summary(got)); diff != "" {
				t.Errorf("Match(%q) (-want +got):\n%s", tt.cell, diff)
			}
		})
	}
}

func TestMatchKeepsWrittenTextAndDirectoryName(t *testing.T) {
	got, problems := demoMatcher(t).Match("VP UBND tỉnh;\nUBND cấp huyện, cấp xã; Sở Thông tin\nvà Truyền thông")
	if len(problems) > 0 {
		t.Fatalf("problems: %+v", problems)
	}
	want := []importer.Match{
		{Text: "VP UBND tỉnh", UnitID: "TQ-VPUBND", UnitName: "Văn phòng Ủy ban nhân dân tỉnh"},
		{Text: "UBND cấp huyện", Collective: importer.CollectiveDistricts},
		{Text: "UBND cấp xã", Collective: importer.CollectiveCommunes},
		{Text: "Sở Thông tin và Truyền thông", UnitID: "TQ-STTTT", UnitName: "Sở Thông tin và Truyền thông"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMatchReportsUnknownNamesWithSuggestions(t *testing.T) {
	m := demoMatcher(t)
	got, problems := m.Match("Sở Nội vụ; Sở Tư phap và Hộ tịch; Sở Du lịch")
	if diff := cmp.Diff([]string{"TQ-SNV"}, summary(got)); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if len(problems) != 2 {
		t.Fatalf("got %d problems, want 2: %+v", len(problems), problems)
	}
	for i, text := range []string{"Sở Tư phap và Hộ tịch", "Sở Du lịch"} {
		p := problems[i]
		if p.Text != text || !strings.Contains(p.Message, text) {
			t.Errorf("problem %d = %+v, want one about %q", i, p, text)
		}
		if len(p.Suggestions) > 3 {
			t.Errorf("problem %d has %d suggestions, want at most 3", i, len(p.Suggestions))
		}
		for j := 1; j < len(p.Suggestions); j++ {
			if p.Suggestions[j].Score > p.Suggestions[j-1].Score {
				t.Errorf("problem %d suggestions not ranked: %+v", i, p.Suggestions)
			}
		}
	}
	if len(problems[0].Suggestions) == 0 || problems[0].Suggestions[0].UnitID != "TQ-STP" {
		t.Errorf("a misspelt Sở Tư pháp should suggest it first; got %+v", problems[0].Suggestions)
	}
}

func TestMatchReportsAmbiguousNames(t *testing.T) {
	m := importer.NewMatcher([]importer.Unit{
		{ID: "a", Name: "Phòng Nội vụ huyện Sơn Dương", ShortName: "PNV"},
		{ID: "b", Name: "Phòng Nội vụ huyện Yên Sơn", ShortName: "PNV"},
	})
	got, problems := m.Match("PNV")
	if len(got) != 0 || len(problems) != 1 {
		t.Fatalf("Match = %+v, %+v; want one problem", got, problems)
	}
	var ids []string
	for _, s := range problems[0].Suggestions {
		ids = append(ids, s.UnitID)
	}
	if diff := cmp.Diff([]string{"a", "b"}, ids); diff != "" {
		t.Errorf("suggestions (-want +got):\n%s", diff)
	}
}
