package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/accountability/internal/evaluation"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// authzCaller is one column of the authorisation matrix: a principal (nil: no token, the
// public) relative to the explanation of field 8, which Planning and Investment owns and
// Finance and the Tax Department cooperate on, to the evaluation of Planning and
// Investment's head, and to that of the chairman of Tân Hòa, a commune under Vũ Thư
// district.
type authzCaller struct {
	name string
	p    *auth.Principal
}

func principal(user, unit string, roles ...string) *auth.Principal {
	return &auth.Principal{Subject: "s-" + user, UserID: user, Name: "Người dùng " + user, UnitID: unit, Roles: roles}
}

// authzCallers are the columns, in the order of the expectation strings below.
var authzCallers = []authzCaller{
	{"secretariat", principal("u-snv", homeAffair, auth.RoleSecretariat)},
	{"leadership", principal("u-ubnd", province, auth.RoleLeadership)},
	{"appraiser", principal("u-td", homeAffair, auth.RoleAppraiser)},
	{"agency system of the owning unit", principal("sys-kh", planInvest, auth.RoleAgencySystem)},
	{"agency system of another unit", principal("sys-tp", justice, auth.RoleAgencySystem)},
	{"service", principal("svc-notification", "", auth.RoleService)},
	{"owning unit head", principal("u-c", planInvest, auth.RoleUnitHead)},
	{"owning unit staff", principal("u-kh", planInvest, auth.RoleUnitStaff)},
	{"cooperating unit staff", principal("u-tc", finance, auth.RoleUnitStaff)},
	{"other unit head", principal("u-tp", justice, auth.RoleUnitHead)},
	{"other unit staff", principal("u-tp2", justice, auth.RoleUnitStaff)},
	{"district head above a commune", principal("u-vt", vuThu, auth.RoleUnitHead)},
	{"public", nil},
}

