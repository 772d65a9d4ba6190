package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// AssessmentServer implements parscoringv1.AssessmentServiceServer on the use cases.
type AssessmentServer struct {
	parscoringv1.UnimplementedAssessmentServiceServer
	svc *app.Assessments
	log *slog.Logger
	// feedback serves the public QR-code channel.
	feedback *app.Feedback
	limiter  *limiter
}

// NewAssessmentServer returns an AssessmentServer on svc and fb; log records the causes
// of internal errors.
func NewAssessmentServer(svc *app.Assessments, fb *app.Feedback, log *slog.Logger) *AssessmentServer {
	return &AssessmentServer{svc: svc, feedback: fb, log: log, limiter: newLimiter()}
}

// Roles that see every unit of a round.
var roundWideRoles = []string{auth.RoleSecretariat, auth.RoleAppraiser, auth.RoleLeadership, auth.RoleService}

// Roles that act for their own unit only.
var unitRoles = []string{auth.RoleUnitHead, auth.RoleUnitStaff}

// seeUnit lets p read unitID's assessment: round-wide roles see all; a unit's people see
// their own unit only, and another unit's is reported as not found, so its existence is
// not disclosed.
func seeUnit(p auth.Principal, unitID string) error {
	if p.HasRole(roundWideRoles...) {
		return nil
	}
	if p.HasRole(unitRoles...) && p.UnitID != "" && p.UnitID == unitID {
		return nil
	}
	if p.HasRole(unitRoles...) {
		return assessment.ErrNotSubject
	}
	return errPermissionDenied
}

// editOwnUnit lets only the people of unitID, holding one of roles, change its
// self-assessment; another unit's is not found.
func editOwnUnit(p auth.Principal, unitID string, roles ...string) error {
	if p.UnitID == "" || p.UnitID != unitID {
		if p.HasRole(unitRoles...) {
			return assessment.ErrNotSubject
		}
		return errPermissionDenied
	}
	if !p.HasRole(roles...) {
		return errPermissionDenied
	}
	return nil
}

// actor names the caller in the history: the directory user id when there is one.
func actor(p auth.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return p.Subject
}

// status chooses the code of an assessment error, falling back on toStatus.
func (s *AssessmentServer) status(ctx context.Context, err error, fieldPrefix string) error {
	switch {
	case errors.Is(err, assessment.ErrRoundNotFound):
		return status.Error(codes.NotFound, assessment.ErrRoundNotFound.Error())
	case errors.Is(err, assessment.ErrNotSubject):
		return status.Error(codes.NotFound, assessment.ErrNotSubject.Error())
	case errors.Is(err, assessment.ErrDeadlinePassed), errors.Is(err, assessment.ErrWrongState),
		errors.Is(err, assessment.ErrIncompleteSet), errors.Is(err, assessment.ErrNoSubjects),
		errors.Is(err, assessment.ErrUnfinished), errors.Is(err, app.ErrFeedbackCodeRevoked):
		return status.Error(codes.FailedPrecondition, domainMessage(err))
	case errors.Is(err, app.ErrFeedbackCodeNotFound):
		return status.Error(codes.NotFound, app.ErrFeedbackCodeNotFound.Error())
	case errors.Is(err, errRateLimited):
		return status.Error(codes.ResourceExhausted, errRateLimited.Error())
	case errors.Is(err, app.ErrUnavailable):
		return status.Error(codes.Unavailable, app.ErrUnavailable.Error())
	}
	return toStatus(ctx, s.log, err, fieldPrefix)
}

// domainMessage returns the Vietnamese part of a domain error: the sentinel and what the
// domain added after it, without the wrapping of the layers in between.
func domainMessage(err error) string {
	for _, sentinel := range []error{assessment.ErrDeadlinePassed, assessment.ErrWrongState, assessment.ErrIncompleteSet,
		assessment.ErrNoSubjects, assessment.ErrUnfinished, app.ErrFeedbackCodeRevoked} {
		if errors.Is(err, sentinel) {
			msg := err.Error()
			if i := strings.Index(msg, sentinel.Error()); i >= 0 {
				return msg[i:]
			}
			return sentinel.Error()
		}
	}
	return err.Error()
}

// OpenRound opens a round; only the secretariat (or a service on its behalf).
func (s *AssessmentServer) OpenRound(ctx context.Context, req *parscoringv1.OpenRoundRequest) (*parscoringv1.OpenRoundResponse, error) {
	const prefix = "round."
	p, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService)
	if err != nil {
		return nil, s.status(ctx, err, prefix)
	}
	m := req.GetRound()
	draft := assessment.Round{
		Year: int(m.GetYear()), Level: m.GetLevel(), CriteriaSetID: m.GetCriteriaSetId(),
		Name: vntext.NFC(m.GetName()), SelfDeadline: m.GetSelfAssessmentDeadline().AsTime(),
	}
	if m.GetResponseDeadline() != nil {
		draft.ResponseDeadline = m.GetResponseDeadline().AsTime()
	}
	if m.GetAppraisalDeadline() != nil {
		draft.AppraisalDeadline = m.GetAppraisalDeadline().AsTime()
	}
	r, err := s.svc.OpenRound(ctx, draft, actor(p))
	if err != nil {
		return nil, s.status(ctx, err, prefix)
	}
	return &parscoringv1.OpenRoundResponse{Round: roundToProto(r, "")}, nil
}

