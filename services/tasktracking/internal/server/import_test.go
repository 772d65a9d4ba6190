package server_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

// kh56 is seed 001's appendix (Plan 56/KH-UBND, Tuyên Quang): 35 tasks in groups I–VI.
const kh56 = "../importer/testdata/kh56_appendix.csv"

// startImport starts the service and returns it with its database URL, for checking what
// an import wrote.
func startImport(t *testing.T) (*env, string) {
	t.Helper()
	var dbURL string
	e := startWith(t, func(c *server.Config) { dbURL = c.DatabaseURL })
	return e, dbURL
}

// rowCounts counts the rows an import may write, table by table.
func rowCounts(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	out := map[string]int{}
	for _, table := range []string{"documents", "tasks", "task_assignments", "occurrences", "outbox_events"} {
		var n int
		q := "SELECT count(*) FROM " + table
		if table == "outbox_events" {
			// Domain events only: every mutation also writes an audit event (kit/audit).
			q += " WHERE subject NOT LIKE '%.v1.audit.recorded'"
		}
		if err := conn.QueryRow(t.Context(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func readKH56(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(kh56))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// kh56Header is the header of Plan 56/KH-UBND, issued by the provincial committee.
func kh56Header() *tasktrackingv1.Document {
	return &tasktrackingv1.Document{
		Number:          "56/KH-UBND",
		Kind:            tasktrackingv1.DocumentKind_DOCUMENT_KIND_PLAN,
		IssuerUnitId:    demoUnitID("TQ"),
		SignedOn:        "2020-05-20",
		Title:           "Kế hoạch thực hiện nhiệm vụ đột phá về cải cách hành chính năm 2020 và giai đoạn 2021 - 2025",
		PeriodStartYear: 2020,
		PeriodEndYear:   2025,
	}
}

// unitIDs maps demo unit codes to the fake directory's ids.
func unitIDs(codes ...string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = demoUnitID(c)
	}
	return out
}

func TestImportSeed001(t *testing.T) {
	e, dbURL := startImport(t)
	ctx := e.as(t.Context(), t, secretariat)
	content := readKH56(t)
	req := &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: content, DryRun: true}

	// Dry run: every row accounted for, 35 tasks, no problem, nothing written.
	dry, err := e.client.ImportDocumentTasks(ctx, req)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	for _, p := range dry.GetProblems() {
		t.Errorf("problem: row %d %s: %s", p.GetRow(), p.GetColumn(), p.GetMessage())
	}
	if dry.GetCreated() || dry.GetDocument().GetId() != "" {
		t.Errorf("dry run created %v, document id %q", dry.GetCreated(), dry.GetDocument().GetId())
	}
	kinds := map[tasktrackingv1.ImportRowKind]int{}
	for i, r := range dry.GetRows() {
		if int(r.GetRow()) != i+1 {
			t.Errorf("rows[%d].row = %d", i, r.GetRow())
		}
		kinds[r.GetKind()]++
	}
	wantKinds := map[tasktrackingv1.ImportRowKind]int{
		tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_PREAMBLE: 2, tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_HEADER: 1,
		tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_GROUP: 6, tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_TASK: 35,
		tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_BLANK: 1,
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("row kinds (-want +got):\n%s", diff)
	}
	if n := len(dry.GetDocument().GetTasks()); n != 35 {
		t.Fatalf("dry run read %d tasks, want 35", n)
	}
	byCode := map[string]*tasktrackingv1.Task{}
	for _, task := range dry.GetDocument().GetTasks() {
		byCode[task.GetCode()] = task
	}
	// IV.4: "Các sở, ban, ngành; UBND các cấp; các cơ quan liên quan" lead, "Sở Nội vụ;
	// các cơ quan liên quan" cooperate. Sở Nội vụ, named, cooperates; the collectives expand.
	iv4 := byCode["IV.4"]
	wantLead := unitIDs("TQ-STP", "TQ-STC", "TQ-SKHCN", "TQ-STTTT", "TQ-SKHDT", "TQ-VPUBND",
		"TQ-TP-TUYENQUANG", "TQ-HUYEN-LAMBINH", "TQ-HUYEN-NAHANG", "TQ-HUYEN-CHIEMHOA", "TQ-HUYEN-HAMYEN", "TQ-HUYEN-YENSON", "TQ-HUYEN-SONDUONG",
		"TQ-TP-TUYENQUANG-PHANTHIET", "TQ-TP-TUYENQUANG-MINHXUAN", "TQ-HUYEN-SONDUONG-TANTRAO", "TQ-HUYEN-SONDUONG-MINHTHANH")
	if diff := cmp.Diff(wantLead, iv4.GetLeadUnitIds()); diff != "" {
		t.Errorf("IV.4 lead (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(unitIDs("TQ-SNV"), iv4.GetCooperatingUnitIds()); diff != "" {
		t.Errorf("IV.4 cooperating (-want +got):\n%s", diff)
	}
	if iv4.GetLeadText() != "Các sở, ban, ngành; UBND các cấp; các cơ quan liên quan." ||
		iv4.GetCooperatingText() != "Sở Nội vụ; các cơ quan liên quan." {
		t.Errorf("IV.4 verbatim cells = %q / %q", iv4.GetLeadText(), iv4.GetCooperatingText())
	}
	if d := byCode["III.3"].GetDeadline(); d.GetKind() != tasktrackingv1.TimingKind_TIMING_KIND_YEAR || d.GetYear() != 2025 || d.GetDueTime() == nil {
		t.Errorf("III.3 deadline = %v, want the year 2025 with its due time", d)
	}
	if diff := cmp.Diff(map[string]int{"documents": 0, "tasks": 0, "task_assignments": 0, "occurrences": 0, "outbox_events": 0}, rowCounts(t, dbURL)); diff != "" {
		t.Errorf("a dry run wrote (-want +got):\n%s", diff)
	}

	// Real run: the same document, stored with its occurrences and 35 TaskAssigned events.
	req.DryRun = false
	imported, err := e.client.ImportDocumentTasks(ctx, req)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	doc := imported.GetDocument()
	if !imported.GetCreated() || doc.GetId() == "" || len(doc.GetTasks()) != 35 || len(imported.GetProblems()) != 0 {
		t.Fatalf("import created %v, document %q with %d tasks, %d problems", imported.GetCreated(), doc.GetId(), len(doc.GetTasks()), len(imported.GetProblems()))
	}
	// What the dry run showed is what was created, ids and times apart.
	ignoreIDs := protocmp.IgnoreFields(&tasktrackingv1.Task{}, "id", "document_id", "create_time")
	if diff := cmp.Diff(dry.GetDocument().GetTasks(), doc.GetTasks(), protocmp.Transform(), ignoreIDs); diff != "" {
		t.Errorf("created tasks differ from the dry run (-dry +created):\n%s", diff)
	}
	got, err := e.client.GetDocument(ctx, &tasktrackingv1.GetDocumentRequest{DocumentId: doc.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, got.GetDocument(), protocmp.Transform()); diff != "" {
		t.Errorf("GetDocument differs from the import (-import +got):\n%s", diff)
	}
	counts := rowCounts(t, dbURL)
	if counts["documents"] != 1 || counts["tasks"] != 35 || counts["outbox_events"] != 35 || counts["occurrences"] < 35 {
		t.Errorf("rows written: %v", counts)
	}
	msgs := e.events(t, 35)
	if len(msgs) != 35 {
		t.Fatalf("%d events, want 35", len(msgs))
	}
	var taskCodes []string
	for _, m := range msgs {
		var ev tasktrackingv1.TaskAssigned
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if m.Subject != "tasktracking.v1.task.assigned" || ev.GetDocumentNumber() != "56/KH-UBND" {
			t.Errorf("event %s of %q", m.Subject, ev.GetDocumentNumber())
		}
		taskCodes = append(taskCodes, ev.GetTask().GetCode())
	}
	var want []string
	for _, task := range doc.GetTasks() {
		want = append(want, task.GetCode())
	}
	if diff := cmp.Diff(want, taskCodes); diff != "" {
		t.Errorf("task codes of the events (-want +got):\n%s", diff)
	}

	// The units were listed with the caller's token, page by page.
	calls := e.dir.ListCalls()
	if len(calls) < 2*3 { // two imports, at least three pages of 10 for 29 units each
		t.Errorf("%d ListUnits calls, want at least 6", len(calls))
	}
	for _, c := range calls {
		if !strings.HasPrefix(c.Authorization, "Bearer ") {
			t.Errorf("ListUnits without the caller's token: %q", c.Authorization)
		}
	}

	// Importing the same number again is refused like CreateDocument refuses it.
	_, err = e.client.ImportDocumentTasks(ctx, req)
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("second import = %v, want AlreadyExists", err)
	}
}

// brokenKH56 is seed 001's appendix with an unknown lead unit on row 13 (I.9) and a day
// that does not exist as the deadline of row 22 (III.3).
func brokenKH56(t *testing.T) []byte {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(readKH56(t), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[12][0] != "9" || rows[21][0] != "3" {
		t.Fatalf("rows 13 and 22 are %q and %q; the fixture changed", rows[12][0], rows[21][0])
	}
	rows[12][2] = "Sở Du lịch"
	rows[21][5] = "31/02/2020"
	var buf bytes.Buffer
	if err := csv.NewWriter(&buf).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportWithProblemsWritesNothing(t *testing.T) {
	e, dbURL := startImport(t)
	ctx := e.as(t.Context(), t, secretariat)
	req := &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: brokenKH56(t)}

	// A real import: InvalidArgument naming both cells, and nothing written.
	_, err := e.client.ImportDocumentTasks(ctx, req)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("import = %v, want InvalidArgument", err)
	}
	var fields []string
	for _, v := range apierr.Violations(err) {
		fields = append(fields, v.Field)
		if v.Description == "" {
			t.Errorf("%s: no description", v.Field)
		}
	}
	if diff := cmp.Diff([]string{"rows[13].lead", "rows[22].deadline"}, fields); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"documents": 0, "tasks": 0, "task_assignments": 0, "occurrences": 0, "outbox_events": 0}, rowCounts(t, dbURL)); diff != "" {
		t.Errorf("an import with problems wrote (-want +got):\n%s", diff)
	}

	// A dry run of the same file: OK, with the problems and their suggestions.
	req.DryRun = true
	dry, err := e.client.ImportDocumentTasks(ctx, req)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	want := []*tasktrackingv1.ImportProblem{
		{Row: 13, Column: "Cơ quan chủ trì", Text: "Sở Du lịch", Field: "rows[13].lead"},
		{Row: 22, Column: "Thời gian hoàn thành", Text: "31/02/2020", Field: "rows[22].deadline"},
	}
	if diff := cmp.Diff(want, dry.GetProblems(), protocmp.Transform(),
		protocmp.IgnoreFields(&tasktrackingv1.ImportProblem{}, "message", "suggestions")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range dry.GetProblems() {
		if !strings.Contains(p.GetMessage(), p.GetText()) {
			t.Errorf("row %d message %q does not quote %q", p.GetRow(), p.GetMessage(), p.GetText())
		}
		for _, s := range p.GetSuggestions() {
			if s.GetUnitId() == "" || s.GetName() == "" {
				t.Errorf("row %d suggestion %v", p.GetRow(), s)
			}
		}
	}
	if n := len(dry.GetDocument().GetTasks()); n != 35 {
		t.Errorf("dry run shows %d tasks, want 35 (rows with problems included)", n)
	}
	if rowCounts(t, dbURL)["documents"] != 0 {
		t.Error("dry run wrote a document")
	}
}

// A task whose lead cell names only collectives that reach no unit is a problem on the lead;
// a misspelt unit is a problem with the unit it probably means.
func TestImportLeadWithoutUnitsAndSuggestions(t *testing.T) {
	e := start(t)
	ctx := e.as(t.Context(), t, secretariat)
	content := "TT,Nội dung thực hiện,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành\n" +
		"I,NHÓM NHIỆM VỤ VÀ GIẢI PHÁP CẢI CÁCH THỦ TỤC HÀNH CHÍNH,,,\n" +
		"1,Rà soát thủ tục hành chính,Các cơ quan liên quan,Sở Nội vụ,Quý IV/2020\n" +
		"2,Công khai thủ tục hành chính,Sở Tư pháp,,2020\n" +
		"3,Đánh giá thủ tục hành chính,Sở Nộ vụ,,2020\n"
	resp, err := e.client.ImportDocumentTasks(ctx, &tasktrackingv1.ImportDocumentTasksRequest{
		Document: kh56Header(), Content: []byte(content), Format: "text/csv; charset=utf-8", DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range resp.GetProblems() {
		got = append(got, p.GetField())
	}
	if diff := cmp.Diff([]string{"rows[3].lead", "rows[5].lead"}, got); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if s := resp.GetProblems()[1].GetSuggestions(); len(s) == 0 || s[0].GetUnitId() != demoUnitID("TQ-SNV") || s[0].GetName() != "Sở Nội vụ" {
		t.Errorf("“Sở Nộ vụ” suggestions = %v, want Sở Nội vụ first", s)
	}
}

// xlsxOf writes rows into the first sheet of a new workbook.
func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	t.Cleanup(func() { _ = f.Close() })
	sheet := f.GetSheetName(0)
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportXLSX(t *testing.T) {
	e := start(t)
	ctx := e.as(t.Context(), t, secretariat)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(readKH56(t), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	content := xlsxOf(t, rows)

	csvDry, err := e.client.ImportDocumentTasks(ctx, &tasktrackingv1.ImportDocumentTasksRequest{
		Document: kh56Header(), Content: readKH56(t), DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sniffed by its zip signature, then named by its media type: the same reading as the CSV.
	for _, format := range []string{"", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		resp, err := e.client.ImportDocumentTasks(ctx, &tasktrackingv1.ImportDocumentTasksRequest{
			Document: kh56Header(), Content: content, Format: format, DryRun: true,
		})
		if err != nil {
			t.Fatalf("format %q: %v", format, err)
		}
		if diff := cmp.Diff(csvDry, resp, protocmp.Transform()); diff != "" {
			t.Errorf("format %q: XLSX reading differs from CSV (-csv +xlsx):\n%s", format, diff)
		}
	}

	created, err := e.client.ImportDocumentTasks(ctx, &tasktrackingv1.ImportDocumentTasksRequest{
		Document: kh56Header(), Content: content, Format: "xlsx",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !created.GetCreated() || len(created.GetDocument().GetTasks()) != 35 {
		t.Errorf("XLSX import created %v with %d tasks", created.GetCreated(), len(created.GetDocument().GetTasks()))
	}
	if msgs := e.events(t, 35); len(msgs) != 35 {
		t.Errorf("%d events, want 35", len(msgs))
	}
}

func TestImportRefusals(t *testing.T) {
	e := start(t)
	content := readKH56(t)
	staff := auth.Principal{UserID: "u1", UnitID: demoUnitID("TQ-SNV"), Roles: []string{auth.RoleUnitStaff}}
	headOfSNV := auth.Principal{UserID: "u2", UnitID: demoUnitID("TQ-SNV"), Roles: []string{auth.RoleUnitHead}}
	withTask := kh56Header()
	withTask.Tasks = plan56("x").GetTasks()[:1]
	otherIssuer := kh56Header()
	otherIssuer.IssuerUnitId = unitUBND // known to BatchGetUnits, not to the province's list

	tests := []struct {
		name   string
		caller auth.Principal
		req    *tasktrackingv1.ImportDocumentTasksRequest
		code   codes.Code
		field  string
	}{
		{"unit staff", staff, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: content, DryRun: true}, codes.PermissionDenied, ""},
		{"head of another unit", headOfSNV, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: content, DryRun: true}, codes.PermissionDenied, ""},
		{"empty file", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), DryRun: true}, codes.InvalidArgument, "content"},
		{"file over 5 MiB", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: make([]byte, 5<<20+1), DryRun: true}, codes.InvalidArgument, "content"},
		{"tasks in the request", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: withTask, Content: content, DryRun: true}, codes.InvalidArgument, ""},
		{"unknown format", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: content, Format: "ods", DryRun: true}, codes.InvalidArgument, "format"},
		{"not a workbook", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: content, Format: "xlsx", DryRun: true}, codes.InvalidArgument, "content"},
		{"no header row", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: []byte("a,b\n1,2\n"), DryRun: true}, codes.InvalidArgument, "content"},
		{"not UTF-8", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: kh56Header(), Content: []byte("TT,N\xf4i dung\n"), DryRun: true}, codes.InvalidArgument, "content"},
		{"issuer not in the directory's list", secretariat, &tasktrackingv1.ImportDocumentTasksRequest{Document: otherIssuer, Content: content, DryRun: true}, codes.InvalidArgument, "document.issuer_unit_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.ImportDocumentTasks(e.as(t.Context(), t, tt.caller), tt.req)
			if status.Code(err) != tt.code {
				t.Fatalf("ImportDocumentTasks = %v, want %v", err, tt.code)
			}
			if tt.field == "" {
				return
			}
			vs := apierr.Violations(err)
			if len(vs) == 0 || vs[0].Field != tt.field || vs[0].Description == "" {
				t.Errorf("violations = %+v, want one on %s", vs, tt.field)
			}
		})
	}
}
