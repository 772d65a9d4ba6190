package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// authzCaller is one row of the authorisation matrix: a principal and the occurrence it
// acts on (its own unit's, a task it cooperates on, or another unit's).
type authzCaller struct {
	name string
	p    auth.Principal
	// coop: the caller acts on III.3, where its unit cooperates; otherwise on IV.1, which
	// STP alone leads and UBND issued.
	coop bool
}

// authzTarget is what a call acts on.
type authzTarget struct {
	docID, taskID, occID, evidenceID, dueID string
}

// Expectations, one letter per caller in authzCallers order:
//
//	O  answered OK
//	A  allowed: the call got past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied: the caller may see the thing but not do this
//	H  NotFound: the caller must not learn the thing exists
var authzCallers = []authzCaller{
	{name: "secretariat", p: secretariat},
	{name: "leadership", p: auth.Principal{Subject: "s-lead", UserID: uuid.NewString(), Roles: []string{auth.RoleLeadership}}},
	{name: "appraiser", p: appraiser},
	{name: "service", p: service},
	{name: "head of the issuing unit", p: ubndHead},
	{name: "lead unit staff", p: stpStaff},
	{name: "lead unit head", p: auth.Principal{Subject: "s-stph", UserID: uuid.NewString(), UnitID: unitSTP, Roles: []string{auth.RoleUnitHead}}},
	{name: "cooperating unit staff", p: stcStaff, coop: true},
	{name: "other unit staff", p: stcStaff},
	{name: "other unit head", p: stcHead},
}

