package results

import (
	"fmt"
	"strings"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Correction (đính chính) changes leaf scores of some units of a published computed
// snapshot. Everything else is computed again: totals, ranks of every unit of the peer
// groups, grades and peer sums.
type Correction struct {
	// Reason is required: a published figure changes only for a stated reason.
	Reason string
	// Actor is who corrects.
	Actor string
	// Decision is the correcting decision; empty keeps the snapshot's.
	Decision string
	// Grades are the groups to grade with; empty keeps the snapshot's (or the defaults when
	// the snapshot's are not known).
	Grades []Grade
	// Subjects are the units whose scores change.
	Subjects []CorrectedSubject
}

// CorrectedSubject is one unit's corrected leaf scores; its other leaves keep theirs.
type CorrectedSubject struct {
	UnitID string
	Scores []ItemScore
}

// Correct computes the version that supersedes old (with its subjects) on the criteria
// set old was computed on. The result has no id, time or previous-year figures yet, like
// Compute's. Only the latest version of a computed snapshot is corrected; every problem of
// the correction is reported with its path in the request, and a correction that changes no
// score is refused.
func Correct(old *Snapshot, set methodology.CriteriaSet, c Correction) (Snapshot, error) {
	switch {
	case old.Source != SourceAppraised:
		return Snapshot{}, ErrNotCorrectable
	case old.SupersededByID != "":
		return Snapshot{}, ErrSuperseded
	}
	var bad methodology.ValidationErrors
	add := func(field, reason string) {
		bad = append(bad, methodology.ValidationError{Field: field, Reason: reason})
	}
	c.Reason = strings.TrimSpace(c.Reason)
	if c.Reason == "" {
		add("reason", "cần nêu lý do đính chính")
	}
	nodeOf := make(map[string]int, len(old.Nodes))
	for i, n := range old.Nodes {
		nodeOf[n.Code] = i
	}
	leaf := make(map[string]methodology.Node, len(set.Nodes))
	for _, n := range set.Leaves() {
		leaf[n.Code] = n
	}
	subjectOf := make(map[string]int, len(old.Subjects))
	for k, sub := range old.Subjects {
		subjectOf[sub.UnitID] = k
	}

	// Start from the published leaf scores; apply the corrections over them.
	scores := make([][]methodology.Points, len(old.Subjects))
	for k, sub := range old.Subjects {
		scores[k] = append([]methodology.Points(nil), sub.Scores...)
	}
	seen := make(map[string]int, len(c.Subjects))
	changed := 0
	var units []string
	for k, cs := range c.Subjects {
		sk, ok := subjectOf[cs.UnitID]
		if !ok || cs.UnitID == "" {
			add(fmt.Sprintf("subjects[%d].unit_id", k), "đơn vị không có trong kết quả được đính chính")
			continue
		}
		if j, dup := seen[cs.UnitID]; dup {
			add(fmt.Sprintf("subjects[%d].unit_id", k), fmt.Sprintf("đơn vị trùng với subjects[%d]", j))
			continue
		}
		seen[cs.UnitID] = k
		given := map[string]bool{}
		before := changed
		for j, sc := range cs.Scores {
			field := fmt.Sprintf("subjects[%d].scores[%d]", k, j)
			n, isLeaf := leaf[sc.Code]
			i, inSnapshot := nodeOf[sc.Code]
			switch {
			case !isLeaf || !inSnapshot:
				add(field+".code", fmt.Sprintf("không có mục lá mã %q trong bộ tiêu chí của kết quả", sc.Code))
				continue
			case given[sc.Code]:
				add(field+".code", fmt.Sprintf("mục %q được đính chính hai lần", sc.Code))
				continue
			}
			given[sc.Code] = true
			if max := n.MaxPoints; (max > 0 && (sc.Score < 0 || sc.Score > max)) || (max < 0 && (sc.Score > 0 || sc.Score < max)) {
				add(field+".score", fmt.Sprintf("điểm %s của mục %s nằm ngoài khoảng cho phép (tối đa %s)", sc.Score, sc.Code, max))
				continue
			}
			if scores[sk][i] != sc.Score {
				scores[sk][i] = sc.Score
				changed++
			}
		}
		if changed > before {
			units = append(units, cs.UnitID)
		}
	}
	if len(bad) == 0 && changed == 0 {
		add("subjects", "không có điểm nào khác với kết quả đã công bố")
	}
	if len(bad) > 0 {
		return Snapshot{}, bad
	}

	inputs := make([]SubjectInput, len(old.Subjects))
	for k, sub := range old.Subjects {
		in := SubjectInput{UnitID: sub.UnitID, Name: sub.Name, PeerGroup: sub.PeerGroup, Scores: make([]ItemScore, 0, len(leaf))}
		for code := range leaf {
			if i, ok := nodeOf[code]; ok && scores[k][i] != NoScore {
				in.Scores = append(in.Scores, ItemScore{Code: code, Score: scores[k][i]})
			}
		}
		inputs[k] = in
	}
	grades := c.Grades
	if len(grades) == 0 {
		grades = old.Grades
	}
	snap, err := Compute(set, inputs, grades)
	if err != nil {
		return Snapshot{}, fmt.Errorf("correct %s: %w", old, err)
	}
	snap.Year, snap.Decision = old.Year, old.Decision
	if c.Decision != "" {
		snap.Decision = c.Decision
	}
	snap.Version, snap.SupersedesID = old.Version+1, old.ID
	snap.CorrectionReason, snap.CorrectedBy, snap.CorrectedUnits = c.Reason, c.Actor, units
	return snap, nil
}
