package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

// snvStaff works in the Department of Home Affairs, which leads III.3 of plan 56 and receives
// the periodic reports.
var snvStaff = auth.Principal{Subject: "s-snv", UserID: uuid.NewString(), UnitID: unitSNV, Roles: []string{auth.RoleUnitStaff}}

// upload sends content as an evidence file of occurrence occID in chunks of chunk bytes.
func upload(ctx context.Context, c tasktrackingv1.ProgressReportServiceClient, occID, name string, content []byte, chunk int) (*tasktrackingv1.Evidence, error) {
	stream, err := c.UploadEvidence(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&tasktrackingv1.UploadEvidenceRequest{Part: &tasktrackingv1.UploadEvidenceRequest_Metadata{
		Metadata: &tasktrackingv1.EvidenceMetadata{OccurrenceId: occID, FileName: name, Description: "Báo cáo kết quả"},
	}}); err != nil {
		return nil, err
	}
	for len(content) > 0 {
		n := min(chunk, len(content))
		// A refused upload ends the stream early: the error comes with CloseAndRecv.
		if err := stream.Send(&tasktrackingv1.UploadEvidenceRequest{Part: &tasktrackingv1.UploadEvidenceRequest_Chunk{Chunk: content[:n]}}); err != nil {
			break
		}
		content = content[n:]
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetEvidence(), err
}

// download reads an evidence file back.
func download(ctx context.Context, c tasktrackingv1.ProgressReportServiceClient, id string) (*tasktrackingv1.Evidence, []byte, error) {
	stream, err := c.DownloadEvidence(ctx, &tasktrackingv1.DownloadEvidenceRequest{EvidenceId: id})
	if err != nil {
		return nil, nil, err
	}
	var (
		meta *tasktrackingv1.Evidence
		buf  bytes.Buffer
	)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return meta, buf.Bytes(), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if e := msg.GetEvidence(); e != nil {
			meta = e
		}
		buf.Write(msg.GetChunk())
	}
}

// pdf is a small file that sniffs as PDF, larger than one chunk of the test.
var pdf = append([]byte("%PDF-1.4\n% Báo cáo kết quả thực hiện nhiệm vụ\n"), bytes.Repeat([]byte("0123456789"), 3000)...)

func TestEvidence(t *testing.T) {
	f := newFixtureWith(t, func(c *server.Config) { c.MaxEvidenceBytes = 64 << 10 })
	iv1 := f.occurrences(t, 1)[0].GetId() // STP leads IV.1
	iii3 := f.occurrences(t, 0)[0].GetId()
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }

	e, err := upload(as(stpStaff), f.reports, iv1, "Bao-cao-quy-I.pdf", pdf, 7000)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	if e.GetMediaType() != "application/pdf" || e.GetSizeBytes() != int64(len(pdf)) || e.GetSha256() != hex.EncodeToString(sum[:]) ||
		e.GetUnitId() != unitSTP || e.GetUploadedBy().GetSubject() != stpStaff.Subject || e.GetFileName() != "Bao-cao-quy-I.pdf" {
		t.Errorf("uploaded = %v", e)
	}
	// The lead, the secretariat and an appraiser download the same bytes.
	for _, p := range []auth.Principal{stpStaff, secretariat, appraiser} {
		meta, content, err := download(as(p), f.reports, e.GetId())
		if err != nil {
			t.Fatalf("%s: %v", p.Subject, err)
		}
		if !bytes.Equal(content, pdf) || !proto.Equal(meta, e) {
			t.Errorf("%s downloaded %d bytes, meta %v", p.Subject, len(content), meta)
		}
	}
	// Another unit learns nothing: list, get and download are NotFound.
	if _, err := f.reports.GetEvidence(as(stcStaff), &tasktrackingv1.GetEvidenceRequest{EvidenceId: e.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("GetEvidence by another unit = %v, want NotFound", err)
	}
	if _, _, err := download(as(stcStaff), f.reports, e.GetId()); status.Code(err) != codes.NotFound {
		t.Errorf("DownloadEvidence by another unit = %v, want NotFound", err)
	}
	if _, err := f.reports.ListEvidence(as(stcStaff), &tasktrackingv1.ListEvidenceRequest{OccurrenceId: iv1}); status.Code(err) != codes.NotFound {
		t.Errorf("ListEvidence by another unit = %v, want NotFound", err)
	}
	if _, err := upload(as(stcStaff), f.reports, iv1, "x.pdf", pdf, 1<<20); status.Code(err) != codes.NotFound {
		t.Errorf("upload by another unit = %v, want NotFound", err)
	}
	// A cooperating unit uploads; the secretariat may read but not upload.
	if _, err := upload(as(stpStaff), f.reports, iii3, "phoi-hop.pdf", pdf, 1<<20); err != nil {
		t.Errorf("upload by a cooperating unit: %v", err)
	}
	if _, err := upload(as(secretariat), f.reports, iv1, "x.pdf", pdf, 1<<20); status.Code(err) != codes.PermissionDenied {
		t.Errorf("upload by the secretariat = %v, want PermissionDenied", err)
	}

	// Refusals: an executable whatever its name, a file over the limit, an empty file.
	for _, tt := range []struct {
		name, file string
		content    []byte
	}{
		{"executable named .pdf", "virus.pdf", append([]byte("MZ\x90\x00"), make([]byte, 600)...)},
		{"over MAX_EVIDENCE_BYTES", "big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 64<<10)...)},
		{"empty", "empty.pdf", nil},
	} {
		_, err := upload(as(stpStaff), f.reports, iv1, tt.file, tt.content, 16<<10)
		if status.Code(err) != codes.InvalidArgument || len(apierr.Violations(err)) == 0 {
			t.Errorf("%s: %v, want InvalidArgument with a field violation", tt.name, err)
		}
	}
	// An Office document is a zip container: its name says which.
	docx := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{1}, 100)...)
	d, err := upload(as(stpStaff), f.reports, iv1, "Ke-hoach.docx", docx, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if d.GetMediaType() != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
		t.Errorf("docx media type %q", d.GetMediaType())
	}
	list, err := f.reports.ListEvidence(as(appraiser), &tasktrackingv1.ListEvidenceRequest{OccurrenceId: iv1})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range list.GetEvidence() {
		names = append(names, x.GetFileName())
	}
	if diff := cmp.Diff([]string{"Bao-cao-quy-I.pdf", "Ke-hoach.docx"}, names); diff != "" {
		t.Errorf("evidence of IV.1 (-want +got):\n%s", diff)
	}
	// Each stored file announced once.
	if got := len(f.eventsOn(t, 3+3, "tasktracking.v1.evidence.uploaded")); got != 3 {
		t.Errorf("%d EvidenceUploaded events, want 3", got)
	}
}

