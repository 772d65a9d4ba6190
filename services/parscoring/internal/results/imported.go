package results

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/parindex/platform/services/kit/vntext"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Problem is one problem of an imported file, located by row (from 1, the header being
// row 1; 0 for the file as a whole) and column name.
type Problem struct {
	Row     int
	Column  string
	Message string
}

// ImportInput says what an imported table is about.
type ImportInput struct {
	Year     int
	Set      methodology.CriteriaSet
	Decision string
	// UnitID is the directory id of the unit whose per-node results the file carries, and
	// SubjectCode the code naming it in the file.
	UnitID      string
	SubjectCode string
}

// The columns of an imported table. Headers are matched in English or in Vietnamese, by
// their folded text (case, tone marks, line breaks and spaces do not matter); other columns
// (STT, notes) are ignored. A header may span two rows, as in the Ministry's tables, where a
// merged group title ("Kết quả") sits over "Điểm" and "Xếp hạng"; title rows above the
// header are skipped.
const (
	ColSubjectCode = "subject_code"
	ColSubjectName = "subject_name"
	ColNodeCode    = "node_code"
	ColScore       = "score"
	ColRank        = "rank"
	ColRankOf      = "rank_of"
	// ColIndexPercent is the published index (points / maximum × 100). It is checked
	// against the score, or stands for it where the maximum is 100.
	ColIndexPercent = "index_percent"
	// ColMaxPoints is the maximum as the file prints it, checked against the criteria set
	// so that a file of another methodology is not read against the wrong one.
	ColMaxPoints = "max_points"
)

var columnAliases = func() map[string]string {
	m := map[string]string{}
	for col, names := range map[string][]string{
		ColSubjectCode:  {"subject_code", "mã đơn vị", "mã tỉnh", "mã địa phương"},
		ColSubjectName:  {"subject_name", "tên đơn vị", "đơn vị", "tỉnh, thành phố", "tỉnh/thành phố", "tỉnh, thành phố trực thuộc trung ương", "tên tỉnh", "tên tỉnh, thành phố", "địa phương", "tên địa phương"},
		ColNodeCode:     {"node_code", "mã mục", "mã lĩnh vực/tiêu chí", "mã lĩnh vực, tiêu chí", "mã tiêu chí", "mã lĩnh vực", "lĩnh vực/tiêu chí", "lĩnh vực, tiêu chí"},
		ColScore:        {"score", "điểm", "điểm đạt được", "điểm đạt", "điểm số", "tổng điểm", "điểm đánh giá"},
		ColRank:         {"rank", "xếp hạng", "thứ hạng", "hạng", "thứ tự xếp hạng", "vị trí xếp hạng"},
		ColRankOf:       {"rank_of", "trên tổng số", "tổng số", "số đơn vị xếp hạng", "tổng số đơn vị"},
		ColIndexPercent: {"index_percent", "chỉ số", "chỉ số (%)", "chỉ số %", "chỉ số cchc", "chỉ số cchc (%)", "chỉ số par index", "chỉ số par index (%)", "tỷ lệ (%)", "tỷ lệ %"},
		ColMaxPoints:    {"max_points", "điểm tối đa", "điểm chuẩn", "thang điểm"},
	} {
		for _, n := range names {
			m[vntext.Fold(n)] = col
		}
	}
	return m
}()

// header is where a table's columns are and how the file names them.
type header struct {
	cols   map[string]int
	labels map[string]string // column → header text as written, for problems
	dups   []string
	rows   int // header rows (1 or 2)
	// nodes are the columns of a wide table, one per field or criterion ("Lĩnh vực 1",
	// "LV 2", "Tiêu chí 3.1"), as the Ministry lays out a ranking of provinces.
	nodes []nodeColumn
}

// nodeColumn is a node's column in a wide table, with the column of its rank when the
// header puts "Điểm" and "Xếp hạng" under the node (-1 when none).
type nodeColumn struct {
	code       string
	score      int
	rank       int
	label      string
	rankLabel  string
	headerText string
}

// width counts the columns the header names.
func (h header) width() int {
	n := len(h.cols)
	for _, nc := range h.nodes {
		n++
		if nc.score >= 0 && nc.rank >= 0 {
			n++
		}
	}
	return n
}

func (h header) complete() bool {
	return (h.has(ColSubjectCode) || h.has(ColSubjectName)) && (h.has(ColScore) || h.has(ColIndexPercent))
}

