// Package results holds published PAR index results (công bố kết quả): the computation of
// totals, component indexes, ranks within peer groups, grade groups and year-on-year changes
// from leaf scores, and the immutable snapshot that freezes them (DOMAIN.md, "The PAR index
// and scoring").
//
// Arithmetic is exact: scores are methodology.Points (integer hundredths), totals are sums of
// unrounded parts, and ratios (index %) are rounded once, half away from zero, from integers.
// It imports only the standard library and the methodology package.
package results

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// NoScore marks a node without a figure (not scored, or no previous year).
const NoScore methodology.Points = -1 << 62

// Source says who made a snapshot official.
type Source string

// The sources of a snapshot.
const (
	// SourceAppraised: computed here from appraised scores and published by the province.
	SourceAppraised Source = "appraised"
	// SourceImported: published by another body (the Ministry) and imported as published.
	SourceImported Source = "imported"
)

// Errors the use cases return; the gRPC layer picks a status code for each.
var (
	// ErrNotFound means no published snapshot holds what was asked.
	ErrNotFound = errors.New("không tìm thấy kết quả đã công bố")
	// ErrAlreadyPublished means a snapshot for the year and subject kind exists: published
	// results are frozen and never replaced.
	ErrAlreadyPublished = errors.New("kết quả của năm và loại đơn vị này đã được công bố, không thể công bố lại; nếu cần sửa, hãy đính chính kết quả")
	// ErrSuperseded means a correction already replaced this snapshot: only the latest
	// version of a year's results is corrected.
	ErrSuperseded = errors.New("kết quả này đã được đính chính bằng một phiên bản mới hơn; hãy đính chính phiên bản mới nhất")
	// ErrNotCorrectable means the snapshot was imported as another body published it: its
	// figures are that body's, not computed here.
	ErrNotCorrectable = errors.New("chỉ đính chính được kết quả do tỉnh tính và công bố; kết quả nhập từ văn bản của cơ quan khác giữ nguyên như đã công bố")
)

// Node is a node of the tree a snapshot was scored on, copied from the criteria set so that
// a snapshot reads alone even if methodologies are later added.
type Node struct {
	Code       string
	ParentCode string
	Name       string
	MaxPoints  methodology.Points
	Bonus      bool
}

// Subject is one scored unit's frozen results. Slices are indexed like Snapshot.Nodes.
type Subject struct {
	// UnitID is the directory id; empty for a subject kept only for rank context (another
	// province in an imported file).
	UnitID string
	// Code identifies the subject in the snapshot: the unit id for computed results, the
	// code of the file for imports.
	Code      string
	Name      string
	PeerGroup string
	Total     methodology.Points
	Rank      int
	RankOf    int
	Grade     string
	// PrevTotal and PrevRank are last year's published figures (NoScore / 0 when none).
	PrevTotal methodology.Points
	PrevRank  int
	// Scores per node (NoScore when the node has no figure), ranks per node (0: not ranked).
	Scores     []methodology.Points
	Ranks      []int32
	PrevScores []methodology.Points
	PrevRanks  []int32
}

// PeerStats are per-node sums and counts of a peer group, kept to compare with the mean
// exactly (score × count < sum) without a rounded mean.
type PeerStats struct {
	PeerGroup string
	Sums      []int64
	Counts    []int32
}

// Mean returns the group's mean at node i rounded to hundredths, or NoScore.
func (p PeerStats) Mean(i int) methodology.Points {
	if p.Counts[i] == 0 {
		return NoScore
	}
	return methodology.Points(divRound(p.Sums[i], int64(p.Counts[i])))
}

// BelowMean reports whether score is strictly below the group's exact mean at node i.
func (p PeerStats) BelowMean(i int, score methodology.Points) bool {
	return p.Counts[i] > 0 && score != NoScore && int64(score)*int64(p.Counts[i]) < p.Sums[i]
}

