package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// TestDistrictReport: the chairman of a district reports the evaluation and classification
// of the chairmen of the communes under the district, with how each was handled, to the
// Department of Home Affairs (002 Art. 21.4) — only once every commune with a published
// index has a published evaluation (Art. 17.2); a correction replaces the report with the
// current decisions (Art. 19.2); the secretariat and the provincial leadership read every
// district's report, a district head its own, and the Art. 20.2 report compiles them.
func TestDistrictReport(t *testing.T) {
	const (
		dongThanh = "0190a000-0000-7000-8000-000000000034" // UBND xã Đồng Thanh, under Vũ Thư
		kienXuong = "0190a000-0000-7000-8000-000000000032" // UBND huyện Kiến Xương
	)
	dir := thaiBinhDirectory()
	for _, id := range []string{vuThu, tanHoa, dongThanh, kienXuong} {
		dir.units[id] = true
	}
	dir.parents[vuThu], dir.parents[kienXuong], dir.parents[tanHoa], dir.parents[dongThanh] = province, province, vuThu, vuThu
	h := start(t, startDirectory(t, dir))
	eval := accountabilityv1.NewEvaluationServiceClient(h.conn)
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	leadership := h.tokenFor(t, "u-ct", province, auth.RoleLeadership)
	vuThuHead := h.tokenFor(t, "u-vt", vuThu, auth.RoleUnitHead)
	kienXuongHead := h.tokenFor(t, "u-kx", kienXuong, auth.RoleUnitHead)
	justiceHead := h.tokenFor(t, "u-tp", justice, auth.RoleUnitHead)
	vuThuStaff := h.tokenFor(t, "u-vt2", vuThu, auth.RoleUnitStaff)
	importDefaultMatrix(t, h, secretariat, 2024)
	publishResult(t, h.js, uuid.NewString(), provincial2024())
	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, tanHoa, "commune", "55.00"))
	submit := func(tok, number string) (*accountabilityv1.DistrictReport, error) {
		res, err := eval.SubmitDistrictReport(ctx(t, tok), &accountabilityv1.SubmitDistrictReportRequest{
			ProvinceUnitId: province, Year: 2024, DocumentNumber: number, Summary: "Kết quả đánh giá, phân loại Chủ tịch UBND cấp xã năm 2024",
		})
		return res.GetReport(), err
	}

	publishResult(t, h.js, uuid.NewString(), unitIndex(2024, dongThanh, "commune", "86.00"))
	waitFor(t, func() bool {
		res, err := eval.EvaluateHeads(ctx(t, vuThuHead), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		return err == nil && len(res.GetEvaluations()) == 2
	})

	// Drafts: nothing final to report yet.
	if _, err := submit(vuThuHead, "15/BC-UBND"); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("report on draft evaluations: %v, want FailedPrecondition", err)
	}
	// Only the head of a district above evaluated communes reports (Art. 21.4).
	for _, c := range []struct{ name, tok string }{
		{"the secretariat", secretariat}, {"a department head", justiceHead}, {"a district head without communes", kienXuongHead}, {"district staff", vuThuStaff},
	} {
		if _, err := submit(c.tok, ""); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s submits: %v, want PermissionDenied", c.name, err)
		}
	}
	if _, err := submit(vuThuHead, strings.Repeat("9", 101)); !slices.Equal(violationFields(err), []string{"document_number"}) {
		t.Errorf("a 101-character report number: %v, want a violation of document_number", err)
	}

	pub, err := eval.PublishEvaluations(ctx(t, vuThuHead), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	first, err := submit(vuThuHead, "15/BC-UBND")
	if err != nil {
		t.Fatal(err)
	}
	if first.GetRevision() != 1 || first.GetDistrictUnitId() != vuThu || first.GetLegalBasis() != "Điều 21 khoản 4 Quyết định 3373/QĐ-UBND" || first.GetDocumentNumber() != "15/BC-UBND" {
		t.Errorf("report = %v", first)
	}
	var units []string
	var tanHoaLine *accountabilityv1.DistrictReportLine
	for _, l := range first.GetLines() {
		units = append(units, l.GetUnitId())
		if l.GetUnitId() == tanHoa {
			tanHoaLine = l
		}
	}
	if slices.Sort(units); !slices.Equal(units, sorted(tanHoa, dongThanh)) {
		t.Fatalf("report lines %v, want Tân Hòa and Đồng Thanh", units)
	}
	// Below 60: not completed (Art. 17.2), criticism proposed, not yet decided (Art. 19.2.a).
	if tanHoaLine.GetTier() != "not_completed" || len(tanHoaLine.GetHandling()) != 1 ||
		tanHoaLine.GetHandling()[0].GetKind() != "commune_criticism" || tanHoaLine.GetHandling()[0].GetStatus() != "proposed" {
		t.Errorf("Tân Hòa's line = %v", tanHoaLine)
	}
	total := 0
	for _, c := range first.GetTierCounts() {
		total += int(c.GetCount())
		if c.GetTier() == "not_completed" && c.GetCount() != 1 {
			t.Errorf("not completed: %d, want 1", c.GetCount())
		}
	}
	if total != 2 || len(first.GetTierCounts()) != 4 {
		t.Errorf("tier counts %v", first.GetTierCounts())
	}

	// The district chairman criticises Tân Hòa's chairman, then corrects the report.
	var proposal string
	for _, p := range pub.GetProposals() {
		if p.GetUnitId() == tanHoa {
			proposal = p.GetId()
		}
	}
	if _, err := eval.DecideSanctionProposal(ctx(t, vuThuHead), &accountabilityv1.DecideSanctionProposalRequest{Id: proposal, Approve: true, Note: "QĐ 7/QĐ-UBND"}); err != nil {
		t.Fatal(err)
	}
	second, err := submit(vuThuHead, "16/BC-UBND")
	if err != nil {
		t.Fatal(err)
	}
	if second.GetId() != first.GetId() || second.GetRevision() != 2 || second.GetDocumentNumber() != "16/BC-UBND" {
		t.Errorf("correction = id %s revision %d number %s", second.GetId(), second.GetRevision(), second.GetDocumentNumber())
	}
	for _, l := range second.GetLines() {
		if l.GetUnitId() == tanHoa && (len(l.GetHandling()) != 1 || l.GetHandling()[0].GetStatus() != "approved" || l.GetHandling()[0].GetDecisionNote() != "QĐ 7/QĐ-UBND") {
			t.Errorf("Tân Hòa's handling after the decision: %v", l.GetHandling())
		}
	}
	if n := countEvents(t, h.js, "accountability.v1.district_report.submitted", 2); n != 2 {
		t.Errorf("%d DistrictReportSubmitted events, want 2", n)
	}
	audit, err := h.explanations.ListAuditRecords(ctx(t, secretariat), &accountabilityv1.ListAuditRecordsRequest{Entity: "district_report", EntityId: first.GetId()})
	if err != nil || len(audit.GetRecords()) != 2 {
		t.Errorf("audit of the report: %v, %v; want two records", audit.GetRecords(), err)
	}

	list := func(tok string) ([]*accountabilityv1.DistrictReport, error) {
		res, err := eval.ListDistrictReports(ctx(t, tok), &accountabilityv1.ListDistrictReportsRequest{ProvinceUnitId: province, Year: 2024})
		return res.GetReports(), err
	}
	for _, c := range []struct {
		name, tok string
		want      int
	}{{"the secretariat", secretariat, 1}, {"the leadership", leadership, 1}, {"Vũ Thư's head", vuThuHead, 1}, {"Kiến Xương's head", kienXuongHead, 0}} {
		got, err := list(c.tok)
		if err != nil || len(got) != c.want {
			t.Errorf("%s lists %d reports (%v), want %d", c.name, len(got), err, c.want)
		} else if c.want == 1 && !proto.Equal(got[0], second) {
			t.Errorf("%s reads %v, want %v", c.name, got[0], second)
		}
	}
	if _, err := list(vuThuStaff); status.Code(err) != codes.PermissionDenied {
		t.Errorf("district staff lists: %v, want PermissionDenied", err)
	}

	// The Department of Home Affairs compiles the districts' reports for the provincial
	// chairman (Art. 21.4), in the Art. 20.2 report and its export.
	rep, err := h.explanations.GetAccountabilityReport(ctx(t, secretariat), &accountabilityv1.GetAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if ds := rep.GetReport().GetDistrictReports(); len(ds) != 1 || ds[0].GetRevision() != 2 {
		t.Errorf("district reports in the Art. 20.2 report: %v", ds)
	}
	html, err := h.explanations.ExportAccountabilityReport(ctx(t, secretariat), &accountabilityv1.ExportAccountabilityReportRequest{ProvinceUnitId: province, Year: 2024, Format: accountabilityv1.ReportFormat_REPORT_FORMAT_HTML})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Báo cáo cấp huyện", "16/BC-UBND", "Điều 21 khoản 4"} {
		if !strings.Contains(string(html.GetFile().GetContent()), want) {
			t.Errorf("exported report lacks %q", want)
		}
	}
}

// waitFor polls cond until it holds or the test's call timeout passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
