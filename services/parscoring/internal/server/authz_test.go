package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// authzCaller is one column of the authorisation matrix. Unit people act on the unit the
// fixture's objects belong to (TQ-STP): their own, or another unit's (TQ-STC).
type authzCaller struct {
	name string
	// p is the caller; nil for an anonymous call (no token).
	p *auth.Principal
}

func member(code string, roles ...string) *auth.Principal {
	return &auth.Principal{Subject: "s-" + code + "-" + roles[0], UserID: "u-" + code + "-" + roles[0], UnitID: demoUnitID(code), Roles: roles}
}

func provinceRole(role string) *auth.Principal {
	return &auth.Principal{Subject: "s-" + role, UserID: "u-" + role, Roles: []string{role}}
}

// Expectations, one letter per caller in authzCallers order:
//
//	O  answered OK (for a list: the fixture's object is in it)
//	A  allowed: past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied: the caller may not do this
//	H  NotFound: the caller must not learn the thing exists (for a list: it is left out)
//	U  Unauthenticated
var authzCallers = []authzCaller{
	{"secretariat", provinceRole(auth.RoleSecretariat)},
	{"leadership", provinceRole(auth.RoleLeadership)},
	{"appraiser", provinceRole(auth.RoleAppraiser)},
	{"service", provinceRole(auth.RoleService)},
	{"own agency system", &auth.Principal{Subject: "client:stp-hcc", UnitID: demoUnitID("TQ-STP"), Roles: []string{auth.RoleAgencySystem}}},
	{"other agency system", &auth.Principal{Subject: "client:stc-hcc", UnitID: demoUnitID("TQ-STC"), Roles: []string{auth.RoleAgencySystem}}},
	{"own unit head", member("TQ-STP", auth.RoleUnitHead)},
	{"own unit staff", member("TQ-STP", auth.RoleUnitStaff)},
	{"other unit head", member("TQ-STC", auth.RoleUnitHead)},
	{"other unit staff", member("TQ-STC", auth.RoleUnitStaff)},
	{"anonymous", nil},
}

