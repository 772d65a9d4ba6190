package explanation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NodeFigure is one node of a published result with last year's published figure.
type NodeFigure struct {
	Code          string
	ParentCode    string
	Name          string
	Score         string // decimal text, "" for none
	MaxPoints     string
	PreviousScore string
	Bonus         bool
}

// Fall is a node whose score fell versus the previous year's published figure.
type Fall struct {
	Node NodeFigure
	// Reason is the Vietnamese sentence that goes into the request.
	Reason string
}

// Falls returns the nodes whose published score fell versus the figure published for the
// year before (Art. 14.1: "điểm số ... bị giảm so với số liệu công bố của năm trước liền
// kề"). Points are compared as published, with two decimals; a node without either figure
// (new this year, or not scored) has nothing to compare and is skipped.
func Falls(year int, nodes []NodeFigure) []Fall {
	var out []Fall
	for _, n := range nodes {
		cur, ok1 := Cents(n.Score)
		prev, ok2 := Cents(n.PreviousScore)
		if !ok1 || !ok2 || cur >= prev {
			continue
		}
		out = append(out, Fall{Node: n, Reason: fmt.Sprintf(
			"Điểm số giảm từ %s xuống %s so với số liệu công bố năm %d (%s)",
			n.PreviousScore, n.Score, year-1, BasisScoreFell)})
	}
	return out
}

// OwnIndexCovered says whether the head of a unit whose own index is of subjectKind must
// explain the fallen nodes of that index (Art. 15.7: "Giám đốc Sở, Thủ trưởng ngành, Chủ
// tịch Ủy ban nhân dân cấp huyện chịu trách nhiệm giải trình về … các lĩnh vực, tiêu chí,
// tiêu chí thành phần của cơ quan, đơn vị, địa phương mình"). The provincial index is Art.
// 14.1's, resolved through the matrix. Commune chairmen are not named by Art. 15.7 nor by
// Chapter III at all: they are evaluated on the commune index (Art. 17.2) and sanctioned
// by the district chairman (Art. 19.2), so a commune index that fell opens no request.
func OwnIndexCovered(subjectKind string) bool {
	switch subjectKind {
	case "", "province", "commune":
		return false
	}
	return true
}

// Cents parses a published figure ("12.75", "12,75", "12.7") into hundredths; false when
// empty or not a number.
func Cents(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if f < 0 {
		return int64(f*100 - 0.5), true
	}
	return int64(f*100 + 0.5), true
}

// PublishedResult is one unit's published result as received from PAR scoring.
type PublishedResult struct {
	SnapshotID   string
	Year         int
	SubjectKind  string // e.g. "province", "department", "district", "commune"
	UnitID       string
	Source       string // "appraised" or "imported"
	Decision     string
	PublishTime  time.Time
	Total        string
	MaxPoints    string
	IndexPercent string
	PrevTotal    string
	Rank, RankOf int
	Nodes        []NodeFigure
}
