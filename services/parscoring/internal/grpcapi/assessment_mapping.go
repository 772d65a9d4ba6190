package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

var statesToProto = map[assessment.State]parscoringv1.AssessmentState{
	assessment.StateDraft:     parscoringv1.AssessmentState_ASSESSMENT_STATE_DRAFT,
	assessment.StateSubmitted: parscoringv1.AssessmentState_ASSESSMENT_STATE_SUBMITTED,
	assessment.StateAppraised: parscoringv1.AssessmentState_ASSESSMENT_STATE_APPRAISED,
	assessment.StateFinalised: parscoringv1.AssessmentState_ASSESSMENT_STATE_FINALISED,
}

var decisionsToProto = map[assessment.Decision]parscoringv1.AppraisalDecision{
	assessment.DecisionNone:     parscoringv1.AppraisalDecision_APPRAISAL_DECISION_UNSPECIFIED,
	assessment.DecisionAccepted: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED,
	assessment.DecisionAdjusted: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ADJUSTED,
}

// optTimestamp leaves a zero time unset.
func optTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// optString formats a score, empty when absent.
func optString(p *methodology.Points) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func subjectToProto(u assessment.Subject) *parscoringv1.RoundSubject {
	return &parscoringv1.RoundSubject{UnitId: u.UnitID, UnitCode: u.UnitCode, UnitName: u.UnitName, State: statesToProto[u.State]}
}

// roundToProto writes a round; onlyUnit, when not empty, keeps only that unit among the
// subjects (what a unit's people may see).
func roundToProto(r assessment.Round, onlyUnit string) *parscoringv1.AssessmentRound {
	m := &parscoringv1.AssessmentRound{
		Id: r.ID, Year: int32(r.Year), Level: r.Level, CriteriaSetId: r.CriteriaSetID, Name: r.Name, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		SelfAssessmentDeadline: timestamppb.New(r.SelfDeadline), ResponseDeadline: optTimestamp(r.ResponseDeadline),
		AppraisalDeadline: optTimestamp(r.AppraisalDeadline),
		SubjectKind:       r.SubjectKind, OpenedBy: r.OpenedBy, CreateTime: timestamppb.New(r.CreateTime),
	}
	for _, u := range r.Subjects {
		if onlyUnit == "" || u.UnitID == onlyUnit {
			m.Subjects = append(m.Subjects, subjectToProto(u))
		}
	}
	return m
}

// assessmentToProto writes every leaf item of the set, scored or not, in tree order.
func assessmentToProto(v app.View) *parscoringv1.Assessment {
	a := v.Assessment
	m := &parscoringv1.Assessment{
		RoundId: a.Round.ID, Subject: subjectToProto(a.Subject),
		SubmitTime: optTimestamp(a.Subject.SubmitTime), FinaliseTime: optTimestamp(a.Subject.FinaliseTime),
	}
	if a.Subject.State == assessment.StateFinalised {
		m.FinalTotal = assessment.Total(a, func(it *assessment.Item) *methodology.Points { return it.FinalScore }).String()
	}
	for _, n := range v.Set.Leaves() {
		item := &parscoringv1.AssessmentItem{Code: n.Code, Name: n.Name, MaxPoints: n.MaxPoints.String(), PointSource: pointSourceToProto(n.PointSource)}
		if it := a.Items[n.Code]; it != nil {
			item.SelfScore = optString(it.SelfScore)
			item.DeclaredFigures = it.DeclaredFigures
			item.Evidence = it.Evidence
			item.Explanation = it.Explanation
			item.Decision = decisionsToProto[it.Decision]
			item.AppraisedScore = optString(it.AppraisedScore)
			item.AppraisalReason = it.AppraisalReason
			item.UnitResponse = it.UnitResponse
			item.FinalScore = optString(it.FinalScore)
		}
		m.Items = append(m.Items, item)
	}
	return m
}

func changeToProto(c assessment.Change) *parscoringv1.ScoreChange {
	return &parscoringv1.ScoreChange{
		Code: c.Code, Stage: string(c.Stage), Actor: c.Actor, ChangeTime: timestamppb.New(c.At),
		OldScore: optString(c.Old), NewScore: optString(c.New), Reason: c.Reason,
	}
}
