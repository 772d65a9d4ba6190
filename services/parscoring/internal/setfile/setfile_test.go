package setfile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/methodologies"
)

// richSet has every kind of node: three levels, a bonus, a penalty, a survey item, an
// incomplete node without a maximum, and Vietnamese text with commas, quotes and newlines.
func richSet(t *testing.T) methodology.CriteriaSet {
	t.Helper()
	p := methodology.MustParsePoints
	set, err := methodology.NewCriteriaSet(methodology.CriteriaSet{
		Year: 2025, SubjectKind: "district", Name: "Chỉ số CCHC cấp huyện năm 2025", Decision: "15/QĐ-UBND", MaxPoints: p("20"),
		Note: "Ban hành kèm theo \"Quyết định 15\", áp dụng cho 7 huyện, thành phố",
		Nodes: []methodology.Node{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành", MaxPoints: p("8.5")},
			{Code: "1.1", ParentCode: "1", Name: "Kế hoạch CCHC năm", MaxPoints: p("3.25"), Guidance: "Ban hành trước 31/12:\n3,25 điểm; chậm: 0", RequiredEvidence: "Quyết định ban hành kế hoạch"},
			{Code: "1.2", ParentCode: "1", Name: "Mức độ hài lòng", MaxPoints: p("5.25"), PointSource: methodology.SourceSurvey},
			{Code: "1.3", ParentCode: "1", Name: "Sáng kiến mới được công nhận", MaxPoints: p("0.5"), Bonus: true},
			{Code: "1.4", ParentCode: "1", Name: "Chậm báo cáo định kỳ", MaxPoints: p("-1")},
			{Code: "2", Name: "Hiện đại hóa hành chính", MaxPoints: p("11.50"), MaxNotSum: true, Position: 2},
			{Code: "2.1", ParentCode: "2", Name: "Dịch vụ công trực tuyến toàn trình", MaxPoints: p("11.50"), PointSource: methodology.SourceImported},
			{Code: "2.2", ParentCode: "2", Name: "Chỉ tiêu chưa công bố", Incomplete: true, Note: "Chờ hướng dẫn của Sở Nội vụ"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRoundTrip(t *testing.T) {
	want := richSet(t)
	codecs := []struct {
		name   string
		encode func(methodology.CriteriaSet) ([]byte, error)
		decode func([]byte) (methodology.CriteriaSet, []Problem)
	}{
		{"YAML", EncodeYAML, DecodeYAML},
		{"CSV", EncodeCSV, DecodeCSV},
		{"XLSX", EncodeXLSX, DecodeXLSX},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.encode(want)
			if err != nil {
				t.Fatal(err)
			}
			got, problems := c.decode(b)
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShippedMethodologies(t *testing.T) {
	files := methodologies.All()
	if len(files) != 2 {
		t.Fatalf("files = %d", len(files))
	}
	sums := map[string]methodology.Points{}
	for _, f := range files {
		set, problems := DecodeYAML(f.Content)
		if len(problems) > 0 {
			t.Fatalf("%s: %v", f.Name, problems)
		}
		if !set.Incomplete() || len(set.Nodes) != 8 {
			t.Errorf("%s: incomplete=%v nodes=%d", f.Name, set.Incomplete(), len(set.Nodes))
		}
		var sum methodology.Points
		for _, n := range set.Nodes {
			sum += n.MaxPoints
		}
		sums[set.Decision] = sum
	}
	// QĐ 2948: the eight field maxima add up to 100; QĐ 876: the four known ones to 55.
	if sums["2948/QĐ-BNV"] != methodology.MustParsePoints("100") || sums["876/QĐ-BNV"] != methodology.MustParsePoints("55") {
		t.Errorf("sums = %v", sums)
	}
}

// TestTableProblems: every problem of a typed table is reported, located by row and column.
func TestTableProblems(t *testing.T) {
	csv := strings.Join([]string{
		"#Năm,2025",
		"#Loại đơn vị,department",
		"#Tên bộ tiêu chí,Chỉ số CCHC các sở",
		"#Điểm tối đa,10",
		"Mã,Mã mục cha,Tên,Điểm tối đa,Nguồn điểm,Điểm khuyến khích",
		"1,,Công tác chỉ đạo,10,thẩm định,",
		"1.1,1,Kế hoạch,4.125,,",      // row 7: three decimals
		"1.2,1,Báo cáo,5,khảo sát,",   // row 8: unknown source
		"1.3,9,Tuyên truyền,1,,có lẽ", // row 9: unknown parent, bad flag
		"1.2,1,Trùng mã,1,điều tra,",  // row 10: duplicate code
	}, "\n")
	_, problems := DecodeCSV([]byte(csv))
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%s@%d", p.Column, p.Row))
	}
	// The bad maximum of 1.1 is reported once, not again as "sum of children" noise on
	// the same cell; field 1's sum is wrong because of it and is reported on row 6.
	want := []string{"Điểm tối đa@7", "Nguồn điểm@8", "Điểm khuyến khích@9", "Mã@10", "Mã mục cha@9", "Điểm tối đa@6"}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n got %v\nwant %v", got, want)
	}
}
