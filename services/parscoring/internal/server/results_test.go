package server_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// asUnit returns a context with a token of a unit's staff.
func (h *harness) asUnit(t *testing.T, unitID string) context.Context {
	t.Helper()
	ctx := h.as(t)
	tok := authtest.Token(t, h.signer, auth.Principal{UserID: "u-" + unitID, Name: "Trần Thị B", UnitID: unitID, Roles: []string{auth.RoleUnitStaff}})
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// departmentSet is a small department index: field 1 (10 points: 1.1 of 6, 1.2 of 4) and
// field 2 (90 points, a leaf).
func departmentSet() *parscoringv1.CriteriaSet {
	return &parscoringv1.CriteriaSet{Year: 2023, SubjectKind: "department", Name: "Chỉ số CCHC cấp sở (thử nghiệm)", MaxPoints: "100",
		Nodes: []*parscoringv1.CriteriaNode{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành", MaxPoints: "10"},
			{Code: "1.1", ParentCode: "1", Name: "Kế hoạch CCHC", MaxPoints: "6"},
			{Code: "1.2", ParentCode: "1", Name: "Báo cáo CCHC", MaxPoints: "4"},
			{Code: "2", Name: "Các lĩnh vực còn lại", MaxPoints: "90"},
		}}
}

func scores(unitID, s11, s12, s2 string) *parscoringv1.SubjectScores {
	return &parscoringv1.SubjectScores{UnitId: unitID, Name: "Sở " + unitID[:4], Scores: []*parscoringv1.ItemScore{
		{Code: "1.1", Score: s11}, {Code: "1.2", Score: s12}, {Code: "2", Score: s2}}}
}

// subjectEvents reads every SubjectResultPublished of the stream, by unit, for one year.
func subjectEvents(t *testing.T, js jetstream.JetStream, year int32, want int) map[string]*parscoringv1.SubjectResultPublished {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "PARSCORING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"parscoring.v1.subject_result.published"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*parscoringv1.SubjectResultPublished{}
	for len(got) < want {
		msg, err := cons.Next(jetstream.FetchMaxWait(callTimeout))
		if err != nil {
			t.Fatalf("got %d of %d events: %v", len(got), want, err)
		}
		var ev parscoringv1.SubjectResultPublished
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.GetYear() == year {
			got[ev.GetUnitId()] = &ev
		}
	}
	return got
}

func TestPublishResults(t *testing.T) {
	h := start(t)
	results := parscoringv1.NewResultsServiceClient(h.conn)
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: departmentSet()}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	setID := set.GetCriteriaSet().GetId()
	a, b, c, d := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()

	publish := func(ctx context.Context, year int32, subjects ...*parscoringv1.SubjectScores) (*parscoringv1.PublishResultsResponse, error) {
		return results.PublishResults(ctx, &parscoringv1.PublishResultsRequest{Year: year, CriteriaSetId: setID, Decision: "12/QĐ-UBND", Subjects: subjects})
	}

	t.Run("only the secretariat publishes", func(t *testing.T) {
		_, err := publish(h.asUnit(t, a), 2023, scores(a, "6", "4", "80"))
		if code(err) != codes.PermissionDenied {
			t.Errorf("err = %v, want PermissionDenied", err)
		}
	})

	t.Run("invalid scores are all reported", func(t *testing.T) {
		_, err := publish(h.as(t, auth.RoleSecretariat), 2023,
			&parscoringv1.SubjectScores{UnitId: a, Scores: []*parscoringv1.ItemScore{{Code: "1.1", Score: "7"}, {Code: "1", Score: "1"}, {Code: "9", Score: "1"}}})
		if code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v, want InvalidArgument", err)
		}
		var fields []string
		for _, v := range apierr.Violations(err) {
			fields = append(fields, v.Field)
		}
		want := []string{"subjects[0].scores[0].score", "subjects[0].scores[1].code", "subjects[0].scores[2].code", "subjects[0].scores", "subjects[0].scores"}
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Errorf("violations (-want +got):\n%s", diff)
		}
	})

	// 2023: A 90, B 85, C 85, D 75 — B and C tie and share rank 2; D is 4th.
	res, err := publish(h.as(t, auth.RoleSecretariat), 2023,
		scores(a, "6", "4", "80"), scores(b, "5", "4", "76"), scores(c, "5", "3", "77"), scores(d, "3", "2", "70"))
	if err != nil {
		t.Fatalf("publish 2023: %v", err)
	}
	if res.GetSnapshot().GetSubjectCount() != 4 || res.GetSnapshot().GetPreviousSnapshotId() != "" {
		t.Errorf("snapshot 2023 = %v", res.GetSnapshot())
	}
	rk, err := results.ListRankings(h.as(t, auth.RoleLeadership), &parscoringv1.ListRankingsRequest{Year: 2023, SubjectKind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	var ranks []int32
	for _, e := range rk.GetEntries() {
		ranks = append(ranks, e.GetRank())
	}
	if diff := cmp.Diff([]int32{1, 2, 2, 4}, ranks); diff != "" {
		t.Errorf("2023 ranks with a tie (-want +got):\n%s", diff)
	}

	// 2024: A's 1.1 falls 6 → 4 (total 88, rank 1 → 2); B rises to 90 (rank 2 → 1).
	res, err = publish(h.as(t, auth.RoleSecretariat), 2024,
		scores(a, "4", "4", "80"), scores(b, "6", "4", "80"), scores(c, "5", "3", "77"), scores(d, "3", "2", "70"))
	if err != nil {
		t.Fatalf("publish 2024: %v", err)
	}
	snap2024 := res.GetSnapshot()

	t.Run("published events carry the per-node changes", func(t *testing.T) {
		evs := subjectEvents(t, h.js, 2024, 4)
		ea := evs[a]
		if ea.GetTotal() != "88.00" || ea.GetPreviousTotal() != "90.00" || ea.GetRank() != 2 || ea.GetPreviousRank() != 1 ||
			ea.GetRankOf() != 4 || ea.GetGrade() != "B" || ea.GetSnapshotId() != snap2024.GetId() ||
			ea.GetSource() != parscoringv1.ResultSource_RESULT_SOURCE_APPRAISED {
			t.Errorf("A's event: %v", ea)
		}
		// Columns of hundredths, every node (2 held), nothing in the deprecated NodeResult
		// list. 1.1 fell 6 → 4 and from 1st to 3rd; field 1 fell 10 → 8, 1st to 2nd (tied).
		nf := ea.GetNodeFigures()
		want := &parscoringv1.NodeFigures{
			Codes: []string{"1", "1.1", "1.2", "2"}, ParentCodes: []string{"", "1", "1", ""}, Bonus: []bool{false, false, false, false},
			MaxPoints: []int64{1000, 600, 400, 90_00}, Scores: []int64{800, 400, 400, 80_00}, Ranks: []int32{2, 3, 1, 1},
			PreviousMaxPoints: []int64{1000, 600, 400, 90_00}, PreviousScores: []int64{1000, 600, 400, 80_00}, PreviousRanks: []int32{1, 1, 1, 1},
		}
		if diff := cmp.Diff(want, nf, protocmp.Transform()); diff != "" || len(ea.GetNodes()) != 0 {
			t.Errorf("A's node figures (-want +got):\n%s", diff)
		}
		eb := evs[b]
		if eb.GetRank() != 1 || eb.GetPreviousRank() != 2 || eb.GetTotal() != "90.00" || eb.GetGrade() != "A" {
			t.Errorf("B's event: rank %d prev %d total %s grade %s", eb.GetRank(), eb.GetPreviousRank(), eb.GetTotal(), eb.GetGrade())
		}
	})

	t.Run("a unit reads its own scorecard only", func(t *testing.T) {
		card, err := results.GetScorecard(h.asUnit(t, a), &parscoringv1.GetScorecardRequest{UnitId: a, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		sc := card.GetScorecard()
		if sc.GetTotal() != "88.00" || sc.GetIndexPercent() != "88.00" || sc.GetTotalChange() != "-2.00" || sc.GetRankChange() != -1 ||
			sc.GetNodes()[1].GetScoreChange() != "-2.00" || sc.GetNodes()[1].GetPeerMean() != "4.50" || sc.GetNodes()[1].GetIndexPercent() != "66.67" {
			t.Errorf("scorecard %v", sc)
		}
		// Another unit's scorecard is NotFound with the very answer a unit without results
		// gets, so that it tells nothing about that unit.
		_, other := results.GetScorecard(h.asUnit(t, b), &parscoringv1.GetScorecardRequest{UnitId: a, Year: 2024})
		_, none := results.GetScorecard(h.as(t, auth.RoleSecretariat), &parscoringv1.GetScorecardRequest{UnitId: uuid.NewString(), Year: 2024})
		if code(other) != codes.NotFound || status.Convert(other).Message() != status.Convert(none).Message() {
			t.Errorf("other unit: err = %v, want NotFound as for a unit without results (%v)", other, none)
		}
		if _, err := results.GetScorecard(h.as(t), &parscoringv1.GetScorecardRequest{UnitId: a, Year: 2024}); code(err) != codes.Unauthenticated {
			t.Errorf("no token: err = %v, want Unauthenticated", err)
		}
	})

	t.Run("the public reads published results without a token", func(t *testing.T) {
		card, err := results.GetPublishedScorecard(h.as(t), &parscoringv1.GetPublishedScorecardRequest{UnitId: b, Year: 2024})
		if err != nil || card.GetScorecard().GetRank() != 1 || card.GetScorecard().GetRankChange() != 1 {
			t.Errorf("public scorecard: %v, %v", card, err)
		}
		rk, err := results.ListPublishedRankings(h.as(t), &parscoringv1.ListPublishedRankingsRequest{Year: 2024, SubjectKind: "department", NodeCode: "1.1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range rk.GetEntries() {
			got = append(got, e.GetScore())
		}
		if diff := cmp.Diff([]string{"6.00", "5.00", "4.00", "3.00"}, got); diff != "" {
			t.Errorf("ranking at 1.1 (-want +got):\n%s", diff)
		}
	})

	t.Run("gap analysis and movers", func(t *testing.T) {
		ga, err := results.GetGapAnalysis(h.asUnit(t, a), &parscoringv1.GetGapAnalysisRequest{UnitId: a, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		var below []string
		for _, g := range ga.GetBelowPeerMean() {
			below = append(below, g.GetNode().GetCode()+":"+g.GetGapToMean())
		}
		// Means 2024: 1.1 4.50, 1 7.75, 2 76.75; A has 4, 8 and 80: only 1.1 is below.
		if diff := cmp.Diff([]string{"1.1:0.50"}, below); diff != "" {
			t.Errorf("below mean (-want +got):\n%s", diff)
		}
		if len(ga.GetBelowMax()) != 3 || ga.GetBelowMax()[0].GetNode().GetCode() != "2" {
			t.Errorf("below max: %v", ga.GetBelowMax())
		}
		m, err := results.ListBiggestMovers(h.as(t, auth.RoleLeadership), &parscoringv1.ListBiggestMoversRequest{Year: 2024, SubjectKind: "department"})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.GetRisers()) != 1 || m.GetRisers()[0].GetUnitId() != b || len(m.GetFallers()) != 2 || m.GetFallers()[0].GetRankChange() != -1 {
			t.Errorf("movers: %v", m)
		}
		hist, err := results.GetHistory(h.asUnit(t, a), &parscoringv1.GetHistoryRequest{UnitId: a, NodeCode: "1.1"})
		if err != nil || len(hist.GetPoints()) != 2 || hist.GetPoints()[0].GetScore() != "6.00" || hist.GetPoints()[1].GetScore() != "4.00" {
			t.Errorf("history: %v, %v", hist, err)
		}
	})

	t.Run("published results are frozen", func(t *testing.T) {
		_, err := publish(h.as(t, auth.RoleSecretariat), 2024, scores(a, "6", "4", "90"))
		if code(err) != codes.FailedPrecondition {
			t.Errorf("err = %v, want FailedPrecondition", err)
		}
	})

	t.Run("xlsx export", func(t *testing.T) {
		body, err := results.ExportScorecard(h.asUnit(t, a), &parscoringv1.ExportScorecardRequest{UnitId: a, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		if got := sheetCell(t, body.GetData(), "C2"); got != "88.00" {
			t.Errorf("scorecard C2 (total) = %q, want 88.00", got)
		}
		body, err = results.ExportRankings(h.as(t, auth.RoleLeadership), &parscoringv1.ExportRankingsRequest{Year: 2024, SubjectKind: "department"})
		if err != nil {
			t.Fatal(err)
		}
		if got := sheetCell(t, body.GetData(), "D2"); got != "90.00" {
			t.Errorf("ranking D2 (first score) = %q, want 90.00", got)
		}
	})
}

// sheetCell reads one cell of the first sheet of a workbook.
func sheetCell(t *testing.T, data []byte, cell string) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	v, err := f.GetCellValue(f.GetSheetList()[0], cell)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