// Expectations, one letter per caller in authzCallers order:
//
//	O  answered OK (for a row that looks for something: it was there)
//	A  allowed: past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied: the caller may see the thing but not do this
//	H  NotFound: the caller must not learn the thing exists (or see that part of it)
//	U  Unauthenticated
//
// Rows are named "<RPC>" or "<RPC>: <aspect>"; every RPC of the three services needs at
// least one row.
func authzRows() []authzRow {
	return []authzRow{
		// AccountabilityService: the secretariat keeps the matrix; everyone signed in reads it.
		{"PutResponsibilityMatrix", "ODDDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			req := art15()
			req.Year = 2030
			_, err := cl.matrix.PutResponsibilityMatrix(c, req)
			return err
		}},
		{"GetResponsibilityMatrix", "OOOOOOOOOOOOU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.matrix.GetResponsibilityMatrix(c, &accountabilityv1.GetResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"ImportResponsibilityMatrix", "ODDDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.matrix.ImportResponsibilityMatrix(c, &accountabilityv1.ImportResponsibilityMatrixRequest{
				ProvinceUnitId: province, Year: 2024, DryRun: true, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
			})
			return err
		}},
		{"ExportResponsibilityMatrix", "OOOOOOOOOOOOU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.matrix.ExportResponsibilityMatrix(c, &accountabilityv1.ExportResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},

		// ExplanationService: the owning unit writes its content and submits (Art. 12.1), a
		// cooperating unit its part (Art. 21.3), the secretariat reviews and concludes (Art.
		// 20.2); until publication (Art. 12.2) no other unit learns the request exists, and a
		// cooperating unit sees neither the owner's draft nor the other units' parts.
		{"RequestExplanation", "ODDDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.expl.RequestExplanation(c, &accountabilityv1.RequestExplanationRequest{
				ProvinceUnitId: province, Year: 2024, UnitId: justice, Title: "Chậm ban hành văn bản", Reason: "UBND tỉnh yêu cầu", Ground: "art12.2",
			})
			return err
		}},
		{"GetExplanation", "OOHOHHOOOHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.GetExplanation(c, &accountabilityv1.GetExplanationRequest{Id: f.explanation})
			return err
		}},
		{"GetExplanation: the owning unit's draft", "OOHOHHOOHHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.expl.GetExplanation(c, &accountabilityv1.GetExplanationRequest{Id: f.explanation})
			return authtest.Found(err, res.GetExplanation().GetContent().GetDirection() == ownerDraft)
		}},
		{"GetExplanation: another cooperating unit's part", "OOHOHHOOHHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.expl.GetExplanation(c, &accountabilityv1.GetExplanationRequest{Id: f.explanation})
			return authtest.Found(err, slices.ContainsFunc(res.GetExplanation().GetParts(), func(p *accountabilityv1.ExplanationPart) bool {
				return p.GetContent().GetDirection() == taxDraft
			}))
		}},
		{"ListExplanations", "OOHOHHOOOHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.expl.ListExplanations(c, &accountabilityv1.ListExplanationsRequest{Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetExplanations(), func(e *accountabilityv1.Explanation) bool { return e.GetId() == f.explanation }))
		}},
		{"ListExplanations: the owning unit's draft", "OOHOHHOOHHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.expl.ListExplanations(c, &accountabilityv1.ListExplanationsRequest{Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetExplanations(), func(e *accountabilityv1.Explanation) bool {
				return e.GetContent().GetDirection() == ownerDraft
			}))
		}},
		{"SaveExplanationDraft", "DDHDHHOODHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.SaveExplanationDraft(c, &accountabilityv1.SaveExplanationDraftRequest{Id: f.explanation, Content: draft(ownerDraft)})
			return err
		}},
		{"SaveExplanationPart", "DDHDHHDDOHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.SaveExplanationPart(c, &accountabilityv1.SaveExplanationPartRequest{Id: f.explanation, UnitId: finance, Content: draft("Sở Tài chính")})
			return err
		}},
		{"SaveExplanationPart: the owning unit's draft in the answer", "DDHDHHDDHHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			// What a cooperating unit's save answers must not carry the owner's draft either.
			res, err := cl.expl.SaveExplanationPart(c, &accountabilityv1.SaveExplanationPartRequest{Id: f.explanation, UnitId: finance, Content: draft("Sở Tài chính")})
			return authtest.Found(err, res.GetExplanation().GetContent().GetDirection() == ownerDraft)
		}},
		{"SubmitExplanation", "DDHDHHAADHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			// No shortcoming yet: whoever may submit gets InvalidArgument, after the check.
			_, err := cl.expl.SubmitExplanation(c, &accountabilityv1.SubmitExplanationRequest{Id: f.explanation})
			return err
		}},
		{"ReturnExplanation", "ADHDHHDDDHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.ReturnExplanation(c, &accountabilityv1.ReturnExplanationRequest{Id: f.explanation, Comment: "Bổ sung"})
			return err
		}},
		{"ConcludeExplanation", "ADHDHHDDDHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.ConcludeExplanation(c, &accountabilityv1.ConcludeExplanationRequest{Id: f.explanation, Conclusion: "Kết luận"})
			return err
		}},
		{"PublishExplanation", "ADHDHHDDDHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.PublishExplanation(c, &accountabilityv1.PublishExplanationRequest{Id: f.explanation})
			return err
		}},
		{"RunExplanationTriggers", "ODDDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.expl.RunExplanationTriggers(c, &accountabilityv1.RunExplanationTriggersRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"GetAccountabilityReport", "OODDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.expl.GetAccountabilityReport(c, &accountabilityv1.GetAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"ExportAccountabilityReport", "OODDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.expl.ExportAccountabilityReport(c, &accountabilityv1.ExportAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		// Public reads (Art. 12.2): concluded and published explanations only, to anyone; the
		// fixture's explanation is an open request, so nobody finds it there.
		{"ListPublishedExplanations", "OOOOOOOOOOOOO", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.expl.ListPublishedExplanations(c, &accountabilityv1.ListPublishedExplanationsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"ListPublishedExplanations: an open request", "HHHHHHHHHHHHH", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.expl.ListPublishedExplanations(c, &accountabilityv1.ListPublishedExplanationsRequest{ProvinceUnitId: province, Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetExplanations(), func(e *accountabilityv1.Explanation) bool { return e.GetId() == f.explanation }))
		}},
		{"GetPublishedExplanation", "HHHHHHHHHHHHH", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.GetPublishedExplanation(c, &accountabilityv1.GetPublishedExplanationRequest{Id: f.explanation})
			return err
		}},
		{"ListAuditRecords", "ODDDDDDDDDDDU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.expl.ListAuditRecords(c, &accountabilityv1.ListAuditRecordsRequest{Entity: "explanation", EntityId: f.explanation})
			return err
		}},

		// EvaluationService: the secretariat evaluates and publishes the heads of departments
		// and districts (Art. 20.3), the head of a district those of the communes under it
		// (Art. 17.2, 21.4); the provincial leadership decides proposals (Art. 19.1), the
		// district head those on its communes' chairmen (Art. 19.2); a head sees their own
		// published evaluation, a district head also its communes'.
		{"GetEvaluationPolicy", "OOOOOOOOOOOOU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.eval.GetEvaluationPolicy(c, &accountabilityv1.GetEvaluationPolicyRequest{ProvinceUnitId: province})
			return err
		}},
		{"PutEvaluationPolicy", "ODDDDDDDDDDDU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.eval.PutEvaluationPolicy(c, &accountabilityv1.PutEvaluationPolicyRequest{ProvinceUnitId: uuid.NewString(), PolicyJson: string(evaluation.DefaultPolicyJSON())})
			return err
		}},
		{"EvaluateHeads", "ADDDDDDDDDDOU", func(c context.Context, _ *authzFixture, cl clients) error {
			// Published already: the secretariat gets FailedPrecondition, after the check.
			_, err := cl.eval.EvaluateHeads(c, &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"ListEvaluations", "OOHOHHOOHHHHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.eval.ListEvaluations(c, &accountabilityv1.ListEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetEvaluations(), func(e *accountabilityv1.HeadEvaluation) bool { return e.GetUnitId() == planInvest }))
		}},
		{"ListEvaluations: a commune chairman's draft", "OOHHHHHHHHHOU", func(c context.Context, _ *authzFixture, cl clients) error {
			res, err := cl.eval.ListEvaluations(c, &accountabilityv1.ListEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetEvaluations(), func(e *accountabilityv1.HeadEvaluation) bool { return e.GetUnitId() == tanHoa }))
		}},
		{"PublishEvaluations", "ADDDDDDDDDDOU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.eval.PublishEvaluations(c, &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		// A unit head lists (and decides) only proposals on the communes under its unit (Art.
		// 19.2); Planning and Investment's is the provincial committee's (Art. 19.1).
		{"ListSanctionProposals", "OODDDDHDDHDHU", func(c context.Context, f *authzFixture, cl clients) error {
			res, err := cl.eval.ListSanctionProposals(c, &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
			return authtest.Found(err, slices.ContainsFunc(res.GetProposals(), func(p *accountabilityv1.SanctionProposal) bool { return p.GetId() == f.proposal }))
		}},
		{"DecideSanctionProposal", "DADDDDHDDHDHU", func(c context.Context, f *authzFixture, cl clients) error {
			_, err := cl.eval.DecideSanctionProposal(c, &accountabilityv1.DecideSanctionProposalRequest{Id: f.proposal, Approve: true, Note: "Đồng ý"})
			return err
		}},
		// The head of a district reports on the communes under it (Art. 21.4); here Vũ Thư's
		// evaluation is a draft, so its head is refused after the check. The secretariat and
		// the leadership read every district's report, a unit head its own unit's.
		{"SubmitDistrictReport", "DDDDDDDDDDDAU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.eval.SubmitDistrictReport(c, &accountabilityv1.SubmitDistrictReportRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
		{"ListDistrictReports", "OODDDDODDODOU", func(c context.Context, _ *authzFixture, cl clients) error {
			_, err := cl.eval.ListDistrictReports(c, &accountabilityv1.ListDistrictReportsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}},
	}
}

const (
	ownerDraft = "Bản thảo của Sở Kế hoạch và Đầu tư"
	taxDraft   = "Phần của Cục Thuế"
)

type authzRow struct {
	rpc  string
	want string
	call func(context.Context, *authzFixture, clients) error
}

type clients struct {
	matrix accountabilityv1.AccountabilityServiceClient
	expl   accountabilityv1.ExplanationServiceClient
	eval   accountabilityv1.EvaluationServiceClient
}

// authzFixture is what the rows act on: the explanation of field 8 for 2024 with the
// owner's draft and the Tax Department's part written, the proposal made from Planning
// and Investment's published evaluation, and Vũ Thư's draft evaluation of Tân Hòa's chairman.
type authzFixture struct {
	explanation string
	proposal    string
}

// TestAuthorisationMatrix walks every RPC of AccountabilityService, ExplanationService and
// EvaluationService for every role, on its own unit's explanation and evaluation and on
// another unit's (issue 5 item 10), against the table above.
func TestAuthorisationMatrix(t *testing.T) {
	rows := authzRows()
	// Every RPC of the three services has a row.
	covered := map[string]bool{}
	for _, r := range rows {
		covered[strings.SplitN(r.rpc, ":", 2)[0]] = true
		if len(r.want) != len(authzCallers) {
			t.Fatalf("%s: %d expectations for %d callers", r.rpc, len(r.want), len(authzCallers))
		}
	}
	authtest.RequireEveryMethod(t, func(m string) bool { return covered[m] },
		accountabilityv1.File_par_accountability_v1_accountability_proto.Services().ByName("AccountabilityService"),
		accountabilityv1.File_par_accountability_v1_explanations_proto.Services().ByName("ExplanationService"),
		accountabilityv1.File_par_accountability_v1_evaluations_proto.Services().ByName("EvaluationService"),
	)

	dir := thaiBinhDirectory()
	dir.units[vuThu], dir.units[tanHoa], dir.parents[vuThu], dir.parents[tanHoa] = true, true, province, vuThu
	dir.tenures = map[string][]*directoryv1.HeadTenure{planInvest: {{UnitId: planInvest, PersonName: "Trần Văn C", UserId: "u-c", StartDate: "2019-06-01"}}}
	h := start(t, startDirectory(t, dir))
	cl := clients{matrix: h.client, expl: h.explanations, eval: accountabilityv1.NewEvaluationServiceClient(h.conn)}
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	importDefaultMatrix(t, h, secretariat, 2024)
	publishResult(t, h.js, uuid.NewString(), provincial2024())
	// Planning and Investment's own index of 55.00: not completed (Art. 17.1.d), so a
	// written notice is proposed (Art. 19.1.b).
	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, planInvest, "department", "55.00"))
	// Tân Hòa's commune index of 55.00, for Vũ Thư's head to evaluate (Art. 17.2).
	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, tanHoa, "commune", "55.00"))

	f := &authzFixture{}
	for _, e := range waitExplanations(t, h, secretariat, 2024, 2) {
		if e.GetNodeCode() == "8" && e.GetUnitId() == planInvest {
			f.explanation = e.GetId()
		}
	}
	if f.explanation == "" {
		t.Fatal("no request for field 8")
	}
	owner := h.tokenFor(t, "u-c", planInvest, auth.RoleUnitHead)
	if _, err := cl.expl.SaveExplanationDraft(ctx(t, owner), &accountabilityv1.SaveExplanationDraftRequest{Id: f.explanation, Content: draft(ownerDraft)}); err != nil {
		t.Fatal(err)
	}
	taxStaff := h.tokenFor(t, "u-thue", taxDept, auth.RoleUnitStaff)
	if _, err := cl.expl.SaveExplanationPart(ctx(t, taxStaff), &accountabilityv1.SaveExplanationPartRequest{Id: f.explanation, UnitId: taxDept, Content: draft(taxDraft)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(callTimeout)
	for {
		res, err := cl.eval.EvaluateHeads(ctx(t, secretariat), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetEvaluations()) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Planning and Investment's index never arrived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := cl.eval.PublishEvaluations(ctx(t, secretariat), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024}); err != nil {
		t.Fatal(err)
	}
	props, err := cl.eval.ListSanctionProposals(ctx(t, secretariat), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil || len(props.GetProposals()) == 0 {
		t.Fatalf("proposals: %v %v", props, err)
	}
	f.proposal = props.GetProposals()[0].GetId()
	// Vũ Thư's head evaluates Tân Hòa's chairman: a draft, which only the secretariat, the
	// leadership and that head see.
	evaluateOne(t, cl.eval, h.tokenFor(t, "u-vt", vuThu, auth.RoleUnitHead))

	for _, r := range rows {
		for i, c := range authzCallers {
			t.Run(r.rpc+"/"+strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				tok := ""
				if c.p != nil {
					tok = h.tokenFor(t, c.p.UserID, c.p.UnitID, c.p.Roles...)
				}
				err := r.call(ctx(t, tok), f, cl)
				authtest.CheckOutcome(t, r.want[i], err)
			})
		}
	}
}

// importDefaultMatrix stores the Thái Bình matrix (Art. 15) for the province and year.
func importDefaultMatrix(t *testing.T, h *harness, secretariat string, year int32) {
	t.Helper()
	if _, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
		ProvinceUnitId: province, Year: year, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
	}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
}