// TestAuthorisationMatrix walks every RPC of PAR scoring's four services for every role, on
// the own unit's objects and another unit's (issue 4 item 10): the secretariat opens rounds,
// publishes and manages codes; appraisers see and appraise every unit of a round; a unit's
// people see and edit only their own unit's assessment — another unit's drafts are NotFound;
// an agency's own system reads its unit's place in a round and its results but no draft;
// methodologies and published results are readable by all, the public routes without a token.
func TestAuthorisationMatrix(t *testing.T) {
	h := startAssessments(t)
	sec := h.as(t, auth.RoleSecretariat)
	assess := h.assessments
	results := parscoringv1.NewResultsServiceClient(h.conn)
	methods := parscoringv1.NewMethodologyServiceClient(h.conn)
	stp, stc := demoUnitID("TQ-STP"), demoUnitID("TQ-STC")

	// A round whose TQ-STP assessment is a draft, a feedback code of TQ-STP, and published
	// results of both departments.
	set, round := h.openRound(t, time.Now().Add(24*time.Hour))
	if _, err := assess.SaveSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), &parscoringv1.SaveSelfAssessmentRequest{
		RoundId: round.GetId(), UnitId: stp, Items: []*parscoringv1.SelfScoreInput{{Code: "1.1.1", Score: "2", Explanation: "Bản nháp"}},
	}); err != nil {
		t.Fatal(err)
	}
	code, err := assess.CreateFeedbackCode(sec, &parscoringv1.CreateFeedbackCodeRequest{UnitId: stp, Desk: "Quầy số 2"})
	if err != nil {
		t.Fatal(err)
	}
	dset, err := h.client.CreateCriteriaSet(sec, &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: departmentSet()})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := results.PublishResults(sec, &parscoringv1.PublishResultsRequest{Year: 2023, CriteriaSetId: dset.GetCriteriaSet().GetId(),
		Subjects: []*parscoringv1.SubjectScores{scores(stp, "6", "3", "80"), scores(stc, "5", "4", "70")}})
	if err != nil {
		t.Fatal(err)
	}
	r, snapID := round.GetId(), snap.GetSnapshot().GetId()

	n := 0
	next := func() int { n++; return n }
	// Past the deadline-free checks, these inputs are refused by the domain after
	// authorisation, so the matrix changes nothing a later row relies on.
	aboveMax := []*parscoringv1.SelfScoreInput{{Code: "1.1.1", Score: "9"}}
	rpcs := []struct {
		rpc  string
		want string
		call func(ctx context.Context) error
	}{
		// ParScoringService and MethodologyService: methodologies are public rules; only the
		// secretariat (or a service) writes them.
		{"CreateCriteriaSet", "ADDADDDDDDU", func(ctx context.Context) error {
			s := roundSet()
			s.Decision = fmt.Sprintf("%d/QĐ-AUTHZ", next())
			_, err := h.client.CreateCriteriaSet(ctx, &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: s})
			return err
		}},
		{"GetCriteriaSet", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := h.client.GetCriteriaSet(ctx, &parscoringv1.GetCriteriaSetRequest{CriteriaSetId: set.GetId()})
			return err
		}},
		{"ListCriteriaSets", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := h.client.ListCriteriaSets(ctx, &parscoringv1.ListCriteriaSetsRequest{})
			return err
		}},
		{"ImportCriteriaSet", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := methods.ImportCriteriaSet(ctx, &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, Content: []byte("year: x\n"), DryRun: true})
			return err
		}},
		{"ExportCriteriaSet", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := methods.ExportCriteriaSet(ctx, &parscoringv1.ExportCriteriaSetRequest{CriteriaSetId: set.GetId(), Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_CSV})
			return err
		}},
		{"CloneCriteriaSet", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := methods.CloneCriteriaSet(ctx, &parscoringv1.CloneCriteriaSetRequest{CriteriaSetId: set.GetId(), Year: int32(2026 + next())})
			return err
		}},

		// AssessmentService.
		{"OpenRound", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := assess.OpenRound(ctx, &parscoringv1.OpenRoundRequest{Round: &parscoringv1.AssessmentRound{
				Year: 2024, Level: "province", CriteriaSetId: set.GetId(), Name: "Đợt thử quyền",
				SelfAssessmentDeadline: timestamppb.Now(), AppraisalDeadline: timestamppb.New(time.Now().Add(time.Hour)),
			}})
			return err
		}},
		{"GetRound", "OOOOOHOOHHU", func(ctx context.Context) error {
			resp, err := assess.GetRound(ctx, &parscoringv1.GetRoundRequest{RoundId: r})
			return authtest.Found(err, slices.ContainsFunc(resp.GetRound().GetSubjects(), func(s *parscoringv1.RoundSubject) bool { return s.GetUnitId() == stp }))
		}},
		{"ListRounds", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := assess.ListRounds(ctx, &parscoringv1.ListRoundsRequest{})
			return err
		}},
		{"GetAssessment", "OOOODDOOHHU", func(ctx context.Context) error {
			_, err := assess.GetAssessment(ctx, &parscoringv1.GetAssessmentRequest{RoundId: r, UnitId: stp})
			return err
		}},
		{"SaveSelfAssessment", "DDDDDDAAHHU", func(ctx context.Context) error {
			_, err := assess.SaveSelfAssessment(ctx, &parscoringv1.SaveSelfAssessmentRequest{RoundId: r, UnitId: stp, Items: aboveMax})
			return err
		}},
		{"SubmitSelfAssessment", "DDDDDDADHHU", func(ctx context.Context) error {
			// The draft misses items: refused after authorisation.
			_, err := assess.SubmitSelfAssessment(ctx, &parscoringv1.SubmitSelfAssessmentRequest{RoundId: r, UnitId: stp})
			return err
		}},
		{"AppraiseItems", "ADADDDDDDDU", func(ctx context.Context) error {
			// Not submitted yet: refused after authorisation.
			_, err := assess.AppraiseItems(ctx, &parscoringv1.AppraiseItemsRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.AppraisalInput{
				{Code: "1.1.1", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED}}})
			return err
		}},
		{"CompleteAppraisal", "ADADDDDDDDU", func(ctx context.Context) error {
			_, err := assess.CompleteAppraisal(ctx, &parscoringv1.CompleteAppraisalRequest{RoundId: r, UnitId: stp})
			return err
		}},
		{"RespondToAppraisal", "DDDDDDADHHU", func(ctx context.Context) error {
			_, err := assess.RespondToAppraisal(ctx, &parscoringv1.RespondToAppraisalRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.ResponseInput{
				{Code: "1.1.1", Response: "Đơn vị giải trình"}}})
			return err
		}},
		{"FinaliseAppraisal", "ADADDDDDDDU", func(ctx context.Context) error {
			_, err := assess.FinaliseAppraisal(ctx, &parscoringv1.FinaliseAppraisalRequest{RoundId: r, UnitId: stp})
			return err
		}},
		{"ListScoreChanges", "OOOODDOOHHU", func(ctx context.Context) error {
			_, err := assess.ListScoreChanges(ctx, &parscoringv1.ListScoreChangesRequest{RoundId: r, UnitId: stp})
			return err
		}},
		{"ImportSurveyScores", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := assess.ImportSurveyScores(ctx, &parscoringv1.ImportSurveyScoresRequest{RoundId: r, Format: parscoringv1.FileFormat_FILE_FORMAT_CSV,
				Content: []byte("unit_code,code,score\nTQ-STP,1.2,5\n"), DryRun: true})
			return err
		}},
		{"CreateFeedbackCode", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := assess.CreateFeedbackCode(ctx, &parscoringv1.CreateFeedbackCodeRequest{UnitId: stp})
			return err
		}},
		{"ListFeedbackCodes", "OOOOHHOOHHU", func(ctx context.Context) error {
			resp, err := assess.ListFeedbackCodes(ctx, &parscoringv1.ListFeedbackCodesRequest{UnitId: stp})
			return authtest.Found(err, slices.ContainsFunc(resp.GetFeedbackCodes(), func(c *parscoringv1.FeedbackCode) bool { return c.GetCode() == code.GetFeedbackCode().GetCode() }))
		}},
		{"RevokeFeedbackCode", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := assess.RevokeFeedbackCode(ctx, &parscoringv1.RevokeFeedbackCodeRequest{Code: code.GetFeedbackCode().GetCode()})
			return err
		}},
		{"SubmitFeedback", "AAAAAAAAAAA", func(ctx context.Context) error {
			// Each answer from its own address, so the per-client limit does not interfere.
			ctx = metadata.AppendToOutgoingContext(ctx, "x-forwarded-for", fmt.Sprintf("192.0.2.%d", next()))
			_, err := assess.SubmitFeedback(ctx, &parscoringv1.SubmitFeedbackRequest{Code: code.GetFeedbackCode().GetCode(), Overall: 5, WaitingMinutes: -1})
			return err
		}},
		{"GetSatisfaction", "OOOODDOOHHU", func(ctx context.Context) error {
			_, err := assess.GetSatisfaction(ctx, &parscoringv1.GetSatisfactionRequest{UnitId: stp, FromDate: "2025-01-01", ToDate: "2025-12-31"})
			return err
		}},

		// ResultsService: the secretariat publishes; results are published figures, so every
		// caller reads rankings, and a unit's own scorecard, history and gaps are its own
		// people's and the province-wide roles' (another unit's: NotFound, as if it had no
		// results; the public routes show the published scorecard to anyone).
		{"PublishResults", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := results.PublishResults(ctx, &parscoringv1.PublishResultsRequest{Year: 2023, CriteriaSetId: dset.GetCriteriaSet().GetId(),
				Subjects: []*parscoringv1.SubjectScores{scores(stp, "6", "3", "80")}})
			return err
		}},
		{"PublishRoundResults", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := results.PublishRoundResults(ctx, &parscoringv1.PublishRoundResultsRequest{RoundId: r})
			return err
		}},
		{"ImportResults", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := results.ImportResults(ctx, &parscoringv1.ImportResultsRequest{Year: 2022, CriteriaSetId: dset.GetCriteriaSet().GetId(), UnitId: stp,
				SubjectCode: "TQ-STP", Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: []byte("subject_code,node_code,score\n"), DryRun: true})
			return err
		}},
		{"CorrectResults", "ADDADDDDDDU", func(ctx context.Context) error {
			_, err := results.CorrectResults(ctx, &parscoringv1.CorrectResultsRequest{SnapshotId: snapID, Reason: "Thử quyền",
				Subjects: []*parscoringv1.CorrectedSubject{{UnitId: uuid.NewString(), Scores: []*parscoringv1.ItemScore{{Code: "2", Score: "1"}}}}})
			return err
		}},
		{"ListResultSnapshots", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := results.ListResultSnapshots(ctx, &parscoringv1.ListResultSnapshotsRequest{})
			return err
		}},
		{"GetScorecard", "OOOOOHOOHHU", func(ctx context.Context) error {
			_, err := results.GetScorecard(ctx, &parscoringv1.GetScorecardRequest{UnitId: stp, Year: 2023})
			return err
		}},
		{"ListRankings", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := results.ListRankings(ctx, &parscoringv1.ListRankingsRequest{Year: 2023, SubjectKind: "department"})
			return err
		}},
		{"GetHistory", "OOOOOHOOHHU", func(ctx context.Context) error {
			_, err := results.GetHistory(ctx, &parscoringv1.GetHistoryRequest{UnitId: stp})
			return err
		}},
		{"GetGapAnalysis", "OOOOOHOOHHU", func(ctx context.Context) error {
			_, err := results.GetGapAnalysis(ctx, &parscoringv1.GetGapAnalysisRequest{UnitId: stp, Year: 2023})
			return err
		}},
		{"ListBiggestMovers", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := results.ListBiggestMovers(ctx, &parscoringv1.ListBiggestMoversRequest{Year: 2023, SubjectKind: "department"})
			return err
		}},
		{"ExportScorecard", "OOOOOHOOHHU", func(ctx context.Context) error {
			_, err := results.ExportScorecard(ctx, &parscoringv1.ExportScorecardRequest{UnitId: stp, Year: 2023})
			return err
		}},
		{"ExportRankings", "OOOOOOOOOOU", func(ctx context.Context) error {
			_, err := results.ExportRankings(ctx, &parscoringv1.ExportRankingsRequest{Year: 2023, SubjectKind: "department"})
			return err
		}},
		{"GetPublishedScorecard", "OOOOOOOOOOO", func(ctx context.Context) error {
			_, err := results.GetPublishedScorecard(ctx, &parscoringv1.GetPublishedScorecardRequest{UnitId: stp, Year: 2023})
			return err
		}},
		{"ListPublishedRankings", "OOOOOOOOOOO", func(ctx context.Context) error {
			_, err := results.ListPublishedRankings(ctx, &parscoringv1.ListPublishedRankingsRequest{Year: 2023, SubjectKind: "department"})
			return err
		}},
	}

	// Every RPC of the four services has a row: a new RPC without one fails here.
	covered := map[string]bool{}
	for _, row := range rpcs {
		covered[row.rpc] = true
		if len(row.want) != len(authzCallers) {
			t.Fatalf("%s: %d expectations for %d callers", row.rpc, len(row.want), len(authzCallers))
		}
	}
	authtest.RequireEveryMethod(t, func(m string) bool { return covered[m] },
		parscoringv1.File_par_parscoring_v1_parscoring_proto.Services().ByName("ParScoringService"),
		parscoringv1.File_par_parscoring_v1_methodology_proto.Services().ByName("MethodologyService"),
		parscoringv1.File_par_parscoring_v1_assessment_proto.Services().ByName("AssessmentService"),
		parscoringv1.File_par_parscoring_v1_results_proto.Services().ByName("ResultsService"),
	)

	for _, row := range rpcs {
		for i, c := range authzCallers {
			t.Run(row.rpc+"/"+strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
				defer cancel()
				if c.p != nil {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+authtest.Token(t, h.signer, *c.p))
				}
				err := row.call(ctx)
				authtest.CheckOutcome(t, row.want[i], err)
			})
		}
	}
}