// newFixtureWith is newFixture with a configuration change after the fixture's own.
func newFixtureWith(t *testing.T, configure func(*server.Config)) *fixture {
	t.Helper()
	clock := &fakeClock{now: time.Date(2021, 6, 1, 2, 0, 0, 0, time.UTC)}
	e := startWith(t, func(c *server.Config) {
		c.Clock = clock.Now
		configure(c)
	})
	created, err := e.client.CreateDocument(e.as(t.Context(), t, secretariat), &tasktrackingv1.CreateDocumentRequest{Document: plan56("56/KH-UBND")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: e, clock: clock, doc: created.GetDocument()}
}

func TestProgressReports(t *testing.T) {
	f := newFixture(t, 2)
	iv1 := f.occurrences(t, 1)[0].GetId() // STP leads IV.1 (2021–2025, one occurrence)
	iii3 := f.occurrences(t, 0)[0].GetId()
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }
	ev, err := upload(as(stpStaff), f.reports, iv1, "bc.pdf", pdf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	q1 := &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_QUARTER, Year: 2021, Number: 1}
	req := &tasktrackingv1.SubmitProgressReportRequest{
		OccurrenceId: iv1, Period: q1, PercentDone: 30,
		Narrative:   "Đã rà soát 120 thủ tục hành chính",
		Figures:     []*tasktrackingv1.Figure{{Name: "Thủ tục được rà soát", Value: 120, Unit: "thủ tục"}},
		EvidenceIds: []string{ev.GetId()},
	}
	first, err := f.reports.SubmitProgressReport(as(stpStaff), req)
	if err != nil {
		t.Fatal(err)
	}
	r := first.GetReport()
	if r.GetRevision() != 1 || r.GetUnitId() != unitSTP || r.GetPercentDone() != 30 || r.GetTaskId() != f.doc.GetTasks()[1].GetId() ||
		len(r.GetFigures()) != 1 || r.GetFigures()[0].GetValue() != 120 || len(r.GetEvidenceIds()) != 1 {
		t.Errorf("report = %v", r)
	}
	// Reporting again replaces the report and counts the revision.
	req.PercentDone, req.Narrative = 45, "Đã rà soát 180 thủ tục"
	second, err := f.reports.SubmitProgressReport(as(stpStaff), req)
	if err != nil {
		t.Fatal(err)
	}
	if second.GetReport().GetId() != r.GetId() || second.GetReport().GetRevision() != 2 || second.GetReport().GetPercentDone() != 45 {
		t.Errorf("replacement = %v", second.GetReport())
	}
	// A cooperating unit reports on III.3 too; its report stands beside the lead's.
	if _, err := f.reports.SubmitProgressReport(as(stpStaff), &tasktrackingv1.SubmitProgressReportRequest{
		OccurrenceId: iii3, Period: &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_HALF_YEAR, Year: 2021, Number: 1},
		PercentDone: 50, Narrative: "Phối hợp rà soát",
	}); err != nil {
		t.Errorf("cooperating unit's report: %v", err)
	}
	list, err := f.reports.ListProgressReports(as(appraiser), &tasktrackingv1.ListProgressReportsRequest{OccurrenceId: iv1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetReports()) != 1 || list.GetReports()[0].GetRevision() != 2 {
		t.Errorf("reports of IV.1 = %v", list.GetReports())
	}
	if got := len(f.eventsOn(t, 3+1+3, "tasktracking.v1.progress.reported")); got != 3 {
		t.Errorf("%d ProgressReported events, want 3", got)
	}

	other, err := upload(as(stpStaff), f.reports, iii3, "khac.pdf", pdf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller auth.Principal
		change func(r *tasktrackingv1.SubmitProgressReportRequest)
		want   codes.Code
		fields []string
	}{
		{"another unit", stcStaff, nil, codes.NotFound, nil},
		{"the secretariat", secretariat, nil, codes.PermissionDenied, nil},
		{"an appraiser", appraiser, nil, codes.PermissionDenied, nil},
		{"year outside the plan", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) {
			r.Period = &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_YEAR, Year: 2030}
		}, codes.InvalidArgument, []string{"period.year"}},
		{"quarter 5", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) {
			r.Period = &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_QUARTER, Year: 2021, Number: 5}
		}, codes.InvalidArgument, nil},
		{"whole period", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) {
			r.Period = &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_WHOLE, Year: 2021}
		}, codes.InvalidArgument, nil},
		{"evidence of another occurrence", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) {
			r.EvidenceIds = []string{other.GetId()}
		}, codes.InvalidArgument, []string{"evidence_ids[0]"}},
		{"percent over 100", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) { r.PercentDone = 101 }, codes.InvalidArgument, nil},
		{"no narrative", stpStaff, func(r *tasktrackingv1.SubmitProgressReportRequest) { r.Narrative = "" }, codes.InvalidArgument, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := proto.Clone(req).(*tasktrackingv1.SubmitProgressReportRequest)
			r.EvidenceIds = nil
			if tt.change != nil {
				tt.change(r)
			}
			_, err := f.reports.SubmitProgressReport(as(tt.caller), r)
			if status.Code(err) != tt.want {
				t.Fatalf("SubmitProgressReport = %v, want %v", err, tt.want)
			}
			if tt.fields != nil {
				var got []string
				for _, v := range apierr.Violations(err) {
					got = append(got, v.Field)
				}
				if diff := cmp.Diff(tt.fields, got); diff != "" {
					t.Errorf("violations (-want +got):\n%s", diff)
				}
			}
		})
	}
	// A cancelled occurrence takes no report.
	if _, err := f.client.CancelOccurrence(as(secretariat), &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: iv1, Reason: "Không còn phù hợp"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reports.SubmitProgressReport(as(stpStaff), req); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("report on a cancelled occurrence = %v, want FailedPrecondition", err)
	}
}

