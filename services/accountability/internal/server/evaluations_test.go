package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/accountability/internal/tabular"
	"github.com/parindex/platform/services/kit/auth"
)

const commune = "0190a000-0000-7000-8000-000000000020" // UBND xã, evaluated from the commune index

// provincial returns the Ministry's provincial index of a year: field 3 fell every year,
// field 2 held at 9.00, field 8 fell in 2024 only.
func provincial(year int) *parscoringv1.SubjectResultPublished {
	ev := &parscoringv1.SubjectResultPublished{
		SnapshotId: uuid.NewString(), Year: int32(year), SubjectKind: "province", UnitId: province,
		Source:      parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED,
		PublishTime: timestamppb.New(time.Date(year+1, 5, 10, 3, 0, 0, 0, time.UTC)),
		Nodes: []*parscoringv1.NodeResult{
			{Code: "2", Name: "Cải cách thể chế", Score: "9.00", MaxPoints: "10.00", PreviousScore: "9.00"},
			{Code: "3", Name: "Cải cách thủ tục hành chính", Score: fmt.Sprintf("%d.00", 12-(year-2022)), MaxPoints: "13.00", PreviousScore: fmt.Sprintf("%d.50", 12-(year-2022))},
			{Code: "8", Name: "Tác động của cải cách hành chính", Score: "14.00", MaxPoints: "16.50", PreviousScore: "13.00"},
		},
	}
	if year == 2024 {
		ev.Nodes[2].Score, ev.Nodes[2].PreviousScore = "13.00", "14.00"
	}
	return ev
}

// unitIndex is a unit's own index published by the province.
func unitIndex(year int, unit, kind, index string) *parscoringv1.SubjectResultPublished {
	return &parscoringv1.SubjectResultPublished{
		SnapshotId: uuid.NewString(), Year: int32(year), SubjectKind: kind, UnitId: unit, IndexPercent: index, Total: index,
		Source: parscoringv1.ResultSource_RESULT_SOURCE_APPRAISED, PublishTime: timestamppb.New(time.Date(year+1, 3, 1, 0, 0, 0, 0, time.UTC)),
	}
}

