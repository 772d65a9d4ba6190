package importer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// ErrNoHeader is returned by ParseAppendix when no row of the table names the columns it
// needs; without them no row can be read, so this is the one problem that is an error.
var ErrNoHeader = errors.New("không tìm thấy dòng tiêu đề của bảng; bảng cần các cột: TT, Nội dung thực hiện, Cơ quan chủ trì, Thời gian hoàn thành")

// Field is what a column of the appendix holds.
type Field string

// Fields of the appendix table (the columns of seed 001's appendix, plus the expected
// product some plans add).
const (
	// FieldNumber is "TT": a Roman numeral on group rows, the task's number on task rows.
	FieldNumber Field = "number"
	// FieldContent is "Nội dung thực hiện": the task, or the heading on group rows.
	FieldContent Field = "content"
	// FieldLead is "Cơ quan chủ trì".
	FieldLead Field = "lead"
	// FieldCooperating is "Cơ quan phối hợp".
	FieldCooperating Field = "cooperating"
	// FieldStart is "Thời gian thực hiện" (or "bắt đầu").
	FieldStart Field = "start"
	// FieldDeadline is "Thời gian hoàn thành" (or "Thời hạn").
	FieldDeadline Field = "deadline"
	// FieldProduct is "Sản phẩm" (dự kiến): the expected product.
	FieldProduct Field = "product"
)

// requiredFields are the columns without which a task cannot be read.
var requiredFields = []Field{FieldNumber, FieldContent, FieldLead, FieldDeadline}

// Column is a recognised column of the table.
type Column struct {
	// Field is what the column holds.
	Field Field
	// Name is the header as written (white space collapsed); problems name columns by it.
	Name string
	// Index is the 0-based position of the column in the row.
	Index int
}

// RowKind is how a row of the table was read.
type RowKind string

// Row kinds; every row of the input has exactly one.
const (
	// RowPreamble is a row above the header (the appendix title).
	RowPreamble RowKind = "preamble"
	// RowHeader is the header row, or a repetition of it (tables printed over pages).
	RowHeader RowKind = "header"
	// RowGroup is a group heading ("I | NHÓM NHIỆM VỤ VÀ GIẢI PHÁP …").
	RowGroup RowKind = "group"
	// RowTask is a task; it is in Result.Tasks even when it has problems.
	RowTask RowKind = "task"
	// RowBlank is a row with no text, skipped.
	RowBlank RowKind = "blank"
	// RowRejected is a row with text that is neither a group nor a task; a problem says why.
	RowRejected RowKind = "rejected"
)

// Row accounts for one row of the input.
type Row struct {
	// Number is the 1-based row number as in the file.
	Number int
	// Kind is how the row was read.
	Kind RowKind
	// Code is the group numeral of a group row or the task code of a task row.
	Code string
}

// Group is a group heading of the table.
type Group struct {
	// Row is the 1-based row number.
	Row int
	// Numeral is the Roman numeral as written ("IV").
	Numeral string
	// Title is the heading as written (white space collapsed).
	Title string
	// Group is the PAR field read from the heading's keywords; tracking.GroupNone (with a
	// problem) when none was found.
	Group tracking.TaskGroup
}

// Task is a task row as read. It is filled as far as its cells allow even when the row has
// problems, so a dry run can show everything at once.
type Task struct {
	// Row is the 1-based row number.
	Row int
	// Code is "<group numeral>.<number>", e.g. "III.3"; just the number before any group.
	Code string
	// Group is the PAR field of the group the task is under.
	Group tracking.TaskGroup
	// Content is the task as written (white space collapsed).
	Content string
	// Lead and Cooperating are the units (or collectives) named in those columns, in order;
	// names that matched nothing are problems, not matches.
	Lead, Cooperating []Match
	// Start is when work starts; zero when the cell is empty or unreadable.
	Start tracking.Timing
	// Deadline is when work must be complete; zero when unreadable (with a problem).
	Deadline tracking.Timing
	// ExpectedProduct is the product column, when the table has one.
	ExpectedProduct string
	// LeadText and CooperatingText are the lead and cooperating cells as written (white
	// space collapsed), so the reading of Lead and Cooperating can be checked against them.
	LeadText, CooperatingText string
}

