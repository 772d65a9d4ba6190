package postgres

import (
	"testing"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// TestResultEventsMarkUnknownMaxima: a node whose maximum is unknown (0 in an incomplete
// set, as QĐ 876's fields without a published maximum) goes out as no figure, not as 0 —
// accountability would read any score as at a maximum of 0 (002 Art. 17.1.a).
func TestResultEventsMarkUnknownMaxima(t *testing.T) {
	snap := &results.Snapshot{
		ID: "s", Year: 2025, SubjectKind: "province", MaxPoints: 10000,
		Nodes: []results.Node{{Code: "5", MaxPoints: 650}, {Code: "6", MaxPoints: 0}},
		Subjects: []results.Subject{{
			UnitID: "u", Code: "u", Total: 1000, Rank: 1, RankOf: 1, PrevTotal: results.NoScore,
			Scores: []methodology.Points{600, 500}, Ranks: []int32{1, 1},
			PrevScores: []methodology.Points{results.NoScore, results.NoScore}, PrevRanks: []int32{0, 0},
		}},
	}
	var got *parscoringv1.NodeFigures
	for _, ev := range resultEvents(snap) {
		if m, ok := ev.Msg.(*parscoringv1.SubjectResultPublished); ok {
			got = m.GetNodeFigures()
		}
	}
	if got == nil {
		t.Fatal("no SubjectResultPublished")
	}
	if want := []int64{650, noFigure}; len(got.GetMaxPoints()) != 2 || got.GetMaxPoints()[0] != want[0] || got.GetMaxPoints()[1] != want[1] {
		t.Errorf("max_points = %v, want %v", got.GetMaxPoints(), want)
	}
}