// conclude drives the explanation of (year, node) through submission to conclusion with cause.
func conclude(t *testing.T, h *harness, secretariat string, year int32, node, unit string, cause accountabilityv1.CauseKind) {
	t.Helper()
	var id string
	deadline := time.Now().Add(callTimeout)
	for id == "" && time.Now().Before(deadline) {
		res, err := h.explanations.ListExplanations(ctx(t, secretariat), &accountabilityv1.ListExplanationsRequest{Year: year, UnitId: unit}, grpc.WaitForReady(true))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.GetExplanations() {
			if e.GetNodeCode() == node {
				id = e.GetId()
			}
		}
		if id == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if id == "" {
		t.Fatalf("no explanation for %d/%s", year, node)
	}
	owner := h.tokenFor(t, "u-owner", unit, auth.RoleUnitHead)
	if _, err := h.explanations.SaveExplanationDraft(ctx(t, owner), &accountabilityv1.SaveExplanationDraftRequest{Id: id, Content: &accountabilityv1.ExplanationContent{
		Shortcomings: []*accountabilityv1.Shortcoming{{NodeCode: node, Description: "Điểm giảm", Causes: []*accountabilityv1.Cause{{Kind: cause, Description: "Nguyên nhân"}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.explanations.SubmitExplanation(ctx(t, owner), &accountabilityv1.SubmitExplanationRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: id, Conclusion: "Kết luận",
		DeterminedCauses: []*accountabilityv1.DeterminedCause{{NodeCode: node, Cause: cause}}}); err != nil {
		t.Fatal(err)
	}
}

func TestEvaluationsAndSanctions(t *testing.T) {
	const (
		namDinh     = "0190a000-0000-7000-8000-000000000040" // another province
		namDinhDept = "0190a000-0000-7000-8000-000000000041" // one of its departments
	)
	dir := thaiBinhDirectory()
	// The commune sits directly under the province (two-tier government); Nam Định's
	// department publishes on the same stream but is not Thái Bình's to evaluate (Art. 4).
	dir.units[commune], dir.parents[commune] = true, province
	dir.units[namDinh], dir.units[namDinhDept], dir.parents[namDinhDept] = true, true, namDinh
	h := start(t, startDirectory(t, dir))
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	if _, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
		ProvinceUnitId: province, Year: 2022, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
	}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
	// Three years of results; field 3 fell each year for a subjective cause (the 2022
	// matrix stays in force), field 8 fell in 2024 for an objective one.
	for _, y := range []int{2022, 2023, 2024} {
		publishResult(t, h.js, uuid.NewString(), provincial(y))
		conclude(t, h, secretariat, int32(y), "3", ppcOffice, accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE)
	}
	conclude(t, h, secretariat, 2024, "8", planInvest, accountabilityv1.CauseKind_CAUSE_KIND_OBJECTIVE)
	for _, r := range []*parscoringv1.SubjectResultPublished{
		unitIndex(2024, namDinhDept, "department", "50.00"), // first: consumed before the rest
		unitIndex(2024, ppcOffice, "department", "85.00"),
		unitIndex(2024, justice, "department", "95.00"),    // owns field 2, which only held
		unitIndex(2024, planInvest, "department", "85.00"), // field 8 fell once, objective cause
		unitIndex(2024, finance, "department", "91.00"),    // owns field 6, not in these results
		unitIndex(2024, commune, "commune", "55.00"),
	} {
		publishResult(t, h.js, uuid.NewString(), r)
	}
	eval := accountabilityv1.NewEvaluationServiceClient(h.conn)

	var evs []*accountabilityv1.HeadEvaluation
	deadline := time.Now().Add(callTimeout)
	for len(evs) < 5 && time.Now().Before(deadline) {
		res, err := eval.EvaluateHeads(ctx(t, secretariat), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		evs = res.GetEvaluations()
		if len(evs) < 5 {
			time.Sleep(100 * time.Millisecond) // the unit results are still being consumed
		}
	}
	got := map[string]string{}
	for _, e := range evs {
		got[e.GetUnitId()] = e.GetTier() + " by " + e.GetRule()
		if e.GetLegalBasis() == "" || len(e.GetInputs()) == 0 || e.GetExplanation() == "" {
			t.Errorf("%s: result without basis, inputs or explanation: %v", e.GetUnitId(), e)
		}
	}
	want := map[string]string{
		ppcOffice:  "not_completed by art17.1.d",
		justice:    "completed by policy.fallback", // 95 but the owned item merely held: not covered by the text
		planInvest: "completed by policy.fallback", // fell once, objective cause: not covered by the text
		finance:    "excellent by art17.1.a",
		commune:    "not_completed by art17.2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evaluations (-want +got):\n%s", diff)
	}

	res, err := eval.PublishEvaluations(ctx(t, secretariat), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{}
	for _, p := range res.GetProposals() {
		kinds[p.GetUnitId()] = append(kinds[p.GetUnitId()], p.GetKind())
		if p.GetLegalBasis() == "" || len(p.GetEvidence()) == 0 || p.GetStatus() != "proposed" {
			t.Errorf("proposal %v", p)
		}
	}
	for _, k := range kinds {
		slices.Sort(k)
	}
	wantKinds := map[string][]string{
		ppcOffice: {"report_to_party_committee", "written_criticism", "written_notice"},
		finance:   {"commendation"},
		commune:   {"commune_criticism"},
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("proposals (-want +got):\n%s", diff)
	}
	if n := countEvents(t, h.js, "accountability.v1.sanction.proposed", 5); n != 5 {
		t.Errorf("%d SanctionProposed, want 5", n)
	}
	if n := countEvents(t, h.js, "accountability.v1.evaluation.published", 5); n != 5 {
		t.Errorf("%d HeadEvaluated, want 5", n)
	}
	if _, err := eval.EvaluateHeads(ctx(t, secretariat), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("re-evaluating a published year: %v", err)
	}

	var party string
	for _, p := range res.GetProposals() {
		if p.GetKind() == "report_to_party_committee" {
			party = p.GetId()
			if p.GetLegalBasis() != "Điều 19 khoản 1 điểm c Quyết định 3373/QĐ-UBND" {
				t.Errorf("legal basis %q", p.GetLegalBasis())
			}
		}
	}
	decide := &accountabilityv1.DecideSanctionProposalRequest{Id: party, Approve: true, Note: "Công văn số 15/UBND-NC ngày 20/6/2025"}
	if _, err := eval.DecideSanctionProposal(ctx(t, secretariat), decide); status.Code(err) != codes.PermissionDenied {
		t.Errorf("secretariat deciding: %v", err)
	}
	leader := h.tokenFor(t, "u-ct", province, auth.RoleLeadership)
	d, err := eval.DecideSanctionProposal(ctx(t, leader), decide)
	if err != nil {
		t.Fatal(err)
	}
	if d.GetProposal().GetStatus() != "approved" || d.GetProposal().GetDecisionNote() != decide.GetNote() {
		t.Errorf("decision %v", d.GetProposal())
	}
	if _, err := eval.DecideSanctionProposal(ctx(t, leader), decide); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("deciding twice: %v", err)
	}

	t.Run("30-day report", func(t *testing.T) {
		rep, err := h.explanations.GetAccountabilityReport(ctx(t, leader), &accountabilityv1.GetAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		r := rep.GetReport()
		dirs := map[string]string{}
		for _, c := range r.GetChanges() {
			dirs[c.GetCode()] = c.GetDirection() + " " + c.GetDelta() + " " + c.GetOwnerUnitId()
		}
		wantDirs := map[string]string{"2": "giữ nguyên +0.00 " + justice, "3": "giảm -0.50 " + ppcOffice, "8": "giảm -1.00 " + planInvest}
		if diff := cmp.Diff(wantDirs, dirs); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		if r.GetDeadline() != "2025-06-09" || len(r.GetExplanations()) != 2 || len(r.GetEvaluations()) != 5 || len(r.GetProposals()) != 5 {
			t.Errorf("deadline %s, %d explanations, %d evaluations, %d proposals", r.GetDeadline(), len(r.GetExplanations()), len(r.GetEvaluations()), len(r.GetProposals()))
		}
		x, err := h.explanations.ExportAccountabilityReport(ctx(t, secretariat), &accountabilityv1.ExportAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := tabular.ReadXLSX(x.GetFile().GetContent())
		if err != nil || len(recs) < 2 || recs[1][1] != "Điều 20 khoản 2 Quyết định 3373/QĐ-UBND" {
			t.Errorf("xlsx first sheet %v, %v", recs, err)
		}
		html, err := h.explanations.ExportAccountabilityReport(ctx(t, secretariat), &accountabilityv1.ExportAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024, Format: accountabilityv1.ReportFormat_REPORT_FORMAT_HTML})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Điều 20 khoản 2", "Báo cáo Ban Thường vụ Tỉnh ủy xem xét công tác cán bộ", "Không hoàn thành nhiệm vụ"} {
			if !strings.Contains(string(html.GetFile().GetContent()), want) {
				t.Errorf("html lacks %q", want)
			}
		}
		if _, err := h.explanations.GetAccountabilityReport(ctx(t, h.tokenFor(t, "u-x", justice, auth.RoleUnitHead)), &accountabilityv1.GetAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("unit head reading the report: %v", err)
		}
	})
}