// UnitIDs returns the directory ids of the task's lead and cooperating units, each once and
// in the table's order, leaving collectives for the caller to expand. A unit written in both
// columns (seed 001, IV.6: "Sở Nội vụ" leads and cooperates) is kept as lead only: the
// domain refuses a unit in both roles, and the lead already owns the whole task.
func (t Task) UnitIDs() (lead, cooperating []string) {
	for _, m := range t.Lead {
		if m.UnitID != "" && !slices.Contains(lead, m.UnitID) {
			lead = append(lead, m.UnitID)
		}
	}
	for _, m := range t.Cooperating {
		if m.UnitID != "" && !slices.Contains(lead, m.UnitID) && !slices.Contains(cooperating, m.UnitID) {
			cooperating = append(cooperating, m.UnitID)
		}
	}
	return lead, cooperating
}

// Result is everything ParseAppendix read: one Row per input row, the groups and tasks,
// and every problem. An import may be committed only when Problems is empty.
type Result struct {
	// HeaderRow is the 1-based number of the header row.
	HeaderRow int
	// Columns are the recognised columns in table order; other columns are ignored.
	Columns []Column
	// Rows accounts for every input row, in order.
	Rows []Row
	// Groups are the group headings in order.
	Groups []Group
	// Tasks are the task rows in order.
	Tasks []Task
	// Problems are all problems, by row, then in column order.
	Problems []Problem
}

// ParseAppendix reads a plan's appendix table (rows from ReadCSV or ReadXLSX) in the shape
// of seed 001's appendix: a header row (TT | Nội dung thực hiện | Cơ quan chủ trì | Cơ quan
// phối hợp | Thời gian thực hiện | Thời gian hoàn thành, recognised by folded text, in any
// order, with extra columns ignored), then group rows (a Roman numeral and a heading) and
// task rows (a number), with blank rows anywhere. Unit names are read with m (which must
// not be nil), times with ParseTiming.
//
// Task numbers are read leniently because tables reach the platform through PDF extraction,
// which duplicates digits: the number is the first token, a cell whose tokens are all the
// same number ("1 1") is that number, and a number whose digits are the expected next number
// written twice ("11" where 1 is expected, "22" where 2 is) is the expected number. A number
// that is merely out of sequence is kept as written; a number repeated within a group is a
// problem, since task codes are unique in a document.
//
// ParseAppendix never stops at a problem: it returns every one in Result.Problems. It
// returns an error (ErrNoHeader) only when it finds no header.
func ParseAppendix(rows [][]string, m *Matcher) (Result, error) {
	var res Result
	header := -1
	for i, row := range rows {
		if cols, ok := readHeader(row); ok {
			header, res.Columns = i, cols
			break
		}
	}
	if header < 0 {
		return Result{}, ErrNoHeader
	}
	res.HeaderRow = header + 1
	cols := map[Field]Column{}
	for _, c := range res.Columns {
		cols[c.Field] = c
	}
	cell := func(row []string, f Field) string {
		c, ok := cols[f]
		if !ok || c.Index >= len(row) {
			return ""
		}
		return row[c.Index]
	}
	p := parser{res: &res, cols: cols, m: m, expected: 1, seen: map[string]bool{}}

	for i, row := range rows {
		n := i + 1
		switch {
		case i < header:
			res.Rows = append(res.Rows, Row{Number: n, Kind: RowPreamble})
		case i == header:
			res.Rows = append(res.Rows, Row{Number: n, Kind: RowHeader})
		case isBlank(row):
			res.Rows = append(res.Rows, Row{Number: n, Kind: RowBlank})
		default:
			if _, again := readHeader(row); again {
				res.Rows = append(res.Rows, Row{Number: n, Kind: RowHeader})
				continue
			}
			num := collapse(cell(row, FieldNumber))
			if numeral, ok := romanNumeral(num); ok {
				p.group(n, numeral, row, cell(row, FieldContent))
				continue
			}
			p.task(n, num, row, cell)
		}
	}
	return res, nil
}

// parser carries the state of a ParseAppendix pass between rows.
type parser struct {
	res  *Result
	cols map[Field]Column
	m    *Matcher
	// current is the group heading tasks fall under; nil before the first.
	current *Group
	// expected is the next task number in sequence within the group.
	expected int
	// seen holds the task codes read so far.
	seen map[string]bool
}

// problem records a problem at row n in the column holding f.
func (p *parser) problem(n int, f Field, text, msg string) {
	p.res.Problems = append(p.res.Problems, Problem{Row: n, Column: p.cols[f].Name, Text: text, Message: msg})
}

