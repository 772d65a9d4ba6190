package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// SurveyImport is what ImportSurveyScores found and did.
type SurveyImport struct {
	// Problems lists every problem; when not empty nothing was stored.
	Problems []results.Problem
	// Rows is the number of scores read.
	Rows int
	// Imported says whether the scores were stored.
	Imported bool
}

// surveyColumns are the columns of a survey-score table, by key, with the headers accepted
// (compared after vntext.Fold).
var surveyColumns = []struct {
	key     string
	headers []string
}{
	{"unit_code", []string{"unit_code", "ma don vi", "don vi"}},
	{"code", []string{"code", "ma muc", "ma tieu chi", "tieu chi"}},
	{"score", []string{"score", "diem"}},
}

// ImportSurveyScores reads survey-sourced scores (điểm điều tra xã hội học) per item per
// unit from a table with columns unit_code, code, score, and unless it is a dry run or a
// problem was found, stores them all in one transaction. Every row is checked: the unit is
// a subject of the round and not finalised, the item is a survey or imported leaf, the
// score fits its range, and no unit and item appear twice.
func (s *Assessments) ImportSurveyScores(ctx context.Context, roundID string, format FileFormat, content []byte, dryRun bool, actor string) (SurveyImport, error) {
	r, err := s.Round(ctx, roundID)
	if err != nil {
		return SurveyImport{}, err
	}
	set, err := s.sets.CriteriaSet(ctx, r.CriteriaSetID)
	if err != nil {
		return SurveyImport{}, fmt.Errorf("criteria set of round %s: %w", r.ID, err)
	}
	table, err := readTable(format, content)
	if err != nil {
		return SurveyImport{Problems: []results.Problem{{Message: "không đọc được tệp: " + err.Error()}}}, nil
	}
	scores, problems := surveyRows(table, r, set)
	out := SurveyImport{Problems: problems, Rows: len(scores)}
	if len(problems) > 0 || dryRun {
		return out, nil
	}
	if err := s.store.ApplySurveyScores(ctx, roundID, scores, actor, s.clock()); err != nil {
		if errors.Is(err, assessment.ErrWrongState) {
			// Finalised between the check and the write.
			return SurveyImport{Problems: []results.Problem{{Message: err.Error()}}, Rows: len(scores)}, nil
		}
		return SurveyImport{}, fmt.Errorf("import survey scores: %w", err)
	}
	out.Imported = true
	return out, nil
}

// surveyRows checks a table and returns its scores and every problem.
func surveyRows(table [][]string, r assessment.Round, set methodology.CriteriaSet) ([]SurveyScore, []results.Problem) {
	var problems []results.Problem
	if len(table) == 0 {
		return nil, []results.Problem{{Message: "tệp trống"}}
	}
	col := map[string]int{}
	for j, h := range table[0] {
		f := vntext.Fold(h)
		for _, c := range surveyColumns {
			for _, name := range c.headers {
				if f == name {
					col[c.key] = j
				}
			}
		}
	}
	for _, c := range surveyColumns {
		if _, ok := col[c.key]; !ok {
			problems = append(problems, results.Problem{Row: 1, Column: c.key, Message: "thiếu cột bắt buộc"})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	units := map[string]assessment.Subject{}
	for _, u := range r.Subjects {
		units[vntext.Fold(u.UnitCode)] = u
	}
	leaves := map[string]methodology.Node{}
	for _, n := range set.Leaves() {
		leaves[n.Code] = n
	}
	seen := map[[2]string]int{}
	var scores []SurveyScore
	for i, row := range table[1:] {
		rowNo := i + 2
		cell := func(key string) string {
			if j := col[key]; j < len(row) {
				return row[j]
			}
			return ""
		}
		if len(row) == 0 || (cell("unit_code") == "" && cell("code") == "" && cell("score") == "") {
			continue
		}
		bad := func(column, msg string) {
			problems = append(problems, results.Problem{Row: rowNo, Column: column, Message: msg})
		}
		u, ok := units[vntext.Fold(cell("unit_code"))]
		switch {
		case !ok:
			bad("unit_code", fmt.Sprintf("đơn vị %q không thuộc đợt đánh giá", cell("unit_code")))
		case u.State == assessment.StateFinalised:
			bad("unit_code", fmt.Sprintf("kết quả của %s đã chốt", u.UnitName))
		}
		code := vntext.NFC(cell("code"))
		n, isLeaf := leaves[code]
		switch {
		case !isLeaf:
			bad("code", fmt.Sprintf("không có mục lá mã %q", code))
		case n.PointSource == methodology.SourceAppraised:
			bad("code", fmt.Sprintf("mục %s lấy điểm từ thẩm định, không nhập từ điều tra", code))
		}
		score, err := methodology.ParsePoints(cell("score"))
		if err != nil {
			bad("score", methodology.ErrBadPoints.Error())
		} else if isLeaf {
			if err := assessment.CheckRange(n, score); err != nil {
				bad("score", err.Error())
			}
		}
		key := [2]string{u.UnitID, code}
		if first, dup := seen[key]; dup && ok {
			bad("code", fmt.Sprintf("đơn vị và mục này đã có ở dòng %d", first))
		} else {
			seen[key] = rowNo
		}
		scores = append(scores, SurveyScore{UnitID: u.UnitID, Code: code, Score: score})
	}
	if len(scores) == 0 && len(problems) == 0 {
		problems = append(problems, results.Problem{Message: "tệp không có dòng điểm nào"})
	}
	return scores, problems
}
