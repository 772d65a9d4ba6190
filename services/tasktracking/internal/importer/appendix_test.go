package importer_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/tasktracking/internal/importer"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// fixture is seed 001's appendix (Plan 56/KH-UBND, Tuyên Quang), every group I–VI, cell
// text verbatim with white space collapsed; see testdata/README.md.
const fixture = "testdata/kh56_appendix.csv"

func readFixture(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rows, err := importer.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// timing writes a reading compactly for table comparisons.
func timing(t tracking.Timing) string {
	switch t.Kind {
	case tracking.TimingDate:
		return "date " + t.Date.ISO()
	case tracking.TimingQuarter:
		return fmt.Sprintf("quarter %d/%d", t.Quarter, t.Year)
	case tracking.TimingYear:
		if t.EndYear != 0 {
			return fmt.Sprintf("year %d-%d", t.Year, t.EndYear)
		}
		return fmt.Sprintf("year %d", t.Year)
	}
	return string(t.Kind)
}

func TestParseAppendixImportsSeed001(t *testing.T) {
	rows := readFixture(t)
	res, err := importer.ParseAppendix(rows, demoMatcher(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("row %d, %s: %s (%q)", p.Row, p.Column, p.Message, p.Text)
	}

	// Every row is accounted for, once, in order.
	if len(res.Rows) != len(rows) {
		t.Fatalf("%d rows accounted for, want %d", len(res.Rows), len(rows))
	}
	kinds := map[importer.RowKind]int{}
	for i, r := range res.Rows {
		if r.Number != i+1 {
			t.Errorf("Rows[%d].Number = %d, want %d", i, r.Number, i+1)
		}
		kinds[r.Kind]++
	}
	wantKinds := map[importer.RowKind]int{
		importer.RowPreamble: 2, importer.RowHeader: 1, importer.RowGroup: 6,
		importer.RowTask: 35, importer.RowBlank: 1,
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("row kinds (-want +got):\n%s", diff)
	}
	if res.HeaderRow != 3 {
		t.Errorf("HeaderRow = %d, want 3", res.HeaderRow)
	}

	// Groups and their PAR fields.
	var groups []string
	for _, g := range res.Groups {
		groups = append(groups, g.Numeral+" "+string(g.Group))
	}
	wantGroups := []string{
		"I direction", "II institutions", "III procedures", "IV organisation",
		"V public_finance", "VI digital_government",
	}
	if diff := cmp.Diff(wantGroups, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	// 35 tasks: I:10 II:3 III:6 IV:8 V:2 VI:6.
	perGroup := map[tracking.TaskGroup]int{}
	for _, task := range res.Tasks {
		perGroup[task.Group]++
	}
	wantPerGroup := map[tracking.TaskGroup]int{
		tracking.GroupDirection: 10, tracking.GroupInstitutions: 3, tracking.GroupProcedures: 6,
		tracking.GroupOrganisation: 8, tracking.GroupPublicFinance: 2, tracking.GroupDigitalGovernment: 6,
	}
	if diff := cmp.Diff(wantPerGroup, perGroup); diff != "" {
		t.Errorf("tasks per group (-want +got):\n%s", diff)
	}

	// Codes (with the seed's "1 1", "2 2" and "11" read as 1, 2, 1) and every start and
	// deadline reading.
	const (
		y2020 = "year 2020"
		cont  = "continuous"
		yrly  = "yearly"
		cond  = "conditional"
	)
	want := []string{
		"I.1 " + y2020 + " | " + y2020, "I.2 " + y2020 + " | " + y2020, "I.3 " + yrly + " | " + yrly,
		"I.4 " + y2020 + " | " + y2020, "I.5 year 2021 | year 2021", "I.6 " + cont + " | " + cont,
		"I.7 " + yrly + " | " + yrly, "I.8 " + yrly + " | " + yrly, "I.9 " + yrly + " | " + yrly,
		"I.10 " + yrly + " | " + yrly,
		"II.1 " + cont + " | " + cond, "II.2 " + cont + " | " + cont, "II.3 " + cont + " | " + cont,
		"III.1 " + cont + " | " + cont, "III.2 " + cont + " | " + cont, "III.3 " + y2020 + " | year 2025",
		"III.4 " + y2020 + " | year 2025", "III.5 " + yrly + " | " + yrly, "III.6 " + cont + " | " + cont,
		"IV.1 " + cond + " | " + cond, "IV.2 " + yrly + " | " + yrly, "IV.3 " + yrly + " | " + yrly,
		"IV.4 " + cont + " | " + cont, "IV.5 " + yrly + " | " + yrly, "IV.6 " + yrly + " | " + yrly,
		"IV.7 " + yrly + " | " + yrly, "IV.8 " + yrly + " | " + yrly,
		"V.1 " + cont + " | " + cont, "V.2 " + cont + " | " + cont,
		"VI.1 " + y2020 + " | year 2021-2025", "VI.2 " + y2020 + " | year 2021-2025",
		"VI.3 " + y2020 + " | year 2021-2025", "VI.4 " + y2020 + " | year 2021-2025",
		"VI.5 " + y2020 + " | " + y2020, "VI.6 " + yrly + " | " + yrly,
	}
	var got []string
	for _, task := range res.Tasks {
		got = append(got, task.Code+" "+timing(task.Start)+" | "+timing(task.Deadline))
		if task.Content == "" {
			t.Errorf("%s has no content", task.Code)
		}
		if len(task.Lead) == 0 {
			t.Errorf("%s has no lead", task.Code)
		}
		if task.Deadline.Text == "" {
			t.Errorf("%s deadline has no verbatim text", task.Code)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes and timings (-want +got):\n%s", diff)
	}

	// The verbatim text of conditional deadlines is kept.
	byCode := map[string]importer.Task{}
	for _, task := range res.Tasks {
		byCode[task.Code] = task
	}
	if got := byCode["IV.1"].Deadline.Text; got != "Theo hướng dẫn của Bộ Nội vụ và Kế hoạch của UBND tỉnh" {
		t.Errorf("IV.1 deadline text = %q", got)
	}

	// Units of a sample of rows, each name read as a unit or a collective.
	units := []struct {
		code              string
		lead, cooperating []string
	}{
		{"I.1", []string{"TQ-SNV"}, []string{"TQ-STP", "TQ-STC", "TQ-SKHCN", "TQ-STTTT", "TQ-VPUBND", "*related(các cơ quan liên quan)"}},
		{"I.5", []string{"*districts(Ủy ban nhân dân cấp huyện)"}, []string{"TQ-SNV", "*related(Các cơ quan liên quan)", "*communes(UBND cấp xã)"}},
		{"I.6", []string{"TQ-STTTT", "TQ-DPTTH", "TQ-BAOTQ", "*departments(Các sở, ban, ngành)", "*districts(UBND cấp huyện)", "*communes(UBND cấp xã)"}, []string{"*related(Các cơ quan liên quan)"}},
		{"I.7", []string{"TQ-DKTCCHC"}, []string{"TQ-SNV", "*departments(Các sở, ban, ngành)", "*districts(UBND cấp huyện)", "*related(Các cơ quan liên quan)"}},
		{"I.10", []string{"TQ-UBMTTQ"}, []string{"TQ-SNV", "*related(Các cơ quan liên quan)"}},
		{"II.1", []string{"TQ-STP", "*district_offices(Phòng Tư pháp)", "*officials(Công chức Tư pháp-Hộ tịch)"}, []string{"*designated(Cơ quan được giao nhiệm vụ chủ trì soạn thảo văn bản QPPL)"}},
		{"II.3", []string{"TQ-STP", "*related(các cơ quan, đơn vị liên quan)"}, []string{"TQ-VPHDND", "TQ-VPUBND", "*districts(HĐND, UBND cấp huyện)", "*communes(HĐND, UBND cấp xã)"}},
		{"III.6", []string{"*departments(Sở, ban, ngành)", "*districts(UBND cấp huyện)", "*communes(UBND cấp xã)"}, []string{"TQ-STTTT", "TQ-VPUBND", "TQ-BUUDIEN", "*related(Các cơ quan liên quan)"}},
		{"IV.4", []string{"*departments(Các sở, ban, ngành)", "*all_levels(UBND các cấp)", "*related(các cơ quan liên quan)"}, []string{"TQ-SNV", "*related(các cơ quan liên quan)"}},
		{"V.2", []string{"*departments(Các sở, ban, ngành)", "*districts(UBND cấp huyện)", "*public_service_units(Các đơn vị sự nghiệp công lập)"}, []string{"TQ-STC", "TQ-SNV"}},
		{"VI.6", []string{"TQ-TINHDOAN", "*departments(Các Sở, ban, ngành)", "*districts(UBND cấp huyện)", "*communes(UBND cấp xã)"}, []string{"TQ-VPUBND", "TQ-STTTT", "TQ-SNV"}},
	}
	for _, u := range units {
		task := byCode[u.code]
		if diff := cmp.Diff(u.lead, summary(task.Lead)); diff != "" {
			t.Errorf("%s lead (-want +got):\n%s", u.code, diff)
		}
		if diff := cmp.Diff(u.cooperating, summary(task.Cooperating)); diff != "" {
			t.Errorf("%s cooperating (-want +got):\n%s", u.code, diff)
		}
	}

	// IV.6 names Sở Nội vụ as lead and cooperating; the ids keep it as lead only.
	lead, coop := byCode["IV.6"].UnitIDs()
	if diff := cmp.Diff([]string{"TQ-SNV"}, lead); diff != "" {
		t.Errorf("IV.6 lead ids (-want +got):\n%s", diff)
	}
	if len(coop) != 0 {
		t.Errorf("IV.6 cooperating ids = %v, want none", coop)
	}
}

func TestParseAppendixReportsEveryProblemOfABrokenCopy(t *testing.T) {
	rows := readFixture(t)
	m := demoMatcher(t)
	clean, err := importer.ParseAppendix(rows, m)
	if err != nil {
		t.Fatal(err)
	}
	// Row 13 is I.9 and row 22 is III.3; columns 2 and 5 are the lead and the deadline.
	for n, code := range map[int]string{13: "I.9", 22: "III.3"} {
		if got := clean.Rows[n-1].Code; got != code {
			t.Fatalf("row %d is %q, want %q; the fixture changed", n, got, code)
		}
	}
	broken := make([][]string, len(rows))
	for i, r := range rows {
		broken[i] = slices.Clone(r)
	}
	broken[12][2] = "Sở Du lịch"
	broken[21][5] = "31/02/2020"

	res, err := importer.ParseAppendix(broken, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []importer.Problem{
		{Row: 13, Column: "Cơ quan chủ trì", Text: "Sở Du lịch"},
		{Row: 22, Column: "Thời gian hoàn thành", Text: "31/02/2020"},
	}
	if diff := cmp.Diff(want, res.Problems, cmpopts.IgnoreFields(importer.Problem{}, "Message", "Suggestions")); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	for _, p := range res.Problems {
		if !strings.Contains(p.Message, p.Text) || len(p.Suggestions) > 3 {
			t.Errorf("problem %+v: message should quote the value, at most 3 suggestions", p)
		}
	}
	// The broken rows are still accounted for as tasks, so a dry run shows them.
	if len(res.Tasks) != 35 {
		t.Errorf("%d tasks, want 35", len(res.Tasks))
	}
}

func TestReadXLSXReadsTheSameAppendix(t *testing.T) {
	rows := readFixture(t)
	f := excelize.NewFile()
	t.Cleanup(func() { f.Close() })
	sheet := f.GetSheetName(0)
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}

	got, err := importer.ReadXLSX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// A sheet drops trailing empty cells; the cells that are there must be the same.
	trim := func(rs [][]string) [][]string {
		out := make([][]string, len(rs))
		for i, r := range rs {
			for len(r) > 0 && r[len(r)-1] == "" {
				r = r[:len(r)-1]
			}
			out[i] = r
		}
		return out
	}
	if diff := cmp.Diff(trim(rows), trim(got), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("XLSX rows differ from CSV rows (-csv +xlsx):\n%s", diff)
	}

	m := demoMatcher(t)
	fromCSV, err := importer.ParseAppendix(rows, m)
	if err != nil {
		t.Fatal(err)
	}
	fromXLSX, err := importer.ParseAppendix(got, m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromCSV, fromXLSX, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("XLSX import differs from CSV import (-csv +xlsx):\n%s", diff)
	}
}

func TestReadXLSXRejectsOtherBytes(t *testing.T) {
	_, err := importer.ReadXLSX(strings.NewReader("TT,Nội dung\n"))
	if !errors.Is(err, importer.ErrUnreadableTable) {
		t.Errorf("err = %v, want ErrUnreadableTable", err)
	}
}

func TestReadCSVKeepsRowNumbers(t *testing.T) {
	// A byte-order mark, a blank line and a cell spanning two lines.
	in := "\uFEFFa,b\n\n\"x\ny\",z\n\nlast\n"
	got, err := importer.ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b"}, nil, {"x\ny", "z"}, nil, {"last"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseAppendixHeaderVariantsAndRowProblems(t *testing.T) {
	// Columns in another order, an extra column, a product column, folded headers, and
	// rows with each kind of problem.
	in := strings.Join([]string{
		`KẾ HOẠCH THỬ`,
		`Ghi chú,STT,THỜI HẠN HOÀN THÀNH,cơ quan chủ trì,Nội dung nhiệm vụ,Cơ quan phối hợp,Sản phẩm`,
		`,I,"NHÓM NHIỆM VỤ CẢI CÁCH THỦ TỤC HÀNH CHÍNH",,,,`,
		`x,1,Quý IV/2018,Sở TT&TT,Rà soát TTHC,VP UBND tỉnh,Báo cáo Chủ tịch UBND tỉnh`,
		`,1,trước ngày 30/11/2018,Sở Nội vụ,Trùng số,,`,
		``,
		`,3,Hằng năm,,Thiếu chủ trì,,`,
		`,4,,Sở Nội vụ,Thiếu thời hạn,,`,
		`,a,2020,Sở Nội vụ,Số sai,,`,
		`,,2020,Sở Nội vụ,Không số,,`,
		`,II,NHÓM KHÁC,,,,`,
		`,1,Quý V/2020,Sở Nộ vụ,Nội dung,,`,
	}, "\n")
	rows, err := importer.ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.ParseAppendix(rows, demoMatcher(t))
	if err != nil {
		t.Fatal(err)
	}

	var kinds []string
	for _, r := range res.Rows {
		kinds = append(kinds, fmt.Sprintf("%d %s %s", r.Number, r.Kind, r.Code))
	}
	wantKinds := []string{
		"1 preamble ", "2 header ", "3 group I", "4 task I.1", "5 task I.1", "6 blank ",
		"7 task I.3", "8 task I.4", "9 rejected ", "10 rejected ", "11 group II", "12 task II.1",
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	first := res.Tasks[0]
	wantFirst := importer.Task{
		Row: 4, Code: "I.1", Group: tracking.GroupProcedures, Content: "Rà soát TTHC",
		Lead:            []importer.Match{{Text: "Sở TT&TT", UnitID: "TQ-STTTT", UnitName: "Sở Thông tin và Truyền thông"}},
		Cooperating:     []importer.Match{{Text: "VP UBND tỉnh", UnitID: "TQ-VPUBND", UnitName: "Văn phòng Ủy ban nhân dân tỉnh"}},
		Deadline:        tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018, Text: "Quý IV/2018"},
		ExpectedProduct: "Báo cáo Chủ tịch UBND tỉnh",
		LeadText:        "Sở TT&TT",
		CooperatingText: "VP UBND tỉnh",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("first task (-want +got):\n%s", diff)
	}

	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, fmt.Sprintf("%d %s %q", p.Row, p.Column, p.Text))
	}
	wantProblems := []string{
		`5 STT "1"`, // duplicate code I.1
		`7 cơ quan chủ trì ""`,
		`8 THỜI HẠN HOÀN THÀNH ""`,
		`9 STT "a"`,
		`10 STT ""`,
		`11 Nội dung nhiệm vụ "NHÓM KHÁC"`,
		`12 cơ quan chủ trì "Sở Nộ vụ"`,
		`12 THỜI HẠN HOÀN THÀNH "Quý V/2020"`,
	}
	if diff := cmp.Diff(wantProblems, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range res.Problems {
		if p.Message == "" {
			t.Errorf("problem without a message: %+v", p)
		}
	}
	if s := res.Problems[6].Suggestions; len(s) == 0 || s[0].UnitID != "TQ-SNV" {
		t.Errorf("“Sở Nộ vụ” should suggest Sở Nội vụ first, got %+v", s)
	}
}

func TestParseAppendixWithoutHeader(t *testing.T) {
	rows := [][]string{{"TT", "Nội dung"}, {"1", "Việc"}}
	if _, err := importer.ParseAppendix(rows, demoMatcher(t)); !errors.Is(err, importer.ErrNoHeader) {
		t.Errorf("err = %v, want ErrNoHeader", err)
	}
}

func TestParseAppendixSingleTimeColumnIsTheDeadline(t *testing.T) {
	rows := [][]string{
		{"TT", "Nội dung", "Cơ quan chủ trì", "Thời gian thực hiện"},
		{"1", "Việc", "Sở Nội vụ", "Quý I/2021"},
	}
	res, err := importer.ParseAppendix(rows, demoMatcher(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 1 || timing(res.Tasks[0].Deadline) != "quarter 1/2021" || !res.Tasks[0].Start.IsZero() {
		t.Errorf("tasks = %+v, want one with deadline Quý I/2021 and no start", res.Tasks)
	}
}