// group reads a group row.
func (p *parser) group(n int, numeral string, row []string, title string) {
	title = collapse(title)
	if title == "" {
		// A heading in a merged cell may sit in any column after the numeral.
		for i, c := range row {
			if i != p.cols[FieldNumber].Index && collapse(c) != "" {
				title = collapse(c)
				break
			}
		}
	}
	g := Group{Row: n, Numeral: numeral, Title: title, Group: groupOf(title)}
	if g.Group == tracking.GroupNone {
		p.problem(n, FieldContent, title, fmt.Sprintf("Không xác định được nhóm nhiệm vụ của tiêu đề “%s”; tiêu đề cần nêu lĩnh vực (chỉ đạo điều hành, thể chế, thủ tục hành chính, tổ chức bộ máy, công chức, tài chính công, hiện đại hóa/chính phủ số)", title))
	}
	p.res.Groups = append(p.res.Groups, g)
	p.res.Rows = append(p.res.Rows, Row{Number: n, Kind: RowGroup, Code: numeral})
	p.current = &g
	p.expected = 1
}

// task reads a task row; num is its number cell.
func (p *parser) task(n int, num string, row []string, cell func([]string, Field) string) {
	if num == "" {
		p.res.Rows = append(p.res.Rows, Row{Number: n, Kind: RowRejected})
		p.problem(n, FieldNumber, "", "Dòng có nội dung nhưng không có số thứ tự; cần ghi số La Mã cho dòng nhóm nhiệm vụ hoặc số cho dòng nhiệm vụ")
		return
	}
	number, ok := taskNumber(num, p.expected)
	if !ok {
		p.res.Rows = append(p.res.Rows, Row{Number: n, Kind: RowRejected})
		p.problem(n, FieldNumber, num, fmt.Sprintf("Số thứ tự “%s” không hợp lệ; cần ghi số La Mã (I, II, …) cho nhóm hoặc số (1, 2, …) cho nhiệm vụ", num))
		return
	}
	t := Task{Row: n, Code: strconv.Itoa(number)}
	if p.current != nil {
		t.Group = p.current.Group
		t.Code = p.current.Numeral + "." + t.Code
	}
	if p.seen[t.Code] {
		p.problem(n, FieldNumber, num, fmt.Sprintf("Mã nhiệm vụ %s bị trùng với một dòng phía trên", t.Code))
	}
	p.seen[t.Code] = true
	p.expected = number + 1

	if t.Content = collapse(cell(row, FieldContent)); t.Content == "" {
		p.problem(n, FieldContent, "", "Thiếu nội dung nhiệm vụ")
	}
	t.LeadText, t.CooperatingText = collapse(cell(row, FieldLead)), collapse(cell(row, FieldCooperating))
	t.Lead = p.units(n, FieldLead, cell(row, FieldLead))
	if len(t.Lead) == 0 && collapse(cell(row, FieldLead)) == "" {
		p.problem(n, FieldLead, "", "Thiếu cơ quan chủ trì")
	}
	t.Cooperating = p.units(n, FieldCooperating, cell(row, FieldCooperating))
	if text := collapse(cell(row, FieldStart)); text != "" {
		t.Start = p.timing(n, FieldStart, text)
	}
	if text := collapse(cell(row, FieldDeadline)); text != "" {
		t.Deadline = p.timing(n, FieldDeadline, text)
	} else {
		p.problem(n, FieldDeadline, "", "Thiếu thời gian hoàn thành")
	}
	t.ExpectedProduct = collapse(cell(row, FieldProduct))

	p.res.Tasks = append(p.res.Tasks, t)
	p.res.Rows = append(p.res.Rows, Row{Number: n, Kind: RowTask, Code: t.Code})
}

// units matches a cell of unit names, recording its problems at row n.
func (p *parser) units(n int, f Field, text string) []Match {
	matches, problems := p.m.Match(text)
	for _, pr := range problems {
		pr.Row, pr.Column = n, p.cols[f].Name
		p.res.Problems = append(p.res.Problems, pr)
	}
	return matches
}

// timing parses a time cell, recording its problem at row n.
func (p *parser) timing(n int, f Field, text string) tracking.Timing {
	t, err := ParseTiming(text)
	if err != nil {
		p.problem(n, f, text, capitalise(err.Error()))
		return tracking.Timing{}
	}
	return t
}

