package events

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
)

// The same result in both shapes PAR scoring has written reads the same: one NodeResult of
// decimal strings per node (before node_figures), and NodeFigures' columns of hundredths.
func TestResultFromProtoShapes(t *testing.T) {
	const none = int64(parscoringv1.NodeFigures_MARKER_NO_FIGURE)
	head := func() *parscoringv1.SubjectResultPublished {
		return &parscoringv1.SubjectResultPublished{SnapshotId: "s", Year: 2024, SubjectKind: "province", UnitId: "U", Total: "85.10",
			PublishTime: timestamppb.New(time.Date(2025, 5, 10, 3, 0, 0, 0, time.UTC))}
	}
	old := head()
	old.Nodes = []*parscoringv1.NodeResult{
		{Code: "3", Score: "12.00", MaxPoints: "13.00", PreviousScore: "12.75"},
		{Code: "3.1", ParentCode: "3", Score: "4.00", MaxPoints: "4.00", PreviousScore: "4.00"},
		{Code: "3.2", ParentCode: "3", Score: "0.05", MaxPoints: "1.00", PreviousScore: ""},
		{Code: "9", Score: "-0.50", MaxPoints: "-2.00", PreviousScore: "-1.25", Bonus: true},
		{Code: "10", Score: "", MaxPoints: "2.00", PreviousScore: "2.00"},
	}
	cols := head()
	cols.NodeFigures = &parscoringv1.NodeFigures{
		Codes: []string{"3", "3.1", "3.2", "9", "10"}, ParentCodes: []string{"", "3", "3", "", ""},
		Bonus: []bool{false, false, false, true, false}, MaxPoints: []int64{1300, 400, 100, -200, 200},
		Scores: []int64{1200, 400, 5, -50, none}, PreviousScores: []int64{1275, 400, none, -125, 200},
	}
	want := resultFromProto(old)
	if diff := cmp.Diff(want, resultFromProto(cols)); diff != "" {
		t.Errorf("columns read differently from NodeResults (-old +columns):\n%s", diff)
	}
	if want.Nodes[0].PreviousScore != "12.75" || want.Nodes[2].Score != "0.05" {
		t.Errorf("nodes %v", want.Nodes)
	}

	// A unit published for the first time: no previous column at all.
	first := head()
	first.NodeFigures = &parscoringv1.NodeFigures{Codes: []string{"3"}, ParentCodes: []string{""}, Bonus: []bool{false},
		MaxPoints: []int64{1300}, Scores: []int64{1200}}
	if n := resultFromProto(first).Nodes; len(n) != 1 || n[0].PreviousScore != "" || n[0].Score != "12.00" {
		t.Errorf("first publication nodes %v", n)
	}
}
