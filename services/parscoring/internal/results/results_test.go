package results

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

func TestCompetitionRanksShareTies(t *testing.T) {
	scores := []methodology.Points{9000, 8500, 8500, 7500, NoScore, 8500}
	ranks := make([]int, len(scores))
	n := competitionRanks([]int{0, 1, 2, 3, 4, 5}, func(k int) methodology.Points { return scores[k] }, func(k, r int) { ranks[k] = r })
	if n != 5 {
		t.Errorf("ranked %d, want 5 (one without a score)", n)
	}
	if diff := cmp.Diff([]int{1, 2, 2, 5, 0, 2}, ranks); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
}

func TestIndexPercentRoundsOnceHalfAwayFromZero(t *testing.T) {
	tests := []struct{ score, max, want string }{
		{"88.56", "100", "88.56"},
		{"4", "6", "66.67"},
		{"12.75", "13", "98.08"},
		{"10.18", "10.5", "96.95"}, // 96.952…
		{"0.01", "8", "0.13"},      // 0.125 rounds up
		{"-0.01", "8", "-0.13"},
	}
	for _, tt := range tests {
		got := IndexPercent(methodology.MustParsePoints(tt.score), methodology.MustParsePoints(tt.max))
		if got.String() != tt.want {
			t.Errorf("IndexPercent(%s, %s) = %s, want %s", tt.score, tt.max, got, tt.want)
		}
	}
}

func TestComputeSumsBeforeRoundingAndComparesWithLastYear(t *testing.T) {
	set := methodology.CriteriaSet{ID: "s", Year: 2024, SubjectKind: "district", MaxPoints: methodology.MustParsePoints("10"),
		Nodes: []methodology.Node{
			{Code: "1", Name: "Lĩnh vực 1", MaxPoints: methodology.MustParsePoints("10")},
			{Code: "1.1", ParentCode: "1", Name: "a", MaxPoints: methodology.MustParsePoints("3.33")},
			{Code: "1.2", ParentCode: "1", Name: "b", MaxPoints: methodology.MustParsePoints("3.33")},
			{Code: "1.3", ParentCode: "1", Name: "c", MaxPoints: methodology.MustParsePoints("3.34")},
			{Code: "K", Name: "Điểm khuyến khích", MaxPoints: methodology.MustParsePoints("1"), Bonus: true},
		}}
	p := methodology.MustParsePoints
	in := []SubjectInput{
		{UnitID: "x", Scores: []ItemScore{{"1.1", p("3.33")}, {"1.2", p("3.33")}, {"1.3", p("3.33")}, {"K", p("0.5")}}},
		{UnitID: "y", Scores: []ItemScore{{"1.1", p("3.33")}, {"1.2", p("3.33")}, {"1.3", p("3.34")}}},
	}
	snap, err := Compute(set, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, y := snap.Subjects[0], snap.Subjects[1]
	if x.Total != p("10.49") || y.Total != p("10") || x.Scores[0] != p("9.99") || x.Rank != 1 || y.Rank != 2 || x.Grade != "A" {
		t.Errorf("x total %s rank %d, y total %s rank %d", x.Total, x.Rank, y.Total, y.Rank)
	}
	if y.Scores[4] != 0 || y.Ranks[4] != 2 {
		t.Errorf("a bonus not given counts as 0: %s rank %d", y.Scores[4], y.Ranks[4])
	}

	prev := snap
	prev.ID = "prev"
	next, err := Compute(set, []SubjectInput{
		{UnitID: "x", Scores: []ItemScore{{"1.1", p("3")}, {"1.2", p("3.33")}, {"1.3", p("3.34")}}},
		{UnitID: "y", Scores: []ItemScore{{"1.1", p("3.33")}, {"1.2", p("3.33")}, {"1.3", p("3.34")}, {"K", p("1")}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	next.ApplyPrevious(&prev)
	nx, ny := next.Subjects[0], next.Subjects[1]
	if Change(nx.Scores[1], nx.PrevScores[1]) != p("-0.33") || RankChange(ny.Rank, ny.PrevRank) != 1 || RankChange(nx.Rank, nx.PrevRank) != -1 ||
		next.PrevSnapshotID != "prev" || next.PrevNodeMax(1) != p("3.33") {
		t.Errorf("changes: x 1.1 %s→%s, y rank %d→%d", nx.PrevScores[1], nx.Scores[1], ny.PrevRank, ny.Rank)
	}
}

func TestFormatMatchesPointsString(t *testing.T) {
	for _, v := range []methodology.Points{0, 1, 9, 10, 99, 100, 1450, -50, -1, -12345, methodology.MaxAbsPoints} {
		if got, want := Format(v), v.String(); got != want {
			t.Errorf("Format(%d) = %q, want %q", v, got, want)
		}
	}
	if Format(NoScore) != "" {
		t.Error("NoScore must format as empty")
	}
}