// Snapshot is one published set of results: immutable once stored.
type Snapshot struct {
	ID             string
	Year           int
	SubjectKind    string
	CriteriaSetID  string
	Source         Source
	Decision       string
	PublishTime    time.Time
	MaxPoints      methodology.Points
	PrevSnapshotID string
	Nodes          []Node
	Subjects       []Subject
	Peers          []PeerStats
	// Version counts the year's publications of the kind: 1, then +1 per correction.
	Version int
	// SupersedesID is the version this one corrects; empty for a first publication.
	SupersedesID string
	// SupersededByID is the version that corrected this one; empty while it is the latest.
	SupersededByID string
	// CorrectionReason and CorrectedBy say why and by whom a correction was made.
	CorrectionReason, CorrectedBy string
	// Grades are the groups the subjects were graded with; nil when not known (snapshots
	// published before they were kept, imports).
	Grades []Grade
	// CorrectedUnits are the units whose scores a correction changed, known only while
	// publishing it.
	CorrectedUnits []string
	// prevNodeMax holds last year's maximum per node, known only while publishing.
	prevNodeMax []methodology.Points
}

// PrevNodeMax returns last year's maximum of node i, or NoScore when unknown.
func (s *Snapshot) PrevNodeMax(i int) methodology.Points {
	if s.prevNodeMax == nil {
		return NoScore
	}
	return s.prevNodeMax[i]
}

// NodeIndex returns the index of the node with code, or -1.
func (s *Snapshot) NodeIndex(code string) int {
	for i, n := range s.Nodes {
		if n.Code == code {
			return i
		}
	}
	return -1
}

// Grade is a grade group: subjects whose index reaches MinPercent (hundredths of a percent).
type Grade struct {
	Label      string
	MinPercent int64
}

// DefaultGrades are the groups of DOMAIN.md "Reference facts": A ≥ 90 %, B 80 to < 90 %,
// C 70 to < 80 %; below 70 % is D.
var DefaultGrades = []Grade{{"A", 9000}, {"B", 8000}, {"C", 7000}, {"D", 0}}

// GradeOf returns the label of the highest group whose threshold the index reaches.
func GradeOf(grades []Grade, indexHundredths int64) string {
	for _, g := range grades {
		if indexHundredths >= g.MinPercent {
			return g.Label
		}
	}
	return ""
}

// IndexPercent returns score / max × 100 in hundredths of a percent, rounded half away from
// zero (88.555… → 88.56); NoScore when either is missing or max is zero.
func IndexPercent(score, max methodology.Points) methodology.Points {
	if score == NoScore || max == NoScore || max == 0 {
		return NoScore
	}
	return methodology.Points(divRound(int64(score)*10000, int64(max)))
}