// readHeader recognises a header row: it must name every required column. When a table
// has a single time column ("Thời gian thực hiện" only), that column is the deadline: it is
// when the work must be done.
func readHeader(row []string) ([]Column, bool) {
	var cols []Column
	have := map[Field]bool{}
	for i, c := range row {
		f, ok := headerField(c)
		if !ok || have[f] {
			continue
		}
		have[f] = true
		cols = append(cols, Column{Field: f, Name: collapse(c), Index: i})
	}
	if !have[FieldDeadline] && have[FieldStart] {
		for i := range cols {
			if cols[i].Field == FieldStart {
				cols[i].Field = FieldDeadline
			}
		}
		have[FieldDeadline], have[FieldStart] = true, false
	}
	for _, f := range requiredFields {
		if !have[f] {
			return nil, false
		}
	}
	return cols, true
}

// headerField reads what a header cell names.
func headerField(cell string) (Field, bool) {
	w := words(cell)
	switch {
	case w == "tt" || w == "stt" || w == "so tt" || w == "so thu tu":
		return FieldNumber, true
	case containsWords(w, "chu tri"):
		return FieldLead, true
	case containsWords(w, "phoi hop"):
		return FieldCooperating, true
	case containsWords(w, "san pham"):
		return FieldProduct, true
	case containsWords(w, "hoan thanh") || containsWords(w, "thoi han"):
		return FieldDeadline, true
	case containsWords(w, "bat dau") || w == "thoi gian thuc hien" || w == "thoi gian":
		return FieldStart, true
	case strings.HasPrefix(w, "noi dung") || strings.HasPrefix(w, "nhiem vu") || containsWords(w, "ten nhiem vu"):
		return FieldContent, true
	}
	return "", false
}

// isBlank reports whether a row has no text.
func isBlank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// romanNumeral reads a group numeral ("IV", "IV.") and returns it upper-case.
func romanNumeral(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimRight(s, ".) "))
	if s == "" || strings.Trim(s, "IVXL") != "" {
		return "", false
	}
	// Only well-formed numerals: "IIII" or "VX" are typing mistakes, not groups.
	for n := 1; n <= 50; n++ {
		if roman(n) == s {
			return s, true
		}
	}
	return "", false
}

// roman writes n (1–50) in Roman numerals.
func roman(n int) string {
	var b strings.Builder
	for _, d := range []struct {
		v int
		s string
	}{{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for ; n >= d.v; n -= d.v {
			b.WriteString(d.s)
		}
	}
	return b.String()
}

// taskNumber reads the number cell of a task row, repairing the duplicated digits of PDF
// extraction (see ParseAppendix).
func taskNumber(cell string, expected int) (int, bool) {
	toks := strings.Fields(strings.TrimRight(cell, ".)"))
	if len(toks) == 0 {
		return 0, false
	}
	s := toks[0]
	for _, t := range toks[1:] {
		if t != s {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	if want := strconv.Itoa(expected); n != expected && s == want+want {
		return expected, true
	}
	return n, true
}

// groupKeywords map words of a group heading to the PAR field, as the headings of reform
// plans name them. The earliest keyword in the heading wins: seed 001's group IV is
// "… TỔ CHỨC BỘ MÁY; … ĐỘI NGŨ CÁN BỘ, CÔNG CHỨC …", an organisation heading that also
// mentions the civil service.
var groupKeywords = []struct {
	words string
	group tracking.TaskGroup
}{
	{"chi dao dieu hanh", tracking.GroupDirection},
	{"the che", tracking.GroupInstitutions},
	{"thu tuc hanh chinh", tracking.GroupProcedures},
	{"to chuc bo may", tracking.GroupOrganisation},
	{"cong chuc", tracking.GroupCivilService},
	{"can bo", tracking.GroupCivilService},
	{"tai chinh cong", tracking.GroupPublicFinance},
	{"hien dai", tracking.GroupDigitalGovernment},
	{"dien tu", tracking.GroupDigitalGovernment},
	{"chinh phu so", tracking.GroupDigitalGovernment},
	{"chinh quyen so", tracking.GroupDigitalGovernment},
	{"chuyen doi so", tracking.GroupDigitalGovernment},
	{"tac dong", tracking.GroupImpact},
}

// groupOf reads the PAR field of a group heading, or tracking.GroupNone.
func groupOf(title string) tracking.TaskGroup {
	key := " " + words(title) + " "
	best, at := tracking.GroupNone, len(key)
	for _, k := range groupKeywords {
		if i := strings.Index(key, " "+k.words+" "); i >= 0 && i < at {
			best, at = k.group, i
		}
	}
	return best
}
