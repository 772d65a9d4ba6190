package server_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// The full cycle: a round's units self-assess, are appraised and finalised, and the round's
// publication ranks them from the final scores.
func TestPublishRoundFromFinalisedAppraisals(t *testing.T) {
	h := startAssessments(t)
	_, round := h.openRound(t, time.Now().Add(24*time.Hour))
	results := parscoringv1.NewResultsServiceClient(h.conn)
	r := round.GetId()
	publish := func() (*parscoringv1.PublishRoundResultsResponse, error) {
		return results.PublishRoundResults(h.as(t, auth.RoleSecretariat), &parscoringv1.PublishRoundResultsRequest{RoundId: r, Decision: "15/QĐ-UBND"})
	}

	// Survey points 5.00, 5.25, … : the last two units tie.
	survey := []string{"5.00", "5.25", "5.50", "5.75", "6.00", "4.50", "4.50"}
	subjects := round.GetSubjects()
	for i, s := range subjects {
		if i == len(subjects)-1 {
			if _, err := publish(); code(err) != codes.FailedPrecondition {
				t.Errorf("publish with a unit not finalised: %v, want FailedPrecondition", err)
			}
		}
		unit := s.GetUnitId()
		if _, err := h.assessments.SaveSelfAssessment(h.asMember(t, s.GetUnitCode(), auth.RoleUnitStaff), &parscoringv1.SaveSelfAssessmentRequest{RoundId: r, UnitId: unit,
			Items: []*parscoringv1.SelfScoreInput{{Code: "1.1.1", Score: "2.5", Evidence: []string{"Kế hoạch CCHC năm 2025"}}, {Code: "1.1.2", Score: "1.5", Evidence: []string{"Báo cáo CCHC"}}}}); err != nil {
			t.Fatalf("%s save: %v", s.GetUnitCode(), err)
		}
		if _, err := h.assessments.SubmitSelfAssessment(h.asMember(t, s.GetUnitCode(), auth.RoleUnitHead), &parscoringv1.SubmitSelfAssessmentRequest{RoundId: r, UnitId: unit}); err != nil {
			t.Fatalf("%s submit: %v", s.GetUnitCode(), err)
		}
		app := h.as(t, auth.RoleAppraiser)
		if _, err := h.assessments.AppraiseItems(app, &parscoringv1.AppraiseItemsRequest{RoundId: r, UnitId: unit, Items: []*parscoringv1.AppraisalInput{
			{Code: "1.1.1", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED},
			{Code: "1.1.2", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED},
		}}); err != nil {
			t.Fatalf("%s appraise: %v", s.GetUnitCode(), err)
		}
		if _, err := h.assessments.CompleteAppraisal(app, &parscoringv1.CompleteAppraisalRequest{RoundId: r, UnitId: unit}); err != nil {
			t.Fatalf("%s complete: %v", s.GetUnitCode(), err)
		}
		if _, err := h.assessments.FinaliseAppraisal(app, &parscoringv1.FinaliseAppraisalRequest{RoundId: r, UnitId: unit, Adjustments: []*parscoringv1.FinalAdjustment{
			{Code: "1.2", Score: survey[i], Reason: "Điểm điều tra xã hội học"},
		}}); err != nil {
			t.Fatalf("%s finalise: %v", s.GetUnitCode(), err)
		}
	}

	if _, err := results.PublishRoundResults(h.as(t, auth.RoleAppraiser), &parscoringv1.PublishRoundResultsRequest{RoundId: r}); code(err) != codes.PermissionDenied {
		t.Errorf("appraiser publishes: %v, want PermissionDenied", err)
	}
	res, err := publish()
	if err != nil {
		t.Fatalf("publish round: %v", err)
	}
	if s := res.GetSnapshot(); s.GetYear() != 2025 || s.GetSubjectCount() != 7 || s.GetSubjectKind() != "department" {
		t.Errorf("snapshot = %v", s)
	}
	rk, err := results.ListRankings(h.as(t, auth.RoleLeadership), &parscoringv1.ListRankingsRequest{Year: 2025, SubjectKind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rk.GetEntries() {
		got = append(got, fmt.Sprintf("%d:%s", e.GetRank(), e.GetScore()))
	}
	want := []string{"1:10.00", "2:9.75", "3:9.50", "4:9.25", "5:9.00", "6:8.50", "6:8.50"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ranking = %v, want %v", got, want)
	}
}