// divRound divides rounding half away from zero.
func divRound(a, b int64) int64 {
	if b < 0 {
		a, b = -a, -b
	}
	q, r := a/b, a%b
	if 2*abs(r) >= b {
		if a < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Format writes points with two decimals like methodology.Points.String, or "" for
// NoScore. It avoids fmt: a publication formats millions of figures for its events.
func Format(p methodology.Points) string {
	if p == NoScore {
		return ""
	}
	v := int64(p)
	var buf [24]byte
	b := buf[:0]
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.', byte('0'+v%100/10), byte('0'+v%10))
	return string(b)
}

// Change returns cur − prev, or NoScore when either is missing.
func Change(cur, prev methodology.Points) methodology.Points {
	if cur == NoScore || prev == NoScore {
		return NoScore
	}
	return cur - prev
}

// RankChange returns prev − cur (positive: moved up), or 0 when either is not ranked.
func RankChange(cur, prev int) int {
	if cur == 0 || prev == 0 {
		return 0
	}
	return prev - cur
}

// competitionRanks ranks the subjects idx by score, highest first; equal scores share a
// rank and the next rank skips (1, 2, 2, 4). Subjects whose score is NoScore are not ranked
// (set is not called for them). It returns how many were ranked.
func competitionRanks(idx []int, score func(k int) methodology.Points, set func(k, rank int)) int {
	// Scores are read once into the slice sorted: a publication sorts 10,000 subjects at
	// every one of a hundred nodes, and comparing through score() cost most of Compute.
	type scoredSubject struct {
		score methodology.Points
		k     int
	}
	scored := make([]scoredSubject, 0, len(idx))
	for _, k := range idx {
		if sc := score(k); sc != NoScore {
			scored = append(scored, scoredSubject{sc, k})
		}
	}
	slices.SortFunc(scored, func(a, b scoredSubject) int { return cmp.Compare(b.score, a.score) })
	rank := 0
	for pos, s := range scored {
		if pos == 0 || scored[pos-1].score != s.score {
			rank = pos + 1
		}
		set(s.k, rank)
	}
	return len(scored)
}

// ApplyPrevious fills the previous-year figures of every subject from prev (nil: none),
// matching subjects by unit id (else by code) and nodes by code.
func (s *Snapshot) ApplyPrevious(prev *Snapshot) {
	for k := range s.Subjects {
		sub := &s.Subjects[k]
		sub.PrevTotal, sub.PrevRank = NoScore, 0
		sub.PrevScores = make([]methodology.Points, len(s.Nodes))
		sub.PrevRanks = make([]int32, len(s.Nodes))
		for i := range sub.PrevScores {
			sub.PrevScores[i] = NoScore
		}
	}
	if prev == nil {
		return
	}
	s.PrevSnapshotID = prev.ID
	byUnit := make(map[string]int, len(prev.Subjects))
	byCode := make(map[string]int, len(prev.Subjects))
	for k, p := range prev.Subjects {
		if p.UnitID != "" {
			byUnit[p.UnitID] = k
		}
		byCode[p.Code] = k
	}
	nodeMap := make([]int, len(s.Nodes))
	s.prevNodeMax = make([]methodology.Points, len(s.Nodes))
	prevIdx := make(map[string]int, len(prev.Nodes))
	for i, n := range prev.Nodes {
		prevIdx[n.Code] = i
	}
	for i, n := range s.Nodes {
		j, ok := prevIdx[n.Code]
		s.prevNodeMax[i] = NoScore
		if !ok {
			j = -1
		} else {
			s.prevNodeMax[i] = prev.Nodes[j].MaxPoints
		}
		nodeMap[i] = j
	}
	for k := range s.Subjects {
		sub := &s.Subjects[k]
		pk, ok := -1, false
		if sub.UnitID != "" {
			pk, ok = byUnit[sub.UnitID]
		}
		if !ok {
			pk, ok = byCode[sub.Code]
		}
		if !ok {
			continue
		}
		p := prev.Subjects[pk]
		sub.PrevTotal, sub.PrevRank = p.Total, p.Rank
		for i, j := range nodeMap {
			if j >= 0 {
				sub.PrevScores[i] = p.Scores[j]
				sub.PrevRanks[i] = p.Ranks[j]
			}
		}
	}
}

// computePeers fills the per-node sums and counts of every peer group.
func (s *Snapshot) computePeers() {
	groups := map[string]int{}
	s.Peers = nil
	for _, sub := range s.Subjects {
		g, ok := groups[sub.PeerGroup]
		if !ok {
			g = len(s.Peers)
			groups[sub.PeerGroup] = g
			s.Peers = append(s.Peers, PeerStats{PeerGroup: sub.PeerGroup, Sums: make([]int64, len(s.Nodes)), Counts: make([]int32, len(s.Nodes))})
		}
		ps := &s.Peers[g]
		for i, v := range sub.Scores {
			if v != NoScore {
				ps.Sums[i] += int64(v)
				ps.Counts[i]++
			}
		}
	}
}

// Peer returns the stats of a peer group.
func (s *Snapshot) Peer(group string) (PeerStats, bool) {
	for _, p := range s.Peers {
		if p.PeerGroup == group {
			return p, true
		}
	}
	return PeerStats{}, false
}

// String names the snapshot in errors and logs.
func (s *Snapshot) String() string {
	return fmt.Sprintf("%d/%s/%s", s.Year, s.SubjectKind, s.Source)
}
