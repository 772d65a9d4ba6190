package results

import (
	"fmt"
	"strconv"
	"strings"

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

// The columns of an imported table. Headers are matched case-insensitively, in English or
// in Vietnamese.
const (
	ColSubjectCode = "subject_code"
	ColSubjectName = "subject_name"
	ColNodeCode    = "node_code"
	ColScore       = "score"
	ColRank        = "rank"
	ColRankOf      = "rank_of"
)

var columnAliases = map[string]string{
	"subject_code": ColSubjectCode, "mã đơn vị": ColSubjectCode,
	"subject_name": ColSubjectName, "tên đơn vị": ColSubjectName,
	"node_code": ColNodeCode, "mã mục": ColNodeCode,
	"score": ColScore, "điểm": ColScore,
	"rank": ColRank, "xếp hạng": ColRank,
	"rank_of": ColRankOf, "trên tổng số": ColRankOf,
}

// importedSubject gathers one subject's rows while reading.
type importedSubject struct {
	sub      Subject
	totalRow int
}

// BuildImported reads a published table (header row first) into a snapshot without id, time
// or previous-year figures. Figures are kept exactly as published: a total is never
// recomputed from its parts, since the Ministry computes totals before rounding and its
// published total may differ by 0.01 from the sum of the published parts (DOMAIN.md,
// "Reference facts"). Rows of in.SubjectCode carry the unit's figures per node; rows of
// other subjects carry only their totals, kept for rank context. Every problem is reported.
func BuildImported(in ImportInput, table [][]string) (Snapshot, []Problem) {
	var problems []Problem
	report := func(row int, col, msg string) { problems = append(problems, Problem{row, col, msg}) }
	if len(table) == 0 {
		return Snapshot{}, []Problem{{0, "", "tệp trống: cần dòng tiêu đề và các dòng số liệu"}}
	}
	cols := map[string]int{}
	for i, h := range table[0] {
		name, ok := columnAliases[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]
		if !ok {
			continue // extra columns (notes) are allowed
		}
		if _, dup := cols[name]; dup {
			report(1, name, "cột xuất hiện hai lần")
		}
		cols[name] = i
	}
	for _, c := range []string{ColSubjectCode, ColNodeCode, ColScore} {
		if _, ok := cols[c]; !ok {
			report(1, c, "thiếu cột "+c)
		}
	}
	if len(problems) > 0 {
		return Snapshot{}, problems
	}
	cell := func(row []string, col string) string {
		i, ok := cols[col]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
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
	byCode := map[string]*importedSubject{in.SubjectCode: own}
	seen := map[string]int{}
	rows := 0
	for r := 1; r < len(table); r++ {
		row, line := table[r], r+1
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		rows++
		code, nodeCode := cell(row, ColSubjectCode), cell(row, ColNodeCode)
		if code == "" {
			report(line, ColSubjectCode, "cần mã đơn vị")
			continue
		}
		key := code + "\x00" + nodeCode
		if first, dup := seen[key]; dup {
			report(line, ColNodeCode, fmt.Sprintf("trùng với dòng %d (cùng đơn vị và mục)", first))
			continue
		}
		seen[key] = line
		s, ok := byCode[code]
		if !ok {
			s = newSubject(code, "")
			byCode[code] = s
			subjects = append(subjects, s)
		}
		if name := cell(row, ColSubjectName); name != "" && s.sub.Name == "" {
			s.sub.Name = name
		}

		node := -1
		max := set.MaxPoints + bonusMax
		if nodeCode != "" {
			i, ok := nodeIndex[nodeCode]
			switch {
			case !ok:
				report(line, ColNodeCode, fmt.Sprintf("bộ tiêu chí không có mục %q", nodeCode))
			case s != own:
				report(line, ColNodeCode, fmt.Sprintf("chỉ nhập điểm từng mục cho đơn vị %s; với đơn vị khác chỉ nhập tổng điểm (để trống mã mục)", in.SubjectCode))
			default:
				node, max = i, set.Nodes[i].MaxPoints
			}
		}
		score, err := methodology.ParsePoints(cell(row, ColScore))
		switch {
		case err != nil:
			report(line, ColScore, methodology.ErrBadPoints.Error())
		case max > 0 && (score < 0 || score > max):
			report(line, ColScore, fmt.Sprintf("điểm %s nằm ngoài khoảng 0 đến %s", score, max))
		case max < 0 && (score > 0 || score < max):
			report(line, ColScore, fmt.Sprintf("điểm trừ %s nằm ngoài khoảng %s đến 0", score, max))
		}
		rank, rankErr := optionalInt(cell(row, ColRank))
		if rankErr != nil {
			report(line, ColRank, "xếp hạng phải là số nguyên dương")
		}
		rankOf, rankOfErr := optionalInt(cell(row, ColRankOf))
		switch {
		case rankOfErr != nil:
			report(line, ColRankOf, "tổng số phải là số nguyên dương")
		case rankOf > 0 && rank > rankOf:
			report(line, ColRankOf, fmt.Sprintf("xếp hạng %d lớn hơn tổng số %d", rank, rankOf))
		}
		if err != nil || (nodeCode != "" && node < 0) {
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
	if own.totalRow == 0 && rows > 0 {
		report(0, ColSubjectCode, fmt.Sprintf("không có dòng tổng điểm (mã mục để trống) của đơn vị %s", in.SubjectCode))
	}
	if len(problems) > 0 {
		return Snapshot{}, problems
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
	return snap, nil
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