func TestReportingObligations(t *testing.T) {
	f := newFixture(t, 2)
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }
	docID := f.doc.GetId()
	obligation := &tasktrackingv1.ReportingObligation{
		Cycle: tasktrackingv1.ReportingCycle_REPORTING_CYCLE_QUARTERLY, RecipientUnitId: unitSNV,
		ReporterUnitIds: []string{unitSTP, unitSTC}, DueOffsetDays: 15,
		Text: "Định kỳ hằng quý, 6 tháng, một năm báo cáo kết quả thực hiện, gửi về Sở Nội vụ để tổng hợp",
	}
	created, err := f.reports.CreateReportingObligation(as(secretariat), &tasktrackingv1.CreateReportingObligationRequest{DocumentId: docID, Obligation: obligation})
	if err != nil {
		t.Fatal(err)
	}
	// 2021–2025, four quarters, two units.
	if created.GetDueReports() != 40 || created.GetObligation().GetId() == "" {
		t.Errorf("created = %v", created)
	}
	for _, tt := range []struct {
		name   string
		caller auth.Principal
		req    *tasktrackingv1.CreateReportingObligationRequest
		want   codes.Code
	}{
		{"unit staff", stpStaff, &tasktrackingv1.CreateReportingObligationRequest{DocumentId: docID, Obligation: obligation}, codes.PermissionDenied},
		{"leadership", auth.Principal{Subject: "lead", Roles: []string{auth.RoleLeadership}}, &tasktrackingv1.CreateReportingObligationRequest{DocumentId: docID, Obligation: obligation}, codes.PermissionDenied},
		{"missing document", secretariat, &tasktrackingv1.CreateReportingObligationRequest{DocumentId: uuid.NewString(), Obligation: obligation}, codes.NotFound},
		{"unknown reporter", secretariat, &tasktrackingv1.CreateReportingObligationRequest{DocumentId: docID, Obligation: &tasktrackingv1.ReportingObligation{
			Cycle: tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY, RecipientUnitId: unitSNV, ReporterUnitIds: []string{uuid.NewString()},
		}}, codes.InvalidArgument},
	} {
		if _, err := f.reports.CreateReportingObligation(as(tt.caller), tt.req); status.Code(err) != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	obs, err := f.reports.ListReportingObligations(as(stcStaff), &tasktrackingv1.ListReportingObligationsRequest{DocumentId: docID})
	if err != nil || len(obs.GetObligations()) != 1 {
		t.Fatalf("obligations = %v, %v", obs, err)
	}

	count := func(p auth.Principal, req *tasktrackingv1.ListDueReportsRequest) int {
		t.Helper()
		n := 0
		for {
			resp, err := f.reports.ListDueReports(as(p), req)
			if err != nil {
				t.Fatal(err)
			}
			n += len(resp.GetDueReports())
			if resp.GetNextPageToken() == "" {
				return n
			}
			req = proto.Clone(req).(*tasktrackingv1.ListDueReportsRequest)
			req.PageToken = resp.GetNextPageToken()
		}
	}
	for _, tt := range []struct {
		name   string
		caller auth.Principal
		want   int
	}{
		{"reporting unit sees its own", stpStaff, 20},
		{"recipient sees all sent to it", snvStaff, 40},
		{"issuer's head", ubndHead, 40},
		{"appraiser", appraiser, 40},
		{"unrelated unit", auth.Principal{Subject: "x", UnitID: uuid.NewString(), Roles: []string{auth.RoleUnitStaff}}, 0},
	} {
		if got := count(tt.caller, &tasktrackingv1.ListDueReportsRequest{PageSize: 7}); got != tt.want {
			t.Errorf("%s sees %d due reports, want %d", tt.name, got, tt.want)
		}
	}

	// STP's first report: Q1/2021, due end of 15/04/2021. The fixture's clock is 01/06/2021.
	resp, err := f.reports.ListDueReports(as(stpStaff), &tasktrackingv1.ListDueReportsRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	due := resp.GetDueReports()[0]
	if due.GetPeriod().GetNumber() != 1 || due.GetPeriod().GetYear() != 2021 || !due.GetLate() || due.GetState() != tasktrackingv1.DueReportState_DUE_REPORT_STATE_OPEN {
		t.Errorf("first due report = %v", due)
	}
	if _, err := f.reports.SubmitObligationReport(as(stcStaff), &tasktrackingv1.SubmitObligationReportRequest{DueReportId: due.GetId(), Narrative: "x"}); status.Code(err) != codes.NotFound {
		t.Errorf("another unit submits = %v, want NotFound", err)
	}
	if _, err := f.reports.SubmitObligationReport(as(snvStaff), &tasktrackingv1.SubmitObligationReportRequest{DueReportId: due.GetId(), Narrative: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the recipient submits = %v, want PermissionDenied", err)
	}
	sub, err := f.reports.SubmitObligationReport(as(stpStaff), &tasktrackingv1.SubmitObligationReportRequest{DueReportId: due.GetId(), Narrative: "Báo cáo quý I/2021"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.GetDueReport().GetState() != tasktrackingv1.DueReportState_DUE_REPORT_STATE_SUBMITTED || !sub.GetDueReport().GetLate() ||
		sub.GetDueReport().GetSubmittedBy().GetSubject() != stpStaff.Subject {
		t.Errorf("submitted = %v", sub.GetDueReport())
	}
	if _, err := f.reports.SubmitObligationReport(as(stpStaff), &tasktrackingv1.SubmitObligationReportRequest{DueReportId: due.GetId(), Narrative: "lần 2"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("second submission = %v, want FailedPrecondition", err)
	}
	if got := count(snvStaff, &tasktrackingv1.ListDueReportsRequest{State: tasktrackingv1.DueReportState_DUE_REPORT_STATE_SUBMITTED}); got != 1 {
		t.Errorf("%d submitted, want 1", got)
	}
	if got := len(f.eventsOn(t, 3+1, "tasktracking.v1.obligation.report_submitted")); got != 1 {
		t.Errorf("%d ObligationReportSubmitted events, want 1", got)
	}

	// The plan is extended to 2026: its periodic reports follow; cut back to 2021–2022, the
	// later ones are no longer expected.
	period := func(from, to int32) {
		t.Helper()
		if _, err := f.client.UpdateDocument(as(secretariat), &tasktrackingv1.UpdateDocumentRequest{
			Document:   &tasktrackingv1.Document{Id: docID, PeriodStartYear: from, PeriodEndYear: to},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"period_start_year", "period_end_year"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	period(2021, 2026)
	if got := count(snvStaff, &tasktrackingv1.ListDueReportsRequest{PageSize: 500}); got != 48 {
		t.Errorf("after extending to 2026: %d due reports, want 48", got)
	}
	period(2021, 2022)
	if got := count(snvStaff, &tasktrackingv1.ListDueReportsRequest{PageSize: 500}); got != 16 {
		t.Errorf("after cutting back to 2022: %d due reports, want 16", got)
	}
	period(2021, 2026)
	if got := count(snvStaff, &tasktrackingv1.ListDueReportsRequest{PageSize: 500}); got != 48 {
		t.Errorf("after extending again: %d due reports, want 48 (none planned twice)", got)
	}
}

// TestEvidenceUploadAudited: an evidence upload, a client stream, is recorded in the audit
// log like unary mutations (issue 7): the upload's record in the transaction that stores the
// evidence and writes its EvidenceUploaded event, and a refused upload with its outcome.
func TestEvidenceUploadAudited(t *testing.T) {
	f := newFixtureWith(t, func(*server.Config) {})
	iv1 := f.occurrences(t, 1)[0].GetId() // STP leads IV.1
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }
	e, err := upload(as(stpStaff), f.reports, iv1, "Bao-cao.pdf", pdf, 7000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upload(as(stcStaff), f.reports, iv1, "x.pdf", pdf, 1<<20); status.Code(err) != codes.NotFound {
		t.Fatalf("upload by another unit = %v, want NotFound", err)
	}

	pool, err := pgxpool.New(t.Context(), f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(t.Context(), `SELECT subject, payload, xmin::text FROM outbox_events
		WHERE subject IN ($1, $2) ORDER BY seq`, audit.Subject(server.Service), postgres.SubjectEvidenceUploaded)
	if err != nil {
		t.Fatal(err)
	}
	type written struct {
		record *auditv1.AuditRecord
		xmin   string
	}
	var (
		records  []written
		uploaded []string // transactions of the EvidenceUploaded events
	)
	for rows.Next() {
		var (
			subject, xmin string
			payload       []byte
		)
		if err := rows.Scan(&subject, &payload, &xmin); err != nil {
			t.Fatal(err)
		}
		if subject == postgres.SubjectEvidenceUploaded {
			uploaded = append(uploaded, xmin)
			continue
		}
		var ev auditv1.AuditRecorded
		if err := proto.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(ev.GetRecord().GetMethod(), "/UploadEvidence") {
			records = append(records, written{ev.GetRecord(), xmin})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || len(uploaded) != 1 {
		t.Fatalf("%d audit records of UploadEvidence and %d EvidenceUploaded events, want 2 and 1", len(records), len(uploaded))
	}
	ok, refused := records[0], records[1]
	if r := ok.record; r.GetOutcome() != "OK" || r.GetActorSubject() != stpStaff.Subject || r.GetUnitId() != unitSTP ||
		r.GetAction() != "UploadEvidence" || !strings.HasSuffix(r.GetResource(), "/"+e.GetId()) {
		t.Errorf("record of the upload: %v", r)
	}
	if ok.xmin != uploaded[0] {
		t.Errorf("audit record in transaction %s, the evidence's event in %s: not one transaction", ok.xmin, uploaded[0])
	}
	if r := refused.record; r.GetOutcome() != "NOT_FOUND" || r.GetActorSubject() != stcStaff.Subject {
		t.Errorf("record of the refused upload: %v", r)
	}
}
