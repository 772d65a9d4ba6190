// Package setfile reads and writes criteria sets (bộ tiêu chí) as files: YAML for people
// who keep methodologies in version control, and a table (CSV, or the first sheet of an
// XLSX workbook) for people who type them from a decision in a spreadsheet.
//
// Reading never stops at the first problem: every cell that does not parse and every rule
// of methodology.NewCriteriaSet that fails is reported, located by row and column for
// tables and by field path for YAML, so the whole list can be fixed at once.
package setfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/parindex/platform/services/kit/tabular"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Problem is one problem of a file. Row counts from 1 in a table (0 for the file as a
// whole, and for YAML); Column is the column header, or the field path in YAML
// ("nodes[3].max_points").
type Problem struct {
	Row     int
	Column  string
	Message string
}

// --- YAML --------------------------------------------------------------------------------

// yamlSet is the YAML shape: the API's field names, points as text.
type yamlSet struct {
	Year        int        `yaml:"year"`
	SubjectKind string     `yaml:"subject_kind"`
	Name        string     `yaml:"name"`
	Decision    string     `yaml:"decision,omitempty"`
	MaxPoints   string     `yaml:"max_points"`
	Note        string     `yaml:"note,omitempty"`
	Nodes       []yamlNode `yaml:"nodes"`
}

type yamlNode struct {
	Code             string `yaml:"code"`
	ParentCode       string `yaml:"parent_code,omitempty"`
	Name             string `yaml:"name"`
	MaxPoints        string `yaml:"max_points,omitempty"`
	PointSource      string `yaml:"point_source,omitempty"`
	Bonus            bool   `yaml:"bonus,omitempty"`
	MaxNotSum        bool   `yaml:"max_not_sum,omitempty"`
	Position         int    `yaml:"position,omitempty"`
	Incomplete       bool   `yaml:"incomplete,omitempty"`
	Note             string `yaml:"note,omitempty"`
	Guidance         string `yaml:"guidance,omitempty"`
	RequiredEvidence string `yaml:"required_evidence,omitempty"`
}