// GetRound returns a round; a unit's people see only their own unit among the subjects.
func (s *AssessmentServer) GetRound(ctx context.Context, req *parscoringv1.GetRoundRequest) (*parscoringv1.GetRoundResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	r, err := s.svc.Round(ctx, req.GetRoundId())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	only := ""
	if !p.HasRole(roundWideRoles...) {
		only = p.UnitID
		if only == "" {
			only = "-" // sees no subject
		}
	}
	return &parscoringv1.GetRoundResponse{Round: roundToProto(r, only)}, nil
}

// ListRounds lists rounds to any authenticated caller.
func (s *AssessmentServer) ListRounds(ctx context.Context, req *parscoringv1.ListRoundsRequest) (*parscoringv1.ListRoundsResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, s.status(ctx, err, "")
	}
	rs, err := s.svc.ListRounds(ctx, int(req.GetYear()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.ListRoundsResponse{}
	for _, r := range rs {
		out.Rounds = append(out.Rounds, roundToProto(r, ""))
	}
	return out, nil
}

// GetAssessment returns a unit's assessment to round-wide roles and to the unit itself.
func (s *AssessmentServer) GetAssessment(ctx context.Context, req *parscoringv1.GetAssessmentRequest) (*parscoringv1.GetAssessmentResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := seeUnit(p, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	v, err := s.svc.Assessment(ctx, req.GetRoundId(), req.GetUnitId())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.GetAssessmentResponse{Assessment: assessmentToProto(v)}, nil
}

// SaveSelfAssessment saves drafts: the unit's head or staff, for their own unit only.
func (s *AssessmentServer) SaveSelfAssessment(ctx context.Context, req *parscoringv1.SaveSelfAssessmentRequest) (*parscoringv1.SaveSelfAssessmentResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := editOwnUnit(p, req.GetUnitId(), unitRoles...); err != nil {
		return nil, s.status(ctx, err, "")
	}
	in := make([]assessment.SelfInput, len(req.GetItems()))
	var bad methodology.ValidationErrors
	for i, x := range req.GetItems() {
		score, err := methodology.ParsePoints(x.GetScore())
		if err != nil {
			bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("items[%d].score", i), Reason: methodology.ErrBadPoints.Error()})
		}
		ev := make([]string, len(x.GetEvidence()))
		for j, e := range x.GetEvidence() {
			ev[j] = vntext.NFC(e)
		}
		in[i] = assessment.SelfInput{Code: x.GetCode(), Score: score, DeclaredFigures: vntext.NFC(x.GetDeclaredFigures()),
			Evidence: ev, Explanation: vntext.NFC(x.GetExplanation())}
	}
	if len(bad) > 0 {
		return nil, s.status(ctx, bad, "")
	}
	v, err := s.svc.SaveSelfAssessment(ctx, req.GetRoundId(), req.GetUnitId(), in, actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.SaveSelfAssessmentResponse{Assessment: assessmentToProto(v)}, nil
}

// SubmitSelfAssessment submits: the unit's head (who signs it), own unit only.
func (s *AssessmentServer) SubmitSelfAssessment(ctx context.Context, req *parscoringv1.SubmitSelfAssessmentRequest) (*parscoringv1.SubmitSelfAssessmentResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := editOwnUnit(p, req.GetUnitId(), auth.RoleUnitHead); err != nil {
		return nil, s.status(ctx, err, "")
	}
	v, err := s.svc.SubmitSelfAssessment(ctx, req.GetRoundId(), req.GetUnitId(), actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.SubmitSelfAssessmentResponse{Assessment: assessmentToProto(v)}, nil
}

// appraisers are the roles that review self-assessments.
var appraisers = []string{auth.RoleAppraiser, auth.RoleSecretariat}

// AppraiseItems records decisions: appraisers only.
func (s *AssessmentServer) AppraiseItems(ctx context.Context, req *parscoringv1.AppraiseItemsRequest) (*parscoringv1.AppraiseItemsResponse, error) {
	p, err := authorize(ctx, appraisers...)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	in := make([]assessment.AppraisalInput, len(req.GetItems()))
	var bad methodology.ValidationErrors
	for i, x := range req.GetItems() {
		in[i] = assessment.AppraisalInput{Code: x.GetCode(), Reason: vntext.NFC(x.GetReason())}
		switch x.GetDecision() {
		case parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED:
			in[i].Decision = assessment.DecisionAccepted
		case parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ADJUSTED:
			in[i].Decision = assessment.DecisionAdjusted
			score, err := methodology.ParsePoints(x.GetScore())
			if err != nil {
				bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("items[%d].score", i), Reason: methodology.ErrBadPoints.Error()})
			}
			in[i].Score = score
		}
	}
	if len(bad) > 0 {
		return nil, s.status(ctx, bad, "")
	}
	v, err := s.svc.AppraiseItems(ctx, req.GetRoundId(), req.GetUnitId(), in, actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.AppraiseItemsResponse{Assessment: assessmentToProto(v)}, nil
}

// CompleteAppraisal ends the first review: appraisers only.
func (s *AssessmentServer) CompleteAppraisal(ctx context.Context, req *parscoringv1.CompleteAppraisalRequest) (*parscoringv1.CompleteAppraisalResponse, error) {
	if _, err := authorize(ctx, appraisers...); err != nil {
		return nil, s.status(ctx, err, "")
	}
	v, err := s.svc.CompleteAppraisal(ctx, req.GetRoundId(), req.GetUnitId())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.CompleteAppraisalResponse{Assessment: assessmentToProto(v)}, nil
}

// RespondToAppraisal records the unit's answers: its head, own unit only.
func (s *AssessmentServer) RespondToAppraisal(ctx context.Context, req *parscoringv1.RespondToAppraisalRequest) (*parscoringv1.RespondToAppraisalResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := editOwnUnit(p, req.GetUnitId(), auth.RoleUnitHead); err != nil {
		return nil, s.status(ctx, err, "")
	}
	in := make([]assessment.ResponseInput, len(req.GetItems()))
	for i, x := range req.GetItems() {
		in[i] = assessment.ResponseInput{Code: x.GetCode(), Response: vntext.NFC(x.GetResponse())}
	}
	v, err := s.svc.RespondToAppraisal(ctx, req.GetRoundId(), req.GetUnitId(), in, actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.RespondToAppraisalResponse{Assessment: assessmentToProto(v)}, nil
}

// FinaliseAppraisal is the second review: appraisers only.
func (s *AssessmentServer) FinaliseAppraisal(ctx context.Context, req *parscoringv1.FinaliseAppraisalRequest) (*parscoringv1.FinaliseAppraisalResponse, error) {
	p, err := authorize(ctx, appraisers...)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	in := make([]assessment.FinalInput, len(req.GetAdjustments()))
	var bad methodology.ValidationErrors
	for i, x := range req.GetAdjustments() {
		score, err := methodology.ParsePoints(x.GetScore())
		if err != nil {
			bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("adjustments[%d].score", i), Reason: methodology.ErrBadPoints.Error()})
		}
		in[i] = assessment.FinalInput{Code: x.GetCode(), Score: score, Reason: vntext.NFC(x.GetReason())}
	}
	if len(bad) > 0 {
		return nil, s.status(ctx, bad, "")
	}
	v, err := s.svc.FinaliseAppraisal(ctx, req.GetRoundId(), req.GetUnitId(), in, actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.FinaliseAppraisalResponse{Assessment: assessmentToProto(v)}, nil
}

// ListScoreChanges returns a unit's history to those who may see the unit.
func (s *AssessmentServer) ListScoreChanges(ctx context.Context, req *parscoringv1.ListScoreChangesRequest) (*parscoringv1.ListScoreChangesResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := seeUnit(p, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	cs, err := s.svc.ScoreChanges(ctx, req.GetRoundId(), req.GetUnitId())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.ListScoreChangesResponse{}
	for _, c := range cs {
		out.Changes = append(out.Changes, changeToProto(c))
	}
	return out, nil
}

// ImportSurveyScores imports survey-sourced scores: the secretariat (or a service).
func (s *AssessmentServer) ImportSurveyScores(ctx context.Context, req *parscoringv1.ImportSurveyScoresRequest) (*parscoringv1.ImportSurveyScoresResponse, error) {
	p, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	format := app.FormatCSV
	if req.GetFormat() == parscoringv1.FileFormat_FILE_FORMAT_XLSX {
		format = app.FormatXLSX
	}
	res, err := s.svc.ImportSurveyScores(ctx, req.GetRoundId(), format, req.GetContent(), req.GetDryRun(), actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.ImportSurveyScoresResponse{RowCount: int32(res.Rows), Imported: res.Imported} // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	for _, pr := range res.Problems {
		out.Problems = append(out.Problems, &parscoringv1.ImportProblem{Row: int32(pr.Row), Column: pr.Column, Message: pr.Message}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	return out, nil
}
