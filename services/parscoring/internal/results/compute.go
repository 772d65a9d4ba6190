package results

import (
	"fmt"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// ItemScore is the score given to one leaf item.
type ItemScore struct {
	Code  string
	Score methodology.Points
}

// SubjectInput is one unit's leaf scores to publish.
type SubjectInput struct {
	UnitID string
	Name   string
	// PeerGroup is the group ranked together; empty means the subject kind.
	PeerGroup string
	Scores    []ItemScore
}

// Compute builds a snapshot (without id, time or previous-year figures) from leaf scores on
// a criteria set: node scores bottom-up as exact sums of their children (bonus items add,
// penalty items subtract), totals as the sum of the fields, ranks per node and for the
// total within each peer group, grades from the total's index, and the peer groups' sums.
//
// Every ordinary leaf needs a score between 0 and its maximum (between its negative maximum
// and 0 for a penalty); a missing bonus or penalty leaf counts as 0. Every problem is
// reported, as methodology.ValidationErrors with paths like "subjects[3].scores[2].score".
func Compute(set methodology.CriteriaSet, subjects []SubjectInput, grades []Grade) (Snapshot, error) {
	if set.Incomplete() {
		return Snapshot{}, methodology.ValidationErrors{{Field: "criteria_set_id",
			Reason: "bộ tiêu chí chưa đầy đủ (có mục chưa biết điểm tối đa): không tính được kết quả, chỉ nhập được kết quả đã công bố"}}
	}
	if len(grades) == 0 {
		grades = DefaultGrades
	}
	snap := Snapshot{
		Year:          set.Year,
		SubjectKind:   set.SubjectKind,
		CriteriaSetID: set.ID,
		Source:        SourceAppraised,
		MaxPoints:     set.MaxPoints,
		Nodes:         make([]Node, len(set.Nodes)),
		Grades:        grades,
		Version:       1,
	}
	index := make(map[string]int, len(set.Nodes))
	parent := make([]int, len(set.Nodes))
	isLeaf := make([]bool, len(set.Nodes))
	for i, n := range set.Nodes {
		snap.Nodes[i] = Node{Code: n.Code, ParentCode: n.ParentCode, Name: n.Name, MaxPoints: n.MaxPoints, Bonus: n.Bonus}
		index[n.Code] = i
		isLeaf[i] = true
	}
	var roots []int
	for i, n := range set.Nodes {
		parent[i] = -1
		if n.ParentCode == "" {
			roots = append(roots, i)
			continue
		}
		parent[i] = index[n.ParentCode] // a stored set is valid: parents exist and come first
		isLeaf[parent[i]] = false
	}

	var bad methodology.ValidationErrors
	add := func(field, reason string) {
		bad = append(bad, methodology.ValidationError{Field: field, Reason: reason})
	}
	seenUnit := make(map[string]int, len(subjects))
	snap.Subjects = make([]Subject, len(subjects))
	given := make([]bool, len(set.Nodes))
	for k, in := range subjects {
		if j, dup := seenUnit[in.UnitID]; dup {
			add(fmt.Sprintf("subjects[%d].unit_id", k), fmt.Sprintf("đơn vị trùng với subjects[%d]", j))
		}
		seenUnit[in.UnitID] = k
		sub := Subject{UnitID: in.UnitID, Code: in.UnitID, Name: in.Name, PeerGroup: in.PeerGroup,
			Scores: make([]methodology.Points, len(set.Nodes)), Ranks: make([]int32, len(set.Nodes))}
		if sub.PeerGroup == "" {
			sub.PeerGroup = set.SubjectKind
		}
		clear(given)
		for j, sc := range in.Scores {
			// Formatted only for a problem: a million scores are published at once.
			field := func(name string) string { return fmt.Sprintf("subjects[%d].scores[%d].%s", k, j, name) }
			i, ok := index[sc.Code]
			switch {
			case !ok:
				add(field("code"), fmt.Sprintf("bộ tiêu chí không có mục %q", sc.Code))
				continue
			case !isLeaf[i]:
				add(field("code"), fmt.Sprintf("mục %q có mục con: chỉ chấm điểm ở mục lá, điểm mục cha là tổng", sc.Code))
				continue
			case given[i]:
				add(field("code"), fmt.Sprintf("mục %q được chấm hai lần", sc.Code))
				continue
			}
			given[i] = true
			max := set.Nodes[i].MaxPoints
			if (max > 0 && (sc.Score < 0 || sc.Score > max)) || (max < 0 && (sc.Score > 0 || sc.Score < max)) {
				add(field("score"), fmt.Sprintf("điểm %s của mục %s nằm ngoài khoảng cho phép (tối đa %s)", sc.Score, sc.Code, max))
				continue
			}
			sub.Scores[i] = sc.Score
		}
		for i, n := range set.Nodes {
			if isLeaf[i] && !given[i] && !n.Bonus && n.MaxPoints > 0 {
				add(fmt.Sprintf("subjects[%d].scores", k), fmt.Sprintf("thiếu điểm mục %s", n.Code))
			}
		}
		// Children come after their parents, so one backward pass adds every node into its
		// parent after the node's own children were added into it.
		for i := len(set.Nodes) - 1; i >= 0; i-- {
			if p := parent[i]; p >= 0 {
				sub.Scores[p] += sub.Scores[i]
			}
		}
		for _, r := range roots {
			sub.Total += sub.Scores[r]
		}
		sub.Grade = GradeOf(grades, int64(IndexPercent(sub.Total, set.MaxPoints)))
		snap.Subjects[k] = sub
	}
	if len(bad) > 0 {
		return Snapshot{}, bad
	}
	snap.rank()
	snap.computePeers()
	return snap, nil
}

// rank fills every subject's total rank and per-node ranks within its peer group.
func (s *Snapshot) rank() {
	groups := map[string][]int{}
	var order []string
	for k, sub := range s.Subjects {
		if _, ok := groups[sub.PeerGroup]; !ok {
			order = append(order, sub.PeerGroup)
		}
		groups[sub.PeerGroup] = append(groups[sub.PeerGroup], k)
	}
	subs := s.Subjects
	for _, g := range order {
		idx := groups[g]
		n := competitionRanks(idx, func(k int) methodology.Points { return subs[k].Total }, func(k, r int) { subs[k].Rank = r })
		for _, k := range idx {
			subs[k].RankOf = n
		}
		for i := range s.Nodes {
			competitionRanks(idx, func(k int) methodology.Points { return subs[k].Scores[i] }, func(k, r int) { subs[k].Ranks[i] = int32(r) }) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
	}
}
