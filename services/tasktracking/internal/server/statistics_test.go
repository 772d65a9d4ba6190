package server_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

// TestTaskStatistics walks the occurrences of a plan into each column of the Government
// Office's split and reads the statistics per unit, document and period, as a unit's staff
// and as exported files. The plan's units are the demo directory's, so rows carry names.
func TestTaskStatistics(t *testing.T) {
	clock := &fakeClock{now: time.Date(2021, 6, 1, 2, 0, 0, 0, time.UTC)}
	e := startWith(t, func(c *server.Config) { c.Clock = clock.Now })
	stats := tasktrackingv1.NewStatisticsServiceClient(e.conn)
	snv, stp, stc := demoUnitID("TQ-SNV"), demoUnitID("TQ-STP"), demoUnitID("TQ-STC")
	sec := e.as(t.Context(), t, auth.Principal{UserID: uuid.NewString(), UnitID: snv, Roles: []string{auth.RoleSecretariat}})
	staff := func(unit string) auth.Principal {
		return auth.Principal{Subject: "s-" + unit, UserID: uuid.NewString(), UnitID: unit, Roles: []string{auth.RoleUnitStaff}}
	}
	doc := plan56("56/KH-UBND")
	doc.IssuerUnitId = demoUnitID("TQ")
	doc.Tasks[0].LeadUnitIds, doc.Tasks[0].CooperatingUnitIds = []string{snv}, []string{stp} // III.3, Q4/2021
	doc.Tasks[1].LeadUnitIds = []string{stp}                                                 // IV.1, 2021–2025
	doc.Tasks[2].LeadUnitIds = []string{stc}                                                 // VII.2, yearly 2021–2025
	created, err := e.client.CreateDocument(sec, &tasktrackingv1.CreateDocumentRequest{Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	doc = created.GetDocument()
	occ := func(task int) []*tasktrackingv1.Occurrence {
		t.Helper()
		resp, err := e.client.ListOccurrences(sec, &tasktrackingv1.ListOccurrencesRequest{TaskId: doc.GetTasks()[task].GetId()})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetOccurrences()
	}
	finish := func(o *tasktrackingv1.Occurrence, lead auth.Principal) {
		t.Helper()
		ctx := e.as(t.Context(), t, lead)
		id := o.GetId()
		if _, err := e.client.ReceiveOccurrence(ctx, &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.StartOccurrence(ctx, &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.ReportCompletion(ctx, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: id, Note: "Đã hoàn thành"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.ConfirmCompletion(sec, &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: id}); err != nil {
			t.Fatal(err)
		}
	}
	// IV.1 done in July 2021, long before 2025: on time.
	clock.Set(time.Date(2021, 7, 1, 2, 0, 0, 0, time.UTC))
	finish(occ(1)[0], staff(stp))
	// III.3 (Q4/2021) reported on 10/01/2022: late. VII.2 of 2021 still open: overdue. VII.2
	// of 2025 cancelled: in no column. VII.2 of 2022–2024: open within their deadlines.
	asOf := time.Date(2022, 1, 10, 2, 0, 0, 0, time.UTC)
	clock.Set(asOf)
	finish(occ(0)[0], staff(snv))
	vii2 := occ(2)
	if len(vii2) != 5 {
		t.Fatalf("VII.2 has %d occurrences, want 5", len(vii2))
	}
	if _, err := e.client.CancelOccurrence(sec, &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: vii2[4].GetId(), Reason: "Không còn phù hợp"}); err != nil {
		t.Fatal(err)
	}

	type counts struct {
		Label                             string
		Total, OnTime, Late, Within, Over int32
		Closed                            int32
		Completion, Overdue               float64
		Meets                             bool
	}
	read := func(r *tasktrackingv1.TaskStatistics) counts {
		return counts{r.GetLabel(), r.GetTotal(), r.GetDoneOnTime(), r.GetDoneLate(), r.GetOpenWithinDeadline(), r.GetOpenOverdue(),
			r.GetClosed(), r.GetCompletionRatePercent(), r.GetOverdueSharePercent(), r.GetMeetsTarget()}
	}
	get := func(who auth.Principal, req *tasktrackingv1.GetTaskStatisticsRequest) ([]counts, counts) {
		t.Helper()
		resp, err := stats.GetTaskStatistics(e.as(t.Context(), t, who), req)
		if err != nil {
			t.Fatal(err)
		}
		var rows []counts
		for _, r := range resp.GetRows() {
			rows = append(rows, read(r))
		}
		return rows, read(resp.GetTotal())
	}
	secretary := auth.Principal{UserID: uuid.NewString(), UnitID: snv, Roles: []string{auth.RoleSecretariat}}
	total := counts{"Tổng cộng", 6, 1, 1, 3, 1, 1, 33.33, 33.33, false}

	rows, tot := get(secretary, &tasktrackingv1.GetTaskStatisticsRequest{})
	wantUnits := []counts{
		{"Sở Nội vụ", 1, 0, 1, 0, 0, 0, 100, 100, true},
		{"Sở Tài chính", 4, 0, 0, 3, 1, 1, 0, 25, false},
		{"Sở Tư pháp", 1, 1, 0, 0, 0, 0, 100, 0, true},
	}
	if diff := cmp.Diff(wantUnits, rows); diff != "" {
		t.Errorf("per unit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(total, tot); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}

	rows, _ = get(secretary, &tasktrackingv1.GetTaskStatisticsRequest{GroupBy: tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_DOCUMENT})
	wantDoc := total
	wantDoc.Label = "56/KH-UBND – Kế hoạch cải cách hành chính nhà nước giai đoạn 2021 - 2025"
	if diff := cmp.Diff([]counts{wantDoc}, rows); diff != "" {
		t.Errorf("per document (-want +got):\n%s", diff)
	}

	rows, _ = get(secretary, &tasktrackingv1.GetTaskStatisticsRequest{GroupBy: tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_PERIOD})
	wantPeriods := []counts{
		{"Năm 2021", 2, 0, 1, 0, 1, 0, 50, 100, false},
		{"Năm 2022", 1, 0, 0, 1, 0, 0, 0, 0, false},
		{"Năm 2023", 1, 0, 0, 1, 0, 0, 0, 0, false},
		{"Năm 2024", 1, 0, 0, 1, 0, 0, 0, 0, false},
		{"Năm 2025", 1, 1, 0, 0, 0, 1, 100, 0, true},
	}
	if diff := cmp.Diff(wantPeriods, rows); diff != "" {
		t.Errorf("per year (-want +got):\n%s", diff)
	}
	// Quarterly, in 2021 only, with a target of 50 %: III.3 and VII.2 both end in Q4.
	rows, tot = get(secretary, &tasktrackingv1.GetTaskStatisticsRequest{
		GroupBy: tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_PERIOD, Quarterly: true, Year: 2021, CompletionTargetPercent: 50,
	})
	if diff := cmp.Diff([]counts{{"Quý IV/2021", 2, 0, 1, 0, 1, 0, 50, 100, true}}, rows); diff != "" {
		t.Errorf("per quarter of 2021 (-want +got):\n%s", diff)
	}
	// Judged at an earlier instant, VII.2 of 2021 was not yet overdue.
	_, tot = get(secretary, &tasktrackingv1.GetTaskStatisticsRequest{AsOf: timestamppb.New(time.Date(2021, 12, 1, 0, 0, 0, 0, time.UTC))})
	if tot.Over != 0 || tot.Within != 4 {
		t.Errorf("as of 01/12/2021: %+v, want nothing overdue", tot)
	}

	// A unit's staff sees its own unit, and is refused another's.
	rows, tot = get(staff(stc), &tasktrackingv1.GetTaskStatisticsRequest{})
	if diff := cmp.Diff(wantUnits[1:2], rows); diff != "" || tot.Total != 4 {
		t.Errorf("STC staff (-want +got):\n%s (total %d)", diff, tot.Total)
	}
	_, err = stats.GetTaskStatistics(e.as(t.Context(), t, staff(stc)), &tasktrackingv1.GetTaskStatisticsRequest{UnitId: snv})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("STC staff asking for SNV = %v, want PermissionDenied", err)
	}
	_, err = stats.GetTaskStatistics(e.as(t.Context(), t, secretary), &tasktrackingv1.GetTaskStatisticsRequest{CompletionTargetPercent: 120})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("target 120 %% = %v, want InvalidArgument", err)
	}

	// CSV: UTF-8 with BOM, Vietnamese headings, one line per unit and the total.
	file, err := stats.ExportTaskStatistics(e.as(t.Context(), t, secretary), &tasktrackingv1.ExportTaskStatisticsRequest{Query: &tasktrackingv1.GetTaskStatisticsRequest{}})
	if err != nil {
		t.Fatal(err)
	}
	if file.GetContentType() != "text/csv; charset=utf-8" || !bytes.HasPrefix(file.GetData(), []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV %q starts %q", file.GetContentType(), file.GetData()[:min(8, len(file.GetData()))])
	}
	records, err := csv.NewReader(bytes.NewReader(file.GetData()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := [][]string{
		{"STT", "Đơn vị chủ trì", "Tổng số nhiệm vụ", "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Đang thực hiện trong hạn",
			"Đang thực hiện quá hạn", "Tỷ lệ hoàn thành (%)", "Tỷ lệ quá hạn (%)", "Đạt chỉ tiêu hoàn thành ≥ 80 %"},
		{"1", "Sở Nội vụ", "1", "0", "1", "0", "0", "100.00", "100.00", "Đạt"},
		{"2", "Sở Tài chính", "4", "0", "0", "3", "1", "0.00", "25.00", "Không đạt"},
		{"3", "Sở Tư pháp", "1", "1", "0", "0", "0", "100.00", "0.00", "Đạt"},
		{"", "Tổng cộng", "6", "1", "1", "3", "1", "33.33", "33.33", "Không đạt"},
	}
	if diff := cmp.Diff(wantCSV, records); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}

	// XLSX: the same cells in a workbook.
	file, err = stats.ExportTaskStatistics(e.as(t.Context(), t, secretary), &tasktrackingv1.ExportTaskStatisticsRequest{
		Query: &tasktrackingv1.GetTaskStatisticsRequest{}, Format: tasktrackingv1.ExportFormat_EXPORT_FORMAT_XLSX,
	})
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(file.GetData()))
	if err != nil {
		t.Fatal(err)
	}
	sheetRows, err := book.GetRows("Thống kê nhiệm vụ")
	if err != nil {
		t.Fatal(err)
	}
	if len(sheetRows) != 5 || sheetRows[1][1] != "Sở Nội vụ" || sheetRows[4][1] != "Tổng cộng" || sheetRows[4][2] != "6" {
		t.Errorf("XLSX rows = %v", sheetRows)
	}
}
