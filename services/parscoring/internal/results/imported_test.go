package results

import (
	"cmp"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// importSet is a provincial set with the QĐ 876 maxima DOMAIN.md knows (fields 3, 4, 5, 8)
// and one criterion, enough to read the shapes below.
func importSet() methodology.CriteriaSet {
	p := methodology.MustParsePoints
	return methodology.CriteriaSet{ID: "set", Year: 2024, SubjectKind: "province", MaxPoints: p("100"), Nodes: []methodology.Node{
		{Code: "3", MaxPoints: p("13")}, {Code: "3.1", ParentCode: "3", MaxPoints: p("2")},
		{Code: "4", MaxPoints: p("10.5")}, {Code: "5", MaxPoints: p("15")}, {Code: "8", MaxPoints: p("16.5")},
	}}
}

// table splits lines on "|" (cells keep their spaces, as a spreadsheet stores them).
func table(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		if l != "" {
			out[i] = strings.Split(l, "|")
		}
	}
	return out
}

// Sơn La's 2024 field scores (DOMAIN.md "Reference facts": procedures 12.75/13, rank 32;
// organisation 10.18/10.5, rank 1; civil service 14.23/15, rank 2; impact 13.14/16.5, rank
// 4) laid out the ways published tables write them. Every shape reads to the same figures.
func TestBuildImportedReadsPublishedShapes(t *testing.T) {
	in := ImportInput{Year: 2024, Set: importSet(), UnitID: "u-sl", SubjectCode: "Sơn La"}
	tests := []struct {
		name           string
		rows, subjects int // 0: 5 rows of Sơn La, one subject
		table          [][]string
	}{
		{"English headers, dots", 0, 0, table(
			"subject_code|node_code|score|rank|rank_of",
			"Sơn La||88.00|10|63",
			"Sơn La|3|12.75|32|",
			"Sơn La|4|10.18|1|",
			"Sơn La|5|14.23|2|",
			"Sơn La|8|13.14|4|",
		)},
		{"title rows, two-row header, column numbers, comma decimals, labels, averages", 0, 0, table(
			"\ufeffCHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2024||||",
			"(Kèm theo Quyết định số …/QĐ-BNV)||||",
			"",
			"STT|Tỉnh, thành phố|Lĩnh vực/tiêu chí|Kết quả||",
			"||| Điểm đạt\u00a0được |Xếp hạng",
			"(1)|(2)|(3)|(4)|(5)",
			"1|Sơn La|Tổng điểm|88,00|10/63",
			"2|Sơn La|Lĩnh vực 3: Cải cách thủ tục hành chính|12,75|32",
			"3|Sơn La|LV 4|10,18 |01",
			"4|SƠN LA|V|14,23|thứ 2",
			"5|Sơn La|Lĩnh vực VIII|13,14|4",
			"|Trung bình cả nước||84,79|",
			"Ghi chú: điểm làm tròn hai chữ số thập phân||||",
		)},
		{"wide: a column per field, points and rank under each", 2, 2, table(
			"STT|Tỉnh, thành phố|Lĩnh vực 3||Lĩnh vực IV||LV5||Lĩnh vực VIII||Tổng điểm|Xếp hạng",
			"||Điểm|Xếp hạng|Điểm|Xếp hạng|Điểm|Xếp hạng|Điểm|Xếp hạng||",
			"1|Sơn La|12,75|32|10,18|1|14,23|2|13,14|4|88,00|10/63",
			"2|Lạng Sơn|12,00|40|9,00|20|13,00|30|12,00|50|81,45|54/63",
			"|Trung bình cả nước|||||||||84,79|",
		)},
		{"wide, XLSX merged headers repeated over both columns", 2, 2, table(
			"Tỉnh, thành phố|Lĩnh vực 3|Lĩnh vực 3|Lĩnh vực 4|Lĩnh vực 4|Lĩnh vực 5|Lĩnh vực 5|Lĩnh vực 8|Lĩnh vực 8|Chỉ số CCHC (%)|Xếp hạng",
			"Tỉnh, thành phố|Điểm|Xếp hạng|Điểm|Xếp hạng|Điểm|Xếp hạng|Điểm|Xếp hạng|Chỉ số CCHC (%)|Xếp hạng",
			"Sơn La|12.75|32|10.18|1|14.23|2|13.14|4|88.00|10/63",
			"Lạng Sơn|12.00|40|9.00|20|13.00|30|12.00|50|81.45|54/63",
		)},
		{"name only, index column, percent sign, XLSX doubles", 0, 0, table(
			"Tên đơn vị|Mã tiêu chí|Điểm|Chỉ số (%)|Thứ hạng|Trên tổng số|Điểm tối đa",
			"Sơn La||88%|88,00 %|10|63|100",
			"Sơn La|3|12.75|98.08|32||13",
			"Sơn La|4|10.18|96.95|1||10.50",
			"Sơn La|5|14.230000000000000426|94.87|2||15",
			"Sơn La|8.|13.140000000000001|79.64|4||16,5",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, rows, problems := BuildImported(in, tt.table)
			if len(problems) > 0 {
				t.Fatalf("problems: %+v", problems)
			}
			if want := cmp.Or(tt.rows, 5); rows != want {
				t.Errorf("rows = %d, want %d", rows, want)
			}
			sub := snap.Subjects[0]
			got := []string{Format(sub.Total), Format(sub.Scores[0]), Format(sub.Scores[2]), Format(sub.Scores[3]), Format(sub.Scores[4])}
			if diff := gocmp.Diff([]string{"88.00", "12.75", "10.18", "14.23", "13.14"}, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
			if sub.Rank != 10 || sub.RankOf != 63 || sub.Ranks[0] != 32 || sub.Ranks[2] != 1 || sub.Ranks[3] != 2 || sub.Ranks[4] != 4 || sub.UnitID != "u-sl" {
				t.Errorf("ranks %d/%d %v, unit %q", sub.Rank, sub.RankOf, sub.Ranks, sub.UnitID)
			}
			if want := cmp.Or(tt.subjects, 1); len(snap.Subjects) != want {
				t.Errorf("subjects = %d, want %d (the national average and notes are not subjects)", len(snap.Subjects), want)
			}
		})
	}
}

// A shape with two meanings, or a figure that is not what the set says, is refused with the
// row as a spreadsheet numbers it and the column as the file names it.
func TestBuildImportedRefusesAmbiguousCells(t *testing.T) {
	in := ImportInput{Year: 2024, Set: importSet(), UnitID: "u-sl", SubjectCode: "SL"}
	tab := table(
		"Mã đơn vị|Mã mục|Điểm|Xếp hạng|Chỉ số (%)|Điểm tối đa",
		"SL||88.005|10|",
		"SL|3|12,750||",
		"SL|4|1.234,5||",
		"",
		"SL|5|94%||",
		"SL|8|13.14||70.00",
		"SL|3.1|1.5|||2.50",
		"SL|9.9|1|||",
		"SL|1.1.a|1|||",
		"SL|tổng|88|x|",
	)
	_, rows, problems := BuildImported(in, tab)
	want := []Problem{
		{2, "Điểm", "điểm phải là số có tối đa hai chữ số thập phân, ví dụ 14.50"},
		{3, "Điểm", `số "12,750" có ba chữ số sau dấu phẩy: không rõ là phần thập phân hay dấu phân cách hàng nghìn`},
		{4, "Điểm", `số "1.234,5" có cả dấu phẩy và dấu chấm: không rõ đâu là dấu thập phân`},
		{6, "Điểm", `ô điểm ghi phần trăm "94%" nhưng điểm tối đa của mục là 15.00: cần ghi số điểm`},
		{7, "Chỉ số (%)", "chỉ số 70.00% không khớp với điểm 13.14 trên tối đa 16.50 (79.64%)"},
		{8, "Điểm tối đa", "điểm tối đa 2.50 khác với bộ tiêu chí đã chọn (2.00): tệp có thể theo phương pháp của năm khác"},
		{9, "Mã mục", `bộ tiêu chí không có mục "9.9"`},
		{10, "Mã mục", `bộ tiêu chí không có mục "1.1.a"`},
		{11, "Mã mục", "trùng với dòng 2 (cùng đơn vị và mục)"},
	}
	if diff := gocmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if rows != 9 {
		t.Errorf("rows = %d, want 9 (the blank line is not a row)", rows)
	}
}

// Results of a year before the methodology's were scored by another one (the set of QĐ 876
// applies from 2022): every problem is still listed.
func TestBuildImportedRefusesAnEarlierYear(t *testing.T) {
	set := importSet()
	set.Decision = "876/QĐ-BNV"
	_, _, problems := BuildImported(ImportInput{Year: 2021, Set: set, SubjectCode: "SL"}, table("subject_code|node_code|score", "SL||87.61", "SL|3|13.01"))
	want := []Problem{
		{0, "", "bộ tiêu chí “876/QĐ-BNV” áp dụng từ năm 2024, không dùng cho kết quả năm 2021: chọn bộ tiêu chí của năm 2021 hoặc trước đó"},
		{3, "score", "điểm 13.01 nằm ngoài khoảng 0 đến 13.00"},
	}
	if diff := gocmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParseFigure(t *testing.T) {
	tests := []struct {
		in, want string
		percent  bool
	}{
		{"85.32", "85.32", false},
		{"85,32", "85.32", false},
		{" 85,3 ", "85.30", false},
		{"85\u00a0,\u202f32", "85.32", false},
		{"85,32%", "85.32", true},
		{"88.56 %", "88.56", true},
		{"\u22120,5", "-0.50", false},
		{"85.319999999999993", "85.32", false},
		{"7", "7.00", false},
	}
	for _, tt := range tests {
		f, err := parseFigure(tt.in)
		if err != nil || f.value.String() != tt.want || f.percent != tt.percent {
			t.Errorf("parseFigure(%q) = %s %v, %v; want %s %v", tt.in, f.value, f.percent, err, tt.want, tt.percent)
		}
	}
	for _, bad := range []string{"", "85,325", "8,5,3", "1.234,56", "85.325", "85.3250000000001", "tám", "85.32.1"} {
		if f, err := parseFigure(bad); err == nil {
			t.Errorf("parseFigure(%q) = %s, want an error", bad, f.value)
		}
	}
}

func TestReadNodeCode(t *testing.T) {
	set := importSet()
	has := func(c string) bool {
		for _, n := range set.Nodes {
			if n.Code == c {
				return true
			}
		}
		return false
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"3", "3", true}, {"3.1", "3.1", true}, {"3.1.", "3.1", true}, {"3. 1", "3.1", true},
		{"Lĩnh vực 3", "3", true}, {"LĨNH VỰC III", "3", true}, {"III", "3", true}, {"III.1", "3.1", true},
		{"Tiêu chí 3.1", "3.1", true}, {"TC3.1", "3.1", true}, {"3 - Cải cách TTHC", "3", true},
		{"", "", true}, {"Tổng điểm", "", true}, {"Tổng cộng", "", true},
		{"IIII", "", false}, {"3.1.a", "", false}, {"a", "", false}, {"9", "9", false},
	}
	for _, tt := range tests {
		code, _, ok := readNodeCode(tt.in, has)
		if ok != tt.ok || (ok && code != tt.want) {
			t.Errorf("readNodeCode(%q) = %q %v, want %q %v", tt.in, code, ok, tt.want, tt.ok)
		}
	}
}

// In a wide table a problem names the node's header over the sub-column.
func TestBuildImportedNamesWideColumns(t *testing.T) {
	in := ImportInput{Year: 2024, Set: importSet(), UnitID: "u-sl", SubjectCode: "Sơn La"}
	_, _, problems := BuildImported(in, table(
		"Tỉnh, thành phố|LV5||Tổng điểm|Xếp hạng",
		"|Điểm|Xếp hạng||",
		"Sơn La|14,235|hai|88,00|10/63",
	))
	want := []Problem{
		{3, "LV5 Điểm", `số "14,235" có ba chữ số sau dấu phẩy: không rõ là phần thập phân hay dấu phân cách hàng nghìn`},
		{3, "LV5 Xếp hạng", "xếp hạng phải là số nguyên dương, ví dụ 4 hoặc 4/63"},
	}
	if diff := gocmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