// nodePrefixed reports whether a header names a node with one of the words tables use
// before a code; a bare "1" or "II" over a column may be anything (STT, a group).
func nodePrefixed(text string) bool {
	f := vntext.Fold(cleanCell(text))
	for _, p := range nodePrefixes {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// readHeader names the columns of one header row, or of two when below is not nil: there a
// column is named by its lower cell, else by its upper one (a header merged down two rows
// keeps its text in the upper cell), else by both read together. A column headed by a node
// of the set (has) is a node column of a wide table; under two rows its lower cell may say
// "Điểm" or "Xếp hạng", and a rank column right of it with an empty upper cell (a merged
// header) is its rank.
func readHeader(upper, below []string, has func(string) bool) header {
	h := header{cols: map[string]int{}, labels: map[string]string{}, rows: 1}
	if below != nil {
		h.rows = 2
	}
	alias := func(text string) (string, bool) {
		name, ok := columnAliases[vntext.Fold(strings.TrimRight(cleanCell(text), ":* "))]
		return name, ok
	}
	for i := 0; i < max(len(upper), len(below)); i++ {
		top := cell(upper, i)
		if below == nil && nodePrefixed(top) {
			if code, _, ok := readNodeCode(top, has); ok && code != "" {
				// A header merged over two columns repeats in both: the row below says
				// what each holds, so one row alone names only the first.
				if n := len(h.nodes); n == 0 || h.nodes[n-1].headerText != cleanCell(top) {
					h.nodes = append(h.nodes, nodeColumn{code: code, score: i, rank: -1, label: cleanCell(top), headerText: cleanCell(top)})
				}
				continue
			}
		}
		if below != nil {
			sub, _ := alias(cell(below, i))
			if nodePrefixed(top) {
				if code, _, ok := readNodeCode(top, has); ok && code != "" {
					nc := nodeColumn{code: code, score: i, rank: -1, label: cleanCell(top + " " + cell(below, i)), headerText: cleanCell(top)}
					if sub == ColRank {
						nc.score, nc.rank, nc.rankLabel, nc.label = -1, i, nc.label, ""
					}
					// A node merged over two columns repeats in both (XLSX) or heads only
					// the first (CSV): either way the columns are one node's.
					if n := len(h.nodes); n > 0 && h.nodes[n-1].headerText == nc.headerText {
						if last := &h.nodes[n-1]; sub == ColRank {
							last.rank, last.rankLabel = i, nc.rankLabel
						} else {
							last.score, last.label = i, nc.label
						}
						continue
					}
					h.nodes = append(h.nodes, nc)
					continue
				}
			}
			if cleanCell(top) == "" && sub == ColRank && len(h.nodes) > 0 && h.nodes[len(h.nodes)-1].rank < 0 && h.nodes[len(h.nodes)-1].score == i-1 {
				last := &h.nodes[len(h.nodes)-1]
				last.rank, last.rankLabel = i, cleanCell(last.headerText+" "+cell(below, i))
				continue
			}
		}
		var texts []string
		if below != nil {
			texts = append(texts, cell(below, i))
		}
		texts = append(texts, top)
		if below != nil {
			texts = append(texts, top+" "+cell(below, i))
		}
		for _, text := range texts {
			name, ok := alias(text)
			if !ok {
				continue
			}
			if _, dup := h.cols[name]; dup {
				h.dups = append(h.dups, name)
			}
			h.cols[name], h.labels[name] = i, cleanCell(text)
			break
		}
	}
	return h
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// maxTitleRows bounds how far down the header is looked for.
const maxTitleRows = 10

// findHeader returns the header and the index of its first row, or ok false. A two-row
// header is taken when the row below names a column too and the pair names more columns.
func findHeader(table [][]string, has func(string) bool) (h header, at int, ok bool) {
	for r := 0; r < len(table) && r < maxTitleRows; r++ {
		one := readHeader(table[r], nil, has)
		if r+1 < len(table) {
			if below := readHeader(table[r+1], nil, has); len(below.cols) > 0 {
				if two := readHeader(table[r], table[r+1], has); two.complete() && two.width() > one.width() {
					return two, r, true
				}
			}
		}
		if one.complete() {
			return one, r, true
		}
	}
	return header{}, 0, false
}

// importedSubject gathers one subject's rows while reading.
type importedSubject struct {
	sub      Subject
	totalRow int
}

// BuildImported reads a published table into a snapshot without id, time or previous-year
// figures, and counts its data rows. Figures are kept exactly as published: a total is never
// recomputed from its parts, since the Ministry computes totals before rounding and its
// published total may differ by 0.01 from the sum of the published parts (DOMAIN.md,
// "Reference facts"). Rows of in.SubjectCode carry the unit's figures per node; rows of
// other subjects carry only their totals, kept for rank context. Without a node column every
// row is a total; without a code column the subject's name is its code. Every problem is
// reported, by row (as a spreadsheet numbers it) and by the column's header as written.
func BuildImported(in ImportInput, table [][]string) (Snapshot, int, []Problem) {
	var problems []Problem
	report := func(row int, col, msg string) { problems = append(problems, Problem{row, col, msg}) }
	if len(table) == 0 {
		return Snapshot{}, 0, []Problem{{0, "", "tệp trống: cần dòng tiêu đề và các dòng số liệu"}}
	}
	// A methodology applies from its year until the next replaces it (QĐ 876 "used for
	// 2022 onward"): results of an earlier year were scored by another one.
	if in.Set.Year > in.Year {
		report(0, "", fmt.Sprintf("bộ tiêu chí “%s” áp dụng từ năm %d, không dùng cho kết quả năm %d: chọn bộ tiêu chí của năm %d hoặc trước đó",
			cmp.Or(in.Set.Decision, in.Set.Name), in.Set.Year, in.Year, in.Year))
	}
	set := in.Set
	nodeIndex := make(map[string]int, len(set.Nodes))
	var bonusMax methodology.Points
	for i, n := range set.Nodes {
		nodeIndex[n.Code] = i
		if n.ParentCode == "" && n.Bonus {
			bonusMax += n.MaxPoints
		}
	}
	hasNode := func(c string) bool { _, ok := nodeIndex[c]; return ok }
	h, at, ok := findHeader(table, hasNode)
	if !ok {
		h = readHeader(table[0], nil, hasNode)
		if !h.has(ColSubjectCode) && !h.has(ColSubjectName) {
			report(1, ColSubjectCode, "thiếu cột "+ColSubjectCode+" (mã đơn vị) hoặc "+ColSubjectName+" (tên đơn vị)")
		}
		if !h.has(ColScore) && !h.has(ColIndexPercent) {
			report(1, ColScore, "thiếu cột "+ColScore+" (điểm) hoặc "+ColIndexPercent+" (chỉ số %)")
		}
		return Snapshot{}, 0, problems
	}
	label := func(col string) string { return cmp.Or(h.labels[col], col) }
	for _, d := range h.dups {
		report(at+h.rows, label(d), "cột xuất hiện hai lần")
	}
	if len(h.dups) > 0 {
		return Snapshot{}, 0, problems
	}
	get := func(row []string, col string) (string, bool) {
		i, ok := h.cols[col]
		if !ok {
			return "", false
		}
		return cleanCell(cell(row, i)), true
	}
	value := func(row []string, col string) string { v, _ := get(row, col); return v }

	newSubject := func(code, name string) *importedSubject {
		s := &importedSubject{sub: Subject{Code: code, Name: name, PeerGroup: set.SubjectKind, Total: NoScore,
			Scores: make([]methodology.Points, len(set.Nodes)), Ranks: make([]int32, len(set.Nodes))}}
		for i := range s.sub.Scores {
			s.sub.Scores[i] = NoScore
		}
		return s
	}
	own := newSubject(in.SubjectCode, "")
	own.sub.UnitID = in.UnitID
	subjects := []*importedSubject{own}
	// Codes match folded, so "DN" and "dn", or a name typed with another tone placement,
	// are one subject.
	byCode := map[string]*importedSubject{vntext.Fold(in.SubjectCode): own}
	seen := map[string]int{}
	rows := 0
	ownTotalSeen := false
	for r := at + h.rows; r < len(table); r++ {
		row, line := table[r], r+1
		if cleanCell(strings.Join(row, "")) == "" || (r == at+h.rows && isColumnNumberRow(row)) {
			continue
		}
		code, hasCode := get(row, ColSubjectCode)
		name := value(row, ColSubjectName)
		if !hasCode {
			code = name
		}
		// A subject named by its name alone may be "Trung bình cả nước".
		if (code == "" || !hasCode) && isSummaryRow(row) {
			continue // a total, the national average or a note after the data
		}
		rows++
		if code == "" {
			report(line, label(either(hasCode, ColSubjectCode, ColSubjectName)), "cần mã đơn vị")
			continue
		}
		nodeCode, read, known := readNodeCode(value(row, ColNodeCode), hasNode)
		key := vntext.Fold(code) + "\x00" + nodeCode
		if !known {
			key += "\x00" + read // an unknown code is reported as such, not as the total row
		}
		if first, dup := seen[key]; dup {
			report(line, label(ColNodeCode), fmt.Sprintf("trùng với dòng %d (cùng đơn vị và mục)", first))
			continue
		}
		seen[key] = line
		s, ok := byCode[vntext.Fold(code)]
		if ok && s == own && known && nodeCode == "" {
			ownTotalSeen = true // even when its figures are wrong: that is reported there
		}
		if !ok {
			s = newSubject(code, "")
			byCode[vntext.Fold(code)] = s
			subjects = append(subjects, s)
		}
		if name != "" && s.sub.Name == "" {
			s.sub.Name = name
		}

		node := -1
		max := set.MaxPoints + bonusMax
		if nodeCode != "" || !known {
			switch {
			case !known && read != value(row, ColNodeCode):
				report(line, label(ColNodeCode), fmt.Sprintf("bộ tiêu chí không có mục %q (đọc từ %q)", read, value(row, ColNodeCode)))
			case !known:
				report(line, label(ColNodeCode), fmt.Sprintf("bộ tiêu chí không có mục %q", read))
			case s != own:
				report(line, label(ColNodeCode), fmt.Sprintf("chỉ nhập điểm từng mục cho đơn vị %s; với đơn vị khác chỉ nhập tổng điểm (để trống mã mục)", in.SubjectCode))
			default:
				node, max = nodeIndex[nodeCode], set.Nodes[nodeIndex[nodeCode]].MaxPoints
			}
		}
		score, scoreOK := readScore(row, line, max, get, label, report)
		if text := value(row, ColMaxPoints); text != "" && (node >= 0 || (known && nodeCode == "")) {
			want := max
			if node < 0 {
				want = set.MaxPoints
			}
			switch f, err := parseFigure(text); {
			case err != nil:
				report(line, label(ColMaxPoints), err.Error())
			case want > 0 && f.value != want:
				report(line, label(ColMaxPoints), fmt.Sprintf("điểm tối đa %s khác với bộ tiêu chí đã chọn (%s): tệp có thể theo phương pháp của năm khác", f.value, want))
			}
		}
		rank, rankOfInCell, rankErr := parseRank(value(row, ColRank))
		if rankErr != nil {
			report(line, label(ColRank), "xếp hạng phải là số nguyên dương, ví dụ 4 hoặc 4/63")
		}
		rankOf, rankOfErr := optionalInt(value(row, ColRankOf))
		switch {
		case rankOfErr != nil:
			report(line, label(ColRankOf), "tổng số phải là số nguyên dương")
		case rankOfInCell > 0 && rankOf > 0 && rankOf != rankOfInCell:
			report(line, label(ColRankOf), fmt.Sprintf("tổng số %d khác với %d ghi ở cột xếp hạng", rankOf, rankOfInCell))
		case rankOf == 0:
			rankOf = rankOfInCell
		}
		if rankErr == nil && rankOf > 0 && rank > rankOf {
			report(line, label(either(h.has(ColRankOf), ColRankOf, ColRank)), fmt.Sprintf("xếp hạng %d lớn hơn tổng số %d", rank, rankOf))
		}
		if s == own && !h.has(ColNodeCode) {
			readWideNodes(row, line, set, nodeIndex, h.nodes, &s.sub, report)
		}
		if !scoreOK || !known || (nodeCode != "" && node < 0) {
			continue
		}
		if node >= 0 {
			s.sub.Scores[node], s.sub.Ranks[node] = score, int32(rank) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			continue
		}
		s.sub.Total, s.sub.Rank, s.totalRow = score, rank, line
		if rankOf > 0 {
			s.sub.RankOf = rankOf
		}
	}
	if rows == 0 {
		report(0, "", "tệp không có dòng số liệu nào")
	}
	if !ownTotalSeen && rows > 0 {
		report(0, label(either(h.has(ColSubjectCode), ColSubjectCode, ColSubjectName)), fmt.Sprintf("không có dòng tổng điểm (mã mục để trống) của đơn vị %s", in.SubjectCode))
	}
	if len(problems) > 0 {
		return Snapshot{}, rows, problems
	}

	snap := Snapshot{Year: in.Year, SubjectKind: set.SubjectKind, CriteriaSetID: set.ID, Source: SourceImported,
		Decision: in.Decision, MaxPoints: set.MaxPoints, Nodes: make([]Node, len(set.Nodes))}
	for i, n := range set.Nodes {
		snap.Nodes[i] = Node{Code: n.Code, ParentCode: n.ParentCode, Name: n.Name, MaxPoints: n.MaxPoints, Bonus: n.Bonus}
	}
	for _, s := range subjects {
		if s.sub.RankOf == 0 && s.sub.Rank > 0 {
			s.sub.RankOf = own.sub.RankOf // a context row without its group size shares the unit's
		}
		s.sub.Grade = GradeOf(DefaultGrades, int64(IndexPercent(s.sub.Total, set.MaxPoints)))
		snap.Subjects = append(snap.Subjects, s.sub)
	}
	snap.computePeers()
	return snap, rows, nil
}

// readWideNodes reads the unit's scores and ranks from the node columns of a wide table's
// row; another subject's node columns are not kept (only its total is, for rank context).
func readWideNodes(row []string, line int, set methodology.CriteriaSet, nodeIndex map[string]int, cols []nodeColumn, sub *Subject,
	report func(int, string, string)) {
	for _, nc := range cols {
		i := nodeIndex[nc.code]
		if nc.score >= 0 {
			get := func(row []string, col string) (string, bool) {
				if col != ColScore {
					return "", false
				}
				return cleanCell(cell(row, nc.score)), true
			}
			if score, ok := readScore(row, line, set.Nodes[i].MaxPoints, get, func(string) string { return nc.label }, report); ok {
				sub.Scores[i] = score
			}
		}
		if nc.rank >= 0 {
			rank, _, err := parseRank(cell(row, nc.rank))
			if err != nil {
				report(line, nc.rankLabel, "xếp hạng phải là số nguyên dương, ví dụ 4 hoặc 4/63")
				continue
			}
			sub.Ranks[i] = int32(rank) // #nosec G115 -- a rank among 63 provinces
		}
	}
}

func (h header) has(col string) bool { _, ok := h.cols[col]; return ok }

// either is a when cond holds, else b.
func either(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// readScore reads a row's points from the score column, or from the index column where
// the maximum is 100 (the index is then the points), and checks one against the other.
func readScore(row []string, line int, max methodology.Points, get func([]string, string) (string, bool), label func(string) string,
	report func(int, string, string)) (methodology.Points, bool) {
	text, hasScore := get(row, ColScore)
	pctText, hasPct := get(row, ColIndexPercent)
	const hundred = methodology.Points(10000)
	var score methodology.Points
	switch {
	case hasScore && text != "":
		f, err := parseFigure(text)
		if err != nil {
			report(line, label(ColScore), err.Error())
			return 0, false
		}
		if f.percent && max != hundred {
			report(line, label(ColScore), fmt.Sprintf("ô điểm ghi phần trăm %q nhưng điểm tối đa của mục là %s: cần ghi số điểm", text, max))
			return 0, false
		}
		score = f.value
	case hasPct && pctText != "" && max == hundred:
		f, err := parseFigure(pctText)
		if err != nil {
			report(line, label(ColIndexPercent), err.Error())
			return 0, false
		}
		score, pctText = f.value, ""
	case hasPct && pctText != "":
		report(line, label(ColScore), fmt.Sprintf("cần ghi số điểm: chỉ số %% chỉ thay được điểm khi điểm tối đa là 100 (mục này: %s)", max))
		return 0, false
	default:
		report(line, label(either(hasScore, ColScore, ColIndexPercent)), "ô trống: cần ghi số điểm")
		return 0, false
	}
	switch {
	case max > 0 && (score < 0 || score > max):
		report(line, label(ColScore), fmt.Sprintf("điểm %s nằm ngoài khoảng 0 đến %s", score, max))
		return 0, false
	case max < 0 && (score > 0 || score < max):
		report(line, label(ColScore), fmt.Sprintf("điểm trừ %s nằm ngoài khoảng %s đến 0", score, max))
		return 0, false
	}
	if pctText != "" && max > 0 {
		f, err := parseFigure(pctText)
		want := IndexPercent(score, max)
		switch {
		case err != nil:
			report(line, label(ColIndexPercent), err.Error())
			return 0, false
		case abs(int64(f.value-want)) > 1: // the Ministry may round the index from unrounded points
			report(line, label(ColIndexPercent), fmt.Sprintf("chỉ số %s%% không khớp với điểm %s trên tối đa %s (%s%%)", f.value, score, max, want))
			return 0, false
		}
	}
	return score, true
}

func optionalInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("not a positive integer: %q", s)
	}
	return v, nil
}