// EncodeYAML writes a set as YAML.
func EncodeYAML(s methodology.CriteriaSet) ([]byte, error) {
	y := yamlSet{Year: s.Year, SubjectKind: s.SubjectKind, Name: s.Name, Decision: s.Decision, MaxPoints: s.MaxPoints.String(), Note: s.Note}
	for _, n := range s.Nodes {
		y.Nodes = append(y.Nodes, yamlNode{
			Code: n.Code, ParentCode: n.ParentCode, Name: n.Name, MaxPoints: maxText(n),
			PointSource: string(n.PointSource), Bonus: n.Bonus, MaxNotSum: n.MaxNotSum, Position: n.Position,
			Incomplete: n.Incomplete, Note: n.Note, Guidance: n.Guidance, RequiredEvidence: n.RequiredEvidence,
		})
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(y); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// maxText is a node's maximum as written in files: empty when unknown.
func maxText(n methodology.Node) string {
	if n.Incomplete && n.MaxPoints == 0 {
		return ""
	}
	return n.MaxPoints.String()
}

// DecodeYAML reads a set from YAML and validates it. The set is returned normalised when
// there is no problem.
func DecodeYAML(b []byte) (methodology.CriteriaSet, []Problem) {
	var y yamlSet
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key must not silently drop a figure
	if err := dec.Decode(&y); err != nil {
		return methodology.CriteriaSet{}, []Problem{{Message: "không đọc được YAML: " + err.Error()}}
	}
	var problems []Problem
	bad := func(field string) func(string) {
		return func(msg string) { problems = append(problems, Problem{Column: field, Message: msg}) }
	}
	draft := methodology.CriteriaSet{
		Year: y.Year, SubjectKind: y.SubjectKind, Name: vntext.NFC(y.Name), Decision: vntext.NFC(y.Decision), Note: vntext.NFC(y.Note),
		MaxPoints: parsePoints(y.MaxPoints, false, bad("max_points")),
	}
	for i, n := range y.Nodes {
		src, ok := parseSource(n.PointSource)
		if !ok {
			bad(fmt.Sprintf("nodes[%d].point_source", i))(fmt.Sprintf("nguồn điểm %q không hợp lệ", n.PointSource))
		}
		draft.Nodes = append(draft.Nodes, methodology.Node{
			Code: strings.TrimSpace(n.Code), ParentCode: strings.TrimSpace(n.ParentCode), Name: vntext.NFC(n.Name),
			MaxPoints:   parsePoints(n.MaxPoints, n.Incomplete, bad(fmt.Sprintf("nodes[%d].max_points", i))),
			PointSource: src, Bonus: n.Bonus, MaxNotSum: n.MaxNotSum, Position: n.Position, Incomplete: n.Incomplete,
			Note: vntext.NFC(n.Note), Guidance: vntext.NFC(n.Guidance), RequiredEvidence: vntext.NFC(n.RequiredEvidence),
		})
	}
	set, err := methodology.NewCriteriaSet(draft)
	return set, merge(problems, validation(err, func(field string) Problem { return Problem{Column: field} }))
}

// parsePoints reads points; empty text is zero when allowed (an unknown maximum).
func parsePoints(text string, emptyOK bool, bad func(string)) methodology.Points {
	text = strings.TrimSpace(strings.ReplaceAll(text, ",", "."))
	if text == "" && emptyOK {
		return 0
	}
	p, err := methodology.ParsePoints(text)
	if err != nil {
		bad(methodology.ErrBadPoints.Error())
	}
	return p
}

// sources maps what a file may say to a point source: the API's code, or the Vietnamese.
var sources = map[string]methodology.PointSource{
	"": "", "appraised": methodology.SourceAppraised, "survey": methodology.SourceSurvey, "imported": methodology.SourceImported,
	"tham dinh": methodology.SourceAppraised, "dieu tra": methodology.SourceSurvey, "nhap": methodology.SourceImported,
	"dieu tra xa hoi hoc": methodology.SourceSurvey,
}

// sourceNames is how tables write point sources.
var sourceNames = map[methodology.PointSource]string{
	methodology.SourceAppraised: "thẩm định", methodology.SourceSurvey: "điều tra", methodology.SourceImported: "nhập",
}

func parseSource(s string) (methodology.PointSource, bool) {
	src, ok := sources[vntext.Fold(s)]
	return src, ok
}

// merge adds the rule problems to the parse problems, leaving out those on a cell already
// reported: a maximum that did not parse would otherwise be reported again as zero.
func merge(parse, rules []Problem) []Problem {
	seen := make(map[Problem]bool, len(parse))
	for _, p := range parse {
		seen[Problem{Row: p.Row, Column: p.Column}] = true
	}
	for _, p := range rules {
		if !seen[Problem{Row: p.Row, Column: p.Column}] {
			parse = append(parse, p)
		}
	}
	return parse
}

// validation turns methodology.ValidationErrors into problems located by locate (field
// path → problem without message); any other error is a problem of the whole file.
func validation(err error, locate func(field string) Problem) []Problem {
	if err == nil {
		return nil
	}
	v, ok := err.(methodology.ValidationErrors)
	if !ok {
		return []Problem{{Message: err.Error()}}
	}
	out := make([]Problem, len(v))
	for i, e := range v {
		out[i] = locate(e.Field)
		out[i].Message = e.Reason
	}
	return out
}

// --- tables (CSV, XLSX) ------------------------------------------------------------------

// A table starts with set rows ("#Năm", 2017), then a header row, then one row per node.
// Headers and keys are matched by vntext.Fold against the Vietnamese label or the API name.

type column struct {
	key, label string
}

var metaRows = []column{
	{"year", "Năm"}, {"subject_kind", "Loại đơn vị"}, {"name", "Tên bộ tiêu chí"},
	{"decision", "Quyết định"}, {"max_points", "Điểm tối đa"}, {"note", "Ghi chú"},
}

var nodeColumns = []column{
	{"code", "Mã"}, {"parent_code", "Mã mục cha"}, {"name", "Tên"}, {"max_points", "Điểm tối đa"},
	{"point_source", "Nguồn điểm"}, {"bonus", "Điểm khuyến khích"}, {"max_not_sum", "Không cộng từ mục con"},
	{"position", "Thứ tự"}, {"incomplete", "Chưa đầy đủ"}, {"note", "Ghi chú"},
	{"guidance", "Hướng dẫn chấm"}, {"required_evidence", "Tài liệu kiểm chứng"},
}

// keyOf finds the key a header or set-row label names.
func keyOf(cols []column, text string) (string, bool) {
	f := vntext.Fold(text)
	for _, c := range cols {
		if f == c.key || f == vntext.Fold(c.label) || f == strings.ReplaceAll(c.key, "_", " ") {
			return c.key, true
		}
	}
	return "", false
}

// EncodeTable writes a set as rows of cells.
func EncodeTable(s methodology.CriteriaSet) [][]string {
	meta := map[string]string{"year": strconv.Itoa(s.Year), "subject_kind": s.SubjectKind, "name": s.Name,
		"decision": s.Decision, "max_points": s.MaxPoints.String(), "note": s.Note}
	var rows [][]string
	for _, c := range metaRows {
		rows = append(rows, []string{"#" + c.label, meta[c.key]})
	}
	header := make([]string, len(nodeColumns))
	for i, c := range nodeColumns {
		header[i] = c.label
	}
	rows = append(rows, header)
	for _, n := range s.Nodes {
		rows = append(rows, []string{n.Code, n.ParentCode, n.Name, maxText(n), sourceNames[n.PointSource],
			yes(n.Bonus), yes(n.MaxNotSum), strconv.Itoa(n.Position), yes(n.Incomplete), n.Note, n.Guidance, n.RequiredEvidence})
	}
	return rows
}

func yes(b bool) string {
	if b {
		return "x"
	}
	return ""
}

// parseBool reads a flag cell: "x", "có", "true", "1" or empty, "không", "false", "0".
func parseBool(s string) (bool, bool) {
	switch vntext.Fold(s) {
	case "x", "co", "true", "1", "yes":
		return true, true
	case "", "khong", "false", "0", "no":
		return false, true
	}
	return false, false
}

// DecodeTable reads a set from rows of cells and validates it.
func DecodeTable(rows [][]string) (methodology.CriteriaSet, []Problem) {
	var (
		problems []Problem
		draft    methodology.CriteriaSet
		metaRow  = map[string]int{}
		i        int
	)
	cell := func(row []string, j int) string {
		if j < len(row) {
			return strings.TrimSpace(vntext.NFC(row[j]))
		}
		return ""
	}
	// Set rows.
	for ; i < len(rows); i++ {
		label := cell(rows[i], 0)
		if !strings.HasPrefix(label, "#") {
			if label == "" && len(strings.Join(rows[i], "")) == 0 {
				continue // blank line between the set rows and the header
			}
			break
		}
		key, ok := keyOf(metaRows, strings.TrimPrefix(label, "#"))
		if !ok {
			problems = append(problems, Problem{Row: i + 1, Message: fmt.Sprintf("không hiểu dòng %q", label)})
			continue
		}
		metaRow[key] = i + 1
		v := cell(rows[i], 1)
		switch key {
		case "year":
			y, err := strconv.Atoi(v)
			if err != nil {
				problems = append(problems, Problem{Row: i + 1, Column: label, Message: "năm phải là số, ví dụ 2025"})
			}
			draft.Year = y
		case "subject_kind":
			draft.SubjectKind = v
		case "name":
			draft.Name = v
		case "decision":
			draft.Decision = v
		case "max_points":
			draft.MaxPoints = parsePoints(v, false, func(m string) { problems = append(problems, Problem{Row: i + 1, Column: label, Message: m}) })
		case "note":
			draft.Note = v
		}
	}
	if i >= len(rows) {
		return methodology.CriteriaSet{}, append(problems, Problem{Message: "thiếu dòng tiêu đề cột và các mục"})
	}
	// Header.
	headerRow := i + 1
	index := map[string]int{}
	labels := map[string]string{}
	for j, h := range rows[i] {
		h = cell(rows[i], j)
		if h == "" {
			continue
		}
		key, ok := keyOf(nodeColumns, h)
		if !ok {
			problems = append(problems, Problem{Row: headerRow, Column: h, Message: "cột không được hỗ trợ"})
			continue
		}
		index[key], labels[key] = j, h
	}
	for _, must := range []string{"code", "name", "max_points"} {
		if _, ok := index[must]; !ok {
			problems = append(problems, Problem{Row: headerRow, Column: must, Message: "thiếu cột bắt buộc"})
		}
	}
	if len(problems) > 0 {
		return methodology.CriteriaSet{}, problems
	}
	get := func(row []string, key string) string {
		if j, ok := index[key]; ok {
			return cell(row, j)
		}
		return ""
	}
	var nodeRows []int // file row of each node
	for i++; i < len(rows); i++ {
		row := rows[i]
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		r := i + 1
		bad := func(key string) func(string) {
			return func(m string) { problems = append(problems, Problem{Row: r, Column: labels[key], Message: m}) }
		}
		flag := func(key string) bool {
			b, ok := parseBool(get(row, key))
			if !ok {
				bad(key)("giá trị phải là x (có) hoặc để trống")
			}
			return b
		}
		n := methodology.Node{Code: get(row, "code"), ParentCode: get(row, "parent_code"), Name: get(row, "name"),
			Note: get(row, "note"), Guidance: get(row, "guidance"), RequiredEvidence: get(row, "required_evidence")}
		n.Bonus, n.MaxNotSum, n.Incomplete = flag("bonus"), flag("max_not_sum"), flag("incomplete")
		n.MaxPoints = parsePoints(get(row, "max_points"), n.Incomplete, bad("max_points"))
		src, ok := parseSource(get(row, "point_source"))
		if !ok {
			bad("point_source")(fmt.Sprintf("nguồn điểm %q không hợp lệ (thẩm định, điều tra hoặc nhập)", get(row, "point_source")))
		}
		n.PointSource = src
		if p := get(row, "position"); p != "" {
			v, err := strconv.Atoi(p)
			if err != nil || v < 0 {
				bad("position")("thứ tự phải là số nguyên dương")
			}
			n.Position = v
		}
		draft.Nodes = append(draft.Nodes, n)
		nodeRows = append(nodeRows, r)
	}
	set, err := methodology.NewCriteriaSet(draft)
	return set, merge(problems, validation(err, func(field string) Problem {
		if m := nodeField.FindStringSubmatch(field); m != nil {
			k, _ := strconv.Atoi(m[1])
			if k < len(nodeRows) {
				return Problem{Row: nodeRows[k], Column: labelFor(nodeColumns, m[2])}
			}
		}
		if r, ok := metaRow[field]; ok {
			return Problem{Row: r, Column: "#" + labelFor(metaRows, field)}
		}
		return Problem{Column: labelFor(metaRows, field)}
	}))
}

var nodeField = regexp.MustCompile(`^nodes\[(\d+)\]\.(\w+)$`)

func labelFor(cols []column, key string) string {
	for _, c := range cols {
		if c.key == key {
			return c.label
		}
	}
	return key
}

// EncodeCSV writes a set as CSV (UTF-8 with a byte-order mark, so that spreadsheet
// programs show the Vietnamese correctly).
func EncodeCSV(s methodology.CriteriaSet) ([]byte, error) {
	b, err := tabular.CSV(EncodeTable(s))
	if err != nil {
		return nil, fmt.Errorf("encode CSV: %w", err)
	}
	return b, nil
}

// DecodeCSV reads a set from CSV.
func DecodeCSV(b []byte) (methodology.CriteriaSet, []Problem) {
	rows, err := tabular.ReadCSV(bytes.NewReader(b), tabular.Options{})
	if err != nil {
		return methodology.CriteriaSet{}, []Problem{{Message: "không đọc được CSV: " + tabular.Cause(err).Error()}}
	}
	return DecodeTable(rows)
}

// SheetName is the sheet an exported workbook holds the set in.
const SheetName = "Bộ tiêu chí"

// EncodeXLSX writes a set as a workbook of one sheet laid out like the CSV.
func EncodeXLSX(s methodology.CriteriaSet) ([]byte, error) {
	// Text cells: "3.1" and "14.50" must stay as written, not become numbers.
	b, err := tabular.XLSX(tabular.Sheet{Name: SheetName, Rows: tabular.Strings(EncodeTable(s))})
	if err != nil {
		return nil, fmt.Errorf("encode XLSX: %w", err)
	}
	return b, nil
}

// DecodeXLSX reads a set from the first sheet of a workbook.
func DecodeXLSX(b []byte) (methodology.CriteriaSet, []Problem) {
	// Raw values: a maximum formatted to one decimal must not lose its second.
	rows, err := tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{RawValues: true, HiddenSheets: true})
	if errors.Is(err, tabular.ErrNoSheet) {
		return methodology.CriteriaSet{}, []Problem{{Message: "tệp XLSX không có trang tính"}}
	}
	if err != nil {
		return methodology.CriteriaSet{}, []Problem{{Message: "không đọc được XLSX: " + tabular.Cause(err).Error()}}
	}
	return DecodeTable(rows)
}
