package server_test

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// provincial2024Columns is provincial2024 as PAR scoring now writes it: the node figures as
// NodeFigures columns of hundredths, no NodeResult list.
func provincial2024Columns() *parscoringv1.SubjectResultPublished {
	ev := provincial2024()
	f := &parscoringv1.NodeFigures{}
	for _, n := range ev.GetNodes() {
		f.Codes = append(f.Codes, n.GetCode())
		f.ParentCodes = append(f.ParentCodes, n.GetParentCode())
		f.Bonus = append(f.Bonus, n.GetBonus())
	}
	f.MaxPoints = []int64{1300, 400, 1650, 200}
	f.Scores = []int64{1200, 400, 1300, 100}
	f.PreviousScores = []int64{1275, 400, 1400, 200}
	ev.Nodes, ev.NodeFigures = nil, f
	return ev
}

// TestNodeFiguresTrigger: the Art. 14.1 trigger reads the columns as it read the NodeResult
// list, and a result delivered in both shapes (an event written before the change, then a
// republication after it) opens one request per fallen node and unit.
func TestNodeFiguresTrigger(t *testing.T) {
	h := start(t, startDirectory(t, thaiBinhDirectory()))
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	if _, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
		ProvinceUnitId: province, Year: 2024, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
	}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
	publishResult(t, h.js, uuid.NewString(), provincial2024Columns())
	if es := waitExplanations(t, h, secretariat, 2024, 2); len(es) != 2 {
		t.Fatalf("from the columns alone: %d requests, want 2 (nodes 3 and 8)", len(es))
	}
	publishResult(t, h.js, uuid.NewString(), provincial2024())
	publishResult(t, h.js, uuid.NewString(), provincial2024Columns())
	if n := countEvents(t, h.js, "accountability.v1.explanation.requested", 2); n != 2 {
		t.Errorf("%d ExplanationRequested events, want 2", n)
	}
	es := waitExplanations(t, h, secretariat, 2024, 2)
	got := map[string][2]string{}
	for _, e := range es {
		got[e.GetNodeCode()] = [2]string{e.GetScore(), e.GetPreviousScore()}
	}
	if len(es) != 2 || got["3"] != [2]string{"12.00", "12.75"} || got["8"] != [2]string{"13.00", "14.00"} {
		t.Errorf("explanations (node: score, previous) = %v", got)
	}
}
