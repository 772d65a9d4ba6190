package postgres

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Subjects of the events PAR scoring publishes (stream PARSCORING).
const (
	// SubjectCriteriaSetCreated carries CriteriaSetCreated.
	SubjectCriteriaSetCreated = "parscoring.v1.criteria_set.created"
)

// criteriaSetCreated is the event payload: the set without its nodes, since a consumer
// that needs the tree asks GetCriteriaSet and events stay small.
func criteriaSetCreated(s methodology.CriteriaSet) *parscoringv1.CriteriaSetCreated {
	st := s.Status()
	return &parscoringv1.CriteriaSetCreated{CriteriaSet: &parscoringv1.CriteriaSet{
		Id:          s.ID,
		Year:        int32(s.Year), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		SubjectKind: s.SubjectKind,
		Name:        s.Name,
		Decision:    s.Decision,
		MaxPoints:   s.MaxPoints.String(),
		CreateTime:  timestamppb.New(s.CreateTime),
		Incomplete:  s.Incomplete(),
		Valid:       st.Valid(),
		Complete:    st.Complete(),
		Problems:    st.Messages(),
	}}
}

// Subjects of the assessment cycle's events.
const (
	// SubjectRoundOpened carries RoundOpened.
	SubjectRoundOpened = "parscoring.v1.round.opened"
	// SubjectSelfAssessmentSubmitted carries SelfAssessmentSubmitted.
	SubjectSelfAssessmentSubmitted = "parscoring.v1.self_assessment.submitted"
	// SubjectAppraisalFinalised carries AppraisalFinalised.
	SubjectAppraisalFinalised = "parscoring.v1.appraisal.finalised"
)

func roundOpened(r assessment.Round) *parscoringv1.RoundOpened {
	ids := make([]string, len(r.Subjects))
	for i, u := range r.Subjects {
		ids[i] = u.UnitID
	}
	ev := &parscoringv1.RoundOpened{
		RoundId: r.ID, Year: int32(r.Year), Level: r.Level, SubjectKind: r.SubjectKind, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CriteriaSetId: r.CriteriaSetID, Name: r.Name,
		SelfAssessmentDeadline: timestamppb.New(r.SelfDeadline), SubjectUnitIds: ids,
	}
	if !r.AppraisalDeadline.IsZero() {
		ev.AppraisalDeadline = timestamppb.New(r.AppraisalDeadline)
	}
	return ev
}

func selfAssessmentSubmitted(a assessment.Assessment) *parscoringv1.SelfAssessmentSubmitted {
	return &parscoringv1.SelfAssessmentSubmitted{
		RoundId: a.Round.ID, Year: int32(a.Round.Year), UnitId: a.Subject.UnitID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		SubmittedBy: a.Subject.SubmittedBy, SubmitTime: timestamppb.New(a.Subject.SubmitTime),
		SelfTotal: assessment.Total(a, func(it *assessment.Item) *methodology.Points { return it.SelfScore }).String(),
	}
}

func appraisalFinalised(a assessment.Assessment) *parscoringv1.AppraisalFinalised {
	adjusted := 0
	for _, it := range a.Items {
		if it.FinalScore != nil && it.SelfScore != nil && *it.FinalScore != *it.SelfScore {
			adjusted++
		}
	}
	return &parscoringv1.AppraisalFinalised{
		RoundId: a.Round.ID, Year: int32(a.Round.Year), UnitId: a.Subject.UnitID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CriteriaSetId: a.Round.CriteriaSetID, FinalisedBy: a.Subject.FinalisedBy,
		FinaliseTime:  timestamppb.New(a.Subject.FinaliseTime),
		FinalTotal:    assessment.Total(a, func(it *assessment.Item) *methodology.Points { return it.FinalScore }).String(),
		AdjustedItems: int32(adjusted),
	}
}
