package server_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

// TestCorrectResults: a published snapshot is corrected by a new version that supersedes it.
// The old version is kept and readable; reads return the new one; the correction's reason
// and actor are recorded and announced through the outbox.
func TestCorrectResults(t *testing.T) {
	h := start(t)
	res := parscoringv1.NewResultsServiceClient(h.conn)
	sec := h.as(t, auth.RoleSecretariat)
	set, err := h.client.CreateCriteriaSet(sec, &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: departmentSet()}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	pub, err := res.PublishResults(sec, &parscoringv1.PublishResultsRequest{
		Year: 2023, CriteriaSetId: set.GetCriteriaSet().GetId(), Decision: "12/QĐ-UBND",
		GradeThresholds: []*parscoringv1.GradeThreshold{{Grade: "Tốt", MinPercent: "85"}, {Grade: "Khá", MinPercent: "0"}},
		Subjects:        []*parscoringv1.SubjectScores{scores(a, "6", "4", "80"), scores(b, "5", "3", "78"), scores(c, "5.5", "3.5", "76")},
	})
	if err != nil {
		t.Fatal(err)
	}
	v1 := pub.GetSnapshot()
	if v1.GetVersion() != 1 {
		t.Errorf("first version = %d", v1.GetVersion())
	}

	correct := &parscoringv1.CorrectResultsRequest{
		SnapshotId: v1.GetId(), Reason: "Đính chính điểm tiêu chí 2 của sở theo Quyết định 35/QĐ-UBND",
		Subjects: []*parscoringv1.CorrectedSubject{{UnitId: b, Scores: []*parscoringv1.ItemScore{{Code: "2", Score: "84.5"}}}},
	}
	t.Run("refused", func(t *testing.T) {
		if _, err := res.CorrectResults(h.asUnit(t, b), correct); code(err) != codes.PermissionDenied {
			t.Errorf("unit corrects: %v", err)
		}
		bad := proto.Clone(correct).(*parscoringv1.CorrectResultsRequest)
		bad.Subjects = append(bad.Subjects, &parscoringv1.CorrectedSubject{UnitId: uuid.NewString(), Scores: []*parscoringv1.ItemScore{{Code: "1", Score: "1"}}})
		_, err := res.CorrectResults(sec, bad)
		if v := apierr.Violations(err); code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != "subjects[1].unit_id" {
			t.Errorf("unknown unit: %v %v", err, v)
		}
		missing := proto.Clone(correct).(*parscoringv1.CorrectResultsRequest)
		missing.SnapshotId = uuid.NewString()
		if _, err := res.CorrectResults(sec, missing); code(err) != codes.NotFound {
			t.Errorf("unknown snapshot: %v", err)
		}
	})

	v2resp, err := res.CorrectResults(h.as(t, auth.RoleSecretariat), correct)
	if err != nil {
		t.Fatal(err)
	}
	v2 := v2resp.GetSnapshot()
	if v2.GetVersion() != 2 || v2.GetSupersedesSnapshotId() != v1.GetId() || v2.GetCorrectionReason() != correct.GetReason() ||
		v2.GetCorrectedBy() != "u-secretariat" || v2.GetDecision() != "12/QĐ-UBND" || v2.GetId() == v1.GetId() {
		t.Errorf("new version = %v", v2)
	}

	// Reads return the new version: b's total 92.50 ranks first, a (90.00) second.
	card, err := res.GetScorecard(sec, &parscoringv1.GetScorecardRequest{UnitId: b, Year: 2023})
	if err != nil {
		t.Fatal(err)
	}
	if s := card.GetScorecard(); s.GetSnapshot().GetId() != v2.GetId() || s.GetTotal() != "92.50" || s.GetRank() != 1 || s.GetGrade() != "Tốt" {
		t.Errorf("scorecard after correction = %v", s)
	}
	rk, err := res.ListRankings(sec, &parscoringv1.ListRankingsRequest{Year: 2023, SubjectKind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	if e := rk.GetEntries(); rk.GetSnapshot().GetId() != v2.GetId() || len(e) != 3 || e[0].GetUnitId() != b || e[1].GetUnitId() != a || e[1].GetRank() != 2 {
		t.Errorf("ranking after correction = %v", rk)
	}
	// The old version is kept and readable as published.
	old, err := res.GetScorecard(sec, &parscoringv1.GetScorecardRequest{UnitId: b, Year: 2023, SnapshotId: v1.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if s := old.GetScorecard(); s.GetTotal() != "86.00" || s.GetRank() != 2 || s.GetSnapshot().GetSupersededBySnapshotId() != v2.GetId() {
		t.Errorf("old scorecard = %v", s)
	}
	list, err := res.ListResultSnapshots(sec, &parscoringv1.ListResultSnapshotsRequest{Year: 2023})
	if err != nil || len(list.GetSnapshots()) != 1 || list.GetSnapshots()[0].GetId() != v2.GetId() {
		t.Errorf("latest snapshots = %v, %v", list, err)
	}
	all, err := res.ListResultSnapshots(sec, &parscoringv1.ListResultSnapshotsRequest{Year: 2023, IncludeSuperseded: true})
	if err != nil || len(all.GetSnapshots()) != 2 || all.GetSnapshots()[1].GetId() != v1.GetId() || all.GetSnapshots()[1].GetSupersededBySnapshotId() != v2.GetId() {
		t.Errorf("all snapshots = %v, %v", all, err)
	}

	// Only the latest version is corrected; the superseded one refuses.
	if _, err := res.CorrectResults(sec, correct); code(err) != codes.FailedPrecondition {
		t.Errorf("correct a superseded version: %v", err)
	}

	// Through the outbox: ResultsCorrected, and the new version's figures for every unit.
	var ev parscoringv1.ResultsCorrected
	if err := proto.Unmarshal(nextEvent(t, h.js, "parscoring.v1.results.corrected").Data(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.GetSnapshotId() != v2.GetId() || ev.GetSupersededSnapshotId() != v1.GetId() || ev.GetReason() != correct.GetReason() ||
		ev.GetCorrectedBy() != "u-secretariat" || ev.GetVersion() != 2 || len(ev.GetCorrectedUnitIds()) != 1 || ev.GetCorrectedUnitIds()[0] != b {
		t.Errorf("ResultsCorrected = %v", &ev)
	}
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	cons, err := h.js.OrderedConsumer(ctx, "PARSCORING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"parscoring.v1.subject_result.published"}})
	if err != nil {
		t.Fatal(err)
	}
	perVersion := map[string]int{}
	for perVersion[v1.GetId()]+perVersion[v2.GetId()] < 6 {
		msg, err := cons.Next(jetstream.FetchMaxWait(callTimeout))
		if err != nil {
			t.Fatalf("events per version %v: %v", perVersion, err)
		}
		var e parscoringv1.SubjectResultPublished
		if err := proto.Unmarshal(msg.Data(), &e); err != nil {
			t.Fatal(err)
		}
		perVersion[e.GetSnapshotId()]++
		if e.GetSnapshotId() == v2.GetId() && e.GetUnitId() == b &&
			(e.GetTotal() != "92.50" || e.GetRank() != 1 || e.GetVersion() != 2 || e.GetSupersedesSnapshotId() != v1.GetId() || e.GetCorrectionReason() == "") {
			t.Errorf("SubjectResultPublished of b, new version = %v", &e)
		}
	}
	if perVersion[v2.GetId()] != 3 {
		t.Errorf("SubjectResultPublished per version = %v, want 3 each", perVersion)
	}
}