// TestAuthorisationMatrix walks every RPC of TaskTrackingService, ProgressReportService and
// StatisticsService for every role, on its own unit's task and on another unit's (issue 3 item 10): the
// secretariat manages documents and confirms completion; lead and cooperating units report;
// appraisers, leadership and services read; another unit's task, occurrence, evidence and
// due report are NotFound.
func TestAuthorisationMatrix(t *testing.T) {
	f := newFixture(t, 2)
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }
	iv1, iii3 := f.occurrences(t, 1)[0].GetId(), f.occurrences(t, 0)[0].GetId()
	evIV1, err := upload(as(stpStaff), f.reports, iv1, "a.pdf", pdf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	evIII3, err := upload(as(stcStaff), f.reports, iii3, "b.pdf", pdf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reports.CreateReportingObligation(as(secretariat), &tasktrackingv1.CreateReportingObligationRequest{
		DocumentId: f.doc.GetId(), Obligation: &tasktrackingv1.ReportingObligation{
			Cycle: tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY, RecipientUnitId: unitSNV, ReporterUnitIds: []string{unitSTP},
		},
	}); err != nil {
		t.Fatal(err)
	}
	dues, err := f.reports.ListDueReports(as(stpStaff), &tasktrackingv1.ListDueReportsRequest{PageSize: 1})
	if err != nil || len(dues.GetDueReports()) == 0 {
		t.Fatalf("due reports: %v %v", dues, err)
	}
	own := authzTarget{docID: f.doc.GetId(), taskID: f.doc.GetTasks()[1].GetId(), occID: iv1, evidenceID: evIV1.GetId(), dueID: dues.GetDueReports()[0].GetId()}
	coop := authzTarget{docID: f.doc.GetId(), taskID: f.doc.GetTasks()[0].GetId(), occID: iii3, evidenceID: evIII3.GetId(), dueID: own.dueID}

	stats := tasktrackingv1.NewStatisticsServiceClient(f.conn)
	n := 0
	next := func() string { n++; return fmt.Sprintf("%d/KH-AUTHZ", n) }
	blank := "   " // passes the contract's min_len, refused by the domain after authorisation
	quarter := &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_QUARTER, Quarter: 4, Year: 2021, Text: "Quý IV/2021"}
	rpcs := []struct {
		rpc  string
		want string
		call func(ctx context.Context, x authzTarget) error
	}{
		{"CreateDocument", "ADDDADDDDD", func(ctx context.Context, _ authzTarget) error {
			_, err := f.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: plan56(next())})
			return err
		}},
		{"GetDocument", "OOOOOOOOOO", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.GetDocument(ctx, &tasktrackingv1.GetDocumentRequest{DocumentId: x.docID})
			return err
		}},
		{"ListDocuments", "OOOOOOOOOO", func(ctx context.Context, _ authzTarget) error {
			_, err := f.client.ListDocuments(ctx, &tasktrackingv1.ListDocumentsRequest{})
			return err
		}},
		{"GetTask", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.GetTask(ctx, &tasktrackingv1.GetTaskRequest{TaskId: x.taskID})
			return err
		}},
		{"ListTasks", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			resp, err := f.client.ListTasks(ctx, &tasktrackingv1.ListTasksRequest{DocumentId: x.docID})
			return authtest.Found(err, len(resp.GetTasks()) > 0 && slices.ContainsFunc(resp.GetTasks(), func(t *tasktrackingv1.Task) bool { return t.GetId() == x.taskID }))
		}},
		{"UpdateDocument", "ADDDADDDDD", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.UpdateDocument(ctx, &tasktrackingv1.UpdateDocumentRequest{
				Document:   &tasktrackingv1.Document{Id: x.docID, Title: "Kế hoạch cải cách hành chính nhà nước giai đoạn 2021 - 2025"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
			})
			return err
		}},
		{"GetOccurrence", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.GetOccurrence(ctx, &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: x.occID})
			return err
		}},
		{"ListOccurrences", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			resp, err := f.client.ListOccurrences(ctx, &tasktrackingv1.ListOccurrencesRequest{DocumentId: x.docID})
			return authtest.Found(err, slices.ContainsFunc(resp.GetOccurrences(), func(o *tasktrackingv1.Occurrence) bool { return o.GetId() == x.occID }))
		}},
		{"ReceiveOccurrence", "DDDDDAADHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.ReceiveOccurrence(ctx, &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: x.occID})
			return err
		}},
		{"StartOccurrence", "DDDDDAADHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.StartOccurrence(ctx, &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: x.occID})
			return err
		}},
		{"ReportCompletion", "DDDDDAADHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.ReportCompletion(ctx, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: x.occID, Note: blank})
			return err
		}},
		{"ConfirmCompletion", "ADDDADDDHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.ConfirmCompletion(ctx, &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: x.occID})
			return err
		}},
		{"ReturnOccurrence", "ADDDADDDHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.ReturnOccurrence(ctx, &tasktrackingv1.ReturnOccurrenceRequest{OccurrenceId: x.occID, Reason: blank})
			return err
		}},
		{"RequestExtension", "DDDDDAADHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.RequestExtension(ctx, &tasktrackingv1.RequestExtensionRequest{OccurrenceId: x.occID, Reason: blank, ProposedDueDate: "2026-01-31"})
			return err
		}},
		{"DecideExtension", "ADDDADDDHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.DecideExtension(ctx, &tasktrackingv1.DecideExtensionRequest{OccurrenceId: x.occID})
			return err
		}},
		{"RecallOccurrence", "ADDDADDDHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.RecallOccurrence(ctx, &tasktrackingv1.RecallOccurrenceRequest{OccurrenceId: x.occID, Reason: blank})
			return err
		}},
		{"CancelOccurrence", "ADDDADDDHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.CancelOccurrence(ctx, &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: x.occID, Reason: blank})
			return err
		}},
		{"ListOccurrenceHistory", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.client.ListOccurrenceHistory(ctx, &tasktrackingv1.ListOccurrenceHistoryRequest{OccurrenceId: x.occID})
			return err
		}},
		{"ImportDocumentTasks", "ADDDADDDDD", func(ctx context.Context, _ authzTarget) error {
			d := plan56(next())
			d.Tasks = nil
			_, err := f.client.ImportDocumentTasks(ctx, &tasktrackingv1.ImportDocumentTasksRequest{Document: d, Content: []byte("TT,Nội dung\n"), Format: "csv", DryRun: true})
			return err
		}},
		{"AddTasks", "ADDDADDDDD", func(ctx context.Context, x authzTarget) error {
			// IV.1 is taken: who may amend gets InvalidArgument, after the check.
			_, err := f.client.AddTasks(ctx, &tasktrackingv1.AddTasksRequest{DocumentId: x.docID, Tasks: []*tasktrackingv1.Task{newTask("IV.1", unitSTP, quarter)}})
			return err
		}},
		{"SubmitProgressReport", "DDDDDAAAHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.SubmitProgressReport(ctx, &tasktrackingv1.SubmitProgressReportRequest{
				OccurrenceId: x.occID, Narrative: "Đã thực hiện", PercentDone: 10,
				Period: &tasktrackingv1.ReportPeriod{Kind: tasktrackingv1.PeriodKind_PERIOD_KIND_YEAR, Year: 2021},
			})
			return err
		}},
		{"ListProgressReports", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.ListProgressReports(ctx, &tasktrackingv1.ListProgressReportsRequest{OccurrenceId: x.occID})
			return err
		}},
		{"UploadEvidence", "DDDDDAAAHH", func(ctx context.Context, x authzTarget) error {
			_, err := upload(ctx, f.reports, x.occID, "c.pdf", pdf, 1<<20)
			return err
		}},
		{"ListEvidence", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.ListEvidence(ctx, &tasktrackingv1.ListEvidenceRequest{OccurrenceId: x.occID})
			return err
		}},
		{"GetEvidence", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.GetEvidence(ctx, &tasktrackingv1.GetEvidenceRequest{EvidenceId: x.evidenceID})
			return err
		}},
		{"DownloadEvidence", "OOOOOOOOHH", func(ctx context.Context, x authzTarget) error {
			_, _, err := download(ctx, f.reports, x.evidenceID)
			return err
		}},
		{"CreateReportingObligation", "ADDDADDDDD", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.CreateReportingObligation(ctx, &tasktrackingv1.CreateReportingObligationRequest{DocumentId: x.docID, Obligation: &tasktrackingv1.ReportingObligation{
				Cycle: tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY, RecipientUnitId: unitSNV, ReporterUnitIds: []string{unitSTC},
			}})
			return err
		}},
		{"ListReportingObligations", "OOOOOOOOOO", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.ListReportingObligations(ctx, &tasktrackingv1.ListReportingObligationsRequest{DocumentId: x.docID})
			return err
		}},
		// STP's periodic report: the recipient (SNV, the secretariat's unit), the issuer's head
		// and the province-wide roles see it; only STP submits it.
		{"ListDueReports", "OOOOOOOHHH", func(ctx context.Context, x authzTarget) error {
			resp, err := f.reports.ListDueReports(ctx, &tasktrackingv1.ListDueReportsRequest{})
			return authtest.Found(err, slices.ContainsFunc(resp.GetDueReports(), func(r *tasktrackingv1.DueReport) bool { return r.GetId() == x.dueID }))
		}},
		{"SubmitObligationReport", "DDDDDAAHHH", func(ctx context.Context, x authzTarget) error {
			_, err := f.reports.SubmitObligationReport(ctx, &tasktrackingv1.SubmitObligationReportRequest{DueReportId: x.dueID, Narrative: blank})
			return err
		}},
		// Statistics of STP: province-wide roles and STP's members; any other unit (even the
		// issuer's head) is refused — aggregates reveal no single task, so PermissionDenied.
		{"GetTaskStatistics", "OOOODOODDD", func(ctx context.Context, _ authzTarget) error {
			_, err := stats.GetTaskStatistics(ctx, &tasktrackingv1.GetTaskStatisticsRequest{UnitId: unitSTP})
			return err
		}},
		{"ExportTaskStatistics", "OOOODOODDD", func(ctx context.Context, _ authzTarget) error {
			_, err := stats.ExportTaskStatistics(ctx, &tasktrackingv1.ExportTaskStatisticsRequest{Query: &tasktrackingv1.GetTaskStatisticsRequest{UnitId: unitSTP}})
			return err
		}},
	}

	// Every RPC of the two services is in the table.
	covered := map[string]bool{}
	for _, r := range rpcs {
		covered[r.rpc] = true
		if len(r.want) != len(authzCallers) {
			t.Fatalf("%s: %d expectations for %d callers", r.rpc, len(r.want), len(authzCallers))
		}
	}
	authtest.RequireEveryMethod(t, func(m string) bool { return covered[m] },
		tasktrackingv1.File_par_tasktracking_v1_tasktracking_proto.Services().ByName("TaskTrackingService"),
		tasktrackingv1.File_par_tasktracking_v1_reports_proto.Services().ByName("ProgressReportService"),
		tasktrackingv1.File_par_tasktracking_v1_statistics_proto.Services().ByName("StatisticsService"),
	)

	for _, r := range rpcs {
		for i, c := range authzCallers {
			t.Run(r.rpc+"/"+strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				x := own
				if c.coop {
					x = coop
				}
				err := r.call(as(c.p), x)
				authtest.CheckOutcome(t, r.want[i], err)
			})
		}
	}
}
