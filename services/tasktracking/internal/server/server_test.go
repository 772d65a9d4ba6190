package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/logx"
	"github.com/parindex/platform/services/kit/otelx"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/svctest"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

func TestMain(m *testing.M) {
	// The global propagator lets the server continue the caller's trace, as in production.
	if _, err := otelx.Setup(context.Background(), "tasktracking-test", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pgtest.Main(m)
}

// Units known to the fake directory.
var (
	unitUBND = uuid.NewString() // provincial people's committee
	unitSNV  = uuid.NewString() // Department of Home Affairs
	unitSTP  = uuid.NewString() // Department of Justice
	unitSTC  = uuid.NewString() // Department of Finance
)

// env is one running task-tracking service with its peers.
type env struct {
	client tasktrackingv1.TaskTrackingServiceClient
	// conn is the client connection, for the service's other APIs.
	conn *grpc.ClientConn
	// reports is the ProgressReportService on the same connection.
	reports tasktrackingv1.ProgressReportServiceClient
	signer  *auth.Signer
	dir     *fakeDirectory
	js      jetstream.JetStream
	logs    *svctest.Logs
	// dbURL is the service's database, for tests that look at what it wrote.
	dbURL string
}

// start runs the service in-process on a fresh database, a fresh JetStream server and a fake
// directory, and stops it when the test ends.
func start(t *testing.T) *env {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with a change to the configuration (clock, limits) before Run.
func startWith(t testing.TB, configure func(*server.Config)) *env {
	t.Helper()
	inf := svctest.New(t, postgres.Migrations())
	dir, dirAddr := startFakeDirectory(t, map[string]string{
		unitUBND: "UBND tỉnh", unitSNV: "Sở Nội vụ", unitSTP: "Sở Tư pháp", unitSTC: "Sở Tài chính",
	})
	cfg := server.Config{Base: inf.Base, BlobDir: t.TempDir()}
	cfg.DirectoryAddr = dirAddr
	if configure != nil {
		configure(&cfg)
	}
	logs := &svctest.Logs{}
	conn, _ := svctest.Serve(t, server.Run, cfg, logx.NewWithWriter(logs, server.Service, slog.LevelDebug))
	return &env{client: tasktrackingv1.NewTaskTrackingServiceClient(conn), conn: conn, reports: tasktrackingv1.NewProgressReportServiceClient(conn), signer: inf.Signer, dir: dir, js: inf.JetStream(t), logs: logs, dbURL: inf.Base.DatabaseURL}
}

// as returns ctx carrying a token for p.
func (e *env) as(ctx context.Context, t testing.TB, p auth.Principal) context.Context {
	t.Helper()
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+authtest.Token(t, e.signer, p))
}

// secretariat is a user of the Department of Home Affairs with the secretariat role.
var secretariat = auth.Principal{UserID: uuid.NewString(), UnitID: unitSNV, Name: "Nguyễn Văn A", Roles: []string{auth.RoleSecretariat}}

// events waits until the TASKTRACKING stream holds n domain events and returns them. The
// audit events every mutation also publishes (kit/audit) are left out.
func (e *env) events(t *testing.T, n int) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(15 * time.Second)
	for {
		msgs, err := e.domainEvents(ctx)
		if err == nil && len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream TASKTRACKING did not reach %d domain events in 15 s (last error: %v)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// domainEvents reads the TASKTRACKING stream, without the audit events.
func (e *env) domainEvents(ctx context.Context) ([]*jetstream.RawStreamMsg, error) {
	stream, err := e.js.Stream(ctx, "TASKTRACKING")
	if err != nil {
		return nil, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			return nil, err
		}
		if m.Subject != audit.Subject("tasktracking") {
			msgs = append(msgs, m)
		}
	}
	return msgs, nil
}

// plan56 is a plan shaped like the appendix of 56/KH-UBND (seed 001).
func plan56(number string) *tasktrackingv1.Document {
	return &tasktrackingv1.Document{
		Number:          number,
		Kind:            tasktrackingv1.DocumentKind_DOCUMENT_KIND_PLAN,
		IssuerUnitId:    unitUBND,
		SignedOn:        "2020-05-20",
		Title:           "Kế hoạch cải cách hành chính nhà nước giai đoạn 2021 - 2025",
		PeriodStartYear: 2021,
		PeriodEndYear:   2025,
		Tasks: []*tasktrackingv1.Task{
			{
				Code: "III.3", Group: tasktrackingv1.TaskGroup_TASK_GROUP_PROCEDURES,
				Content:            "Rà soát, đơn giản hóa thủ tục hành chính",
				LeadUnitIds:        []string{unitSNV},
				CooperatingUnitIds: []string{unitSTP, unitSTC},
				Deadline: &tasktrackingv1.Timing{
					Kind: tasktrackingv1.TimingKind_TIMING_KIND_QUARTER, Quarter: 4, Year: 2021, Text: "Quý IV/2021",
				},
			},
			{
				Code: "IV.1", Group: tasktrackingv1.TaskGroup_TASK_GROUP_ORGANISATION,
				Content:     "Sắp xếp tổ chức bộ máy",
				LeadUnitIds: []string{unitSTP},
				Deadline: &tasktrackingv1.Timing{
					Kind: tasktrackingv1.TimingKind_TIMING_KIND_YEAR, Year: 2021, EndYear: 2025, Text: "2021 - 2025",
				},
			},
			{
				Code: "VII.2", Group: tasktrackingv1.TaskGroup_TASK_GROUP_DIGITAL_GOVERNMENT,
				Content:     "Báo cáo tình hình",
				LeadUnitIds: []string{unitSTC},
				Deadline:    &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_CONTINUOUS, Text: "Thường xuyên"},
			},
		},
	}
}

func TestUnauthenticated(t *testing.T) {
	e := start(t)
	_, err := e.client.CreateDocument(t.Context(), &tasktrackingv1.CreateDocumentRequest{Document: plan56("56/KH-UBND")})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("CreateDocument without a token = %v, want Unauthenticated", err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer not-a-jwt")
	_, err = e.client.ListDocuments(ctx, &tasktrackingv1.ListDocumentsRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("ListDocuments with a bad token = %v, want Unauthenticated", err)
	}
}

func TestCreateDocumentPermissions(t *testing.T) {
	e := start(t)
	tests := []struct {
		name   string
		caller auth.Principal
		issuer string
		want   codes.Code
	}{
		{name: "unit staff", caller: auth.Principal{UserID: "u1", UnitID: unitUBND, Roles: []string{auth.RoleUnitStaff}}, issuer: unitUBND, want: codes.PermissionDenied},
		{name: "unit head of another unit", caller: auth.Principal{UserID: "u2", UnitID: unitSNV, Roles: []string{auth.RoleUnitHead}}, issuer: unitUBND, want: codes.PermissionDenied},
		{name: "unit head of the issuer", caller: auth.Principal{UserID: "u3", UnitID: unitSNV, Roles: []string{auth.RoleUnitHead}}, issuer: unitSNV, want: codes.OK},
		// Issue 3 item 10: the secretariat manages documents; leadership and appraisers read.
		{name: "leadership", caller: auth.Principal{UserID: "u4", Roles: []string{auth.RoleLeadership}}, issuer: unitUBND, want: codes.PermissionDenied},
		{name: "appraiser", caller: auth.Principal{UserID: "u5", Roles: []string{auth.RoleAppraiser}}, issuer: unitUBND, want: codes.PermissionDenied},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := plan56(fmt.Sprintf("%d/KH-UBND", i+1))
			doc.IssuerUnitId = tt.issuer
			_, err := e.client.CreateDocument(e.as(t.Context(), t, tt.caller), &tasktrackingv1.CreateDocumentRequest{Document: doc})
			if status.Code(err) != tt.want {
				t.Errorf("CreateDocument = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCreateDocumentInvalid(t *testing.T) {
	e := start(t)
	ctx := e.as(t.Context(), t, secretariat)
	unknown1, unknown2 := uuid.NewString(), uuid.NewString()
	tests := []struct {
		name   string
		change func(d *tasktrackingv1.Document)
		want   []string
	}{
		{
			name: "units not in the directory",
			change: func(d *tasktrackingv1.Document) {
				d.Tasks[0].CooperatingUnitIds = []string{unitSTP, unknown1}
				d.Tasks[2].LeadUnitIds = []string{unknown2}
			},
			want: []string{"document.tasks[0].cooperating_unit_ids[1]", "document.tasks[2].lead_unit_ids[0]"},
		},
		{
			name:   "lead also cooperating",
			change: func(d *tasktrackingv1.Document) { d.Tasks[0].CooperatingUnitIds = []string{unitSNV} },
			want:   []string{"document.tasks[0].cooperating_unit_ids[0]"},
		},
		{
			name: "date deadline without its date, and a day that does not exist",
			change: func(d *tasktrackingv1.Document) {
				d.Tasks[1].Deadline = &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE}
				d.Tasks[2].Deadline = &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE, Date: "2018-02-30"}
			},
			want: []string{"document.tasks[2].deadline.date"},
		},
		{
			name:   "duplicate task code",
			change: func(d *tasktrackingv1.Document) { d.Tasks[2].Code = "III.3" },
			want:   []string{"document.tasks[2].code"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := plan56(fmt.Sprintf("%d/KH-UBND", i+1))
			tt.change(doc)
			_, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: doc})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("CreateDocument = %v, want InvalidArgument", err)
			}
			var got []string
			for _, v := range apierr.Violations(err) {
				got = append(got, v.Field)
				if v.Description == "" {
					t.Errorf("%s: no description", v.Field)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
	// The unknown units were resolved in one call, with the caller's token.
	calls := e.dir.Calls()
	if len(calls) == 0 || !strings.HasPrefix(calls[0].Authorization, "Bearer ") {
		t.Errorf("directory calls = %+v, want the caller's bearer token forwarded", calls)
	}
}

// TestCreateDocumentPublishesTaskAssigned follows the slice: the document is stored, one
// TaskAssigned per task reaches JetStream with its event id, and the caller's trace id is
// on the log line and on the events.
func TestCreateDocumentPublishesTaskAssigned(t *testing.T) {
	e := start(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx := metadata.AppendToOutgoingContext(e.as(t.Context(), t, secretariat),
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")

	created, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: plan56("56/KH-UBND")})
	if err != nil {
		t.Fatalf("CreateDocument: %v", err)
	}
	doc := created.GetDocument()
	if doc.GetId() == "" || doc.GetStatus() != tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_ISSUED ||
		doc.GetCreatedBy() != secretariat.UserID || len(doc.GetTasks()) != 3 {
		t.Fatalf("created document = %v", doc)
	}
	// Quý IV/2021 ends at the end of 31/12/2021 in Vietnam; continuous tasks have no end.
	due := doc.GetTasks()[0].GetDeadline().GetDueTime().AsTime()
	if want := time.Date(2021, 12, 31, 16, 59, 59, 999999999, time.UTC); !due.Equal(want) {
		t.Errorf("due time = %v, want %v", due, want)
	}
	if doc.GetTasks()[2].GetDeadline().GetDueTime() != nil {
		t.Error("continuous task has a due time")
	}

	got, err := e.client.GetDocument(ctx, &tasktrackingv1.GetDocumentRequest{DocumentId: doc.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, got.GetDocument(), protocmp.Transform()); diff != "" {
		t.Errorf("GetDocument differs from the created document (-created +got):\n%s", diff)
	}

	msgs := e.events(t, 3)
	if len(msgs) != 3 {
		t.Fatalf("%d events, want 3", len(msgs))
	}
	var ids []string
	for i, m := range msgs {
		if m.Subject != "tasktracking.v1.task.assigned" {
			t.Errorf("event %d subject %q", i, m.Subject)
		}
		id := m.Header.Get(nats.MsgIdHdr)
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("event %d Nats-Msg-Id %q is not a UUID", i, id)
		}
		ids = append(ids, id)
		if typ := m.Header.Get("Par-Event-Type"); typ != "par.tasktracking.v1.TaskAssigned" {
			t.Errorf("event %d Par-Event-Type %q", i, typ)
		}
		if tp := m.Header.Get("traceparent"); !strings.Contains(tp, traceID) {
			t.Errorf("event %d traceparent %q does not continue trace %s", i, tp, traceID)
		}
		var ev tasktrackingv1.TaskAssigned
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		want := &tasktrackingv1.TaskAssigned{
			Task: doc.GetTasks()[i], DocumentNumber: doc.GetNumber(), DocumentTitle: doc.GetTitle(),
			IssuerUnitId: doc.GetIssuerUnitId(),
		}
		if diff := cmp.Diff(want, &ev, protocmp.Transform()); diff != "" {
			t.Errorf("event %d (-want +got):\n%s", i, diff)
		}
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 3 {
		t.Errorf("event ids not distinct: %v", ids)
	}

	recs := e.logs.Records(t, "document created")
	if len(recs) != 1 || recs[0]["trace_id"] != traceID || recs[0]["document_id"] != doc.GetId() {
		t.Errorf("log records %v, want one with trace_id %s", recs, traceID)
	}
}

func TestDuplicateNumberPublishesNothing(t *testing.T) {
	e := start(t)
	ctx := e.as(t.Context(), t, secretariat)
	first := plan56("56/KH-UBND")
	first.Tasks = first.Tasks[:1]
	if _, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: first}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: plan56("56/KH-UBND")})
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("second 56/KH-UBND = %v, want AlreadyExists", err)
	}
	last := plan56("57/KH-UBND")
	last.Tasks = last.Tasks[:1]
	if _, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: last}); err != nil {
		t.Fatal(err)
	}
	// The relay publishes in the order events were written: once the last document's event
	// is in the stream, any event of the rolled-back one would be too.
	msgs := e.events(t, 2)
	var numbers []string
	for _, m := range msgs {
		var ev tasktrackingv1.TaskAssigned
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, ev.GetDocumentNumber())
	}
	if diff := cmp.Diff([]string{"56/KH-UBND", "57/KH-UBND"}, numbers); diff != "" {
		t.Errorf("documents of the events (-want +got):\n%s", diff)
	}
}

func TestReads(t *testing.T) {
	e := start(t)
	ctx := e.as(t.Context(), t, secretariat)
	created, err := e.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: plan56("56/KH-UBND")})
	if err != nil {
		t.Fatal(err)
	}
	doc := created.GetDocument()
	// Any authenticated user reads.
	reader := e.as(t.Context(), t, auth.Principal{UserID: "staff", UnitID: unitSTC, Roles: []string{auth.RoleUnitStaff}})

	list, err := e.client.ListDocuments(reader, &tasktrackingv1.ListDocumentsRequest{Query: "ke hoach cai cach", Year: 2023})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetDocuments()) != 1 || list.GetDocuments()[0].GetId() != doc.GetId() || len(list.GetDocuments()[0].GetTasks()) != 0 {
		t.Errorf("ListDocuments = %v, want the plan without tasks", list)
	}

	tasks, err := e.client.ListTasks(reader, &tasktrackingv1.ListTasksRequest{UnitId: unitSTC})
	if err != nil {
		t.Fatal(err)
	}
	var codesGot []string
	for _, task := range tasks.GetTasks() {
		codesGot = append(codesGot, task.GetCode())
	}
	// Finance cooperates on III.3 and leads VII.2.
	if diff := cmp.Diff([]string{"III.3", "VII.2"}, codesGot); diff != "" {
		t.Errorf("ListTasks by unit (-want +got):\n%s", diff)
	}

	task, err := e.client.GetTask(reader, &tasktrackingv1.GetTaskRequest{TaskId: doc.GetTasks()[2].GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc.GetTasks()[2], task.GetTask(), protocmp.Transform()); diff != "" {
		t.Errorf("GetTask (-want +got):\n%s", diff)
	}
	// IV.1 is Justice's alone: Finance does not learn it exists (issue 3 item 10).
	_, err = e.client.GetTask(reader, &tasktrackingv1.GetTaskRequest{TaskId: doc.GetTasks()[1].GetId()})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetTask of another unit's task = %v, want NotFound", err)
	}
	full, err := e.client.GetDocument(reader, &tasktrackingv1.GetDocumentRequest{DocumentId: doc.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var visible []string
	for _, task := range full.GetDocument().GetTasks() {
		visible = append(visible, task.GetCode())
	}
	if diff := cmp.Diff([]string{"III.3", "VII.2"}, visible); diff != "" {
		t.Errorf("GetDocument's tasks for Finance (-want +got):\n%s", diff)
	}

	_, err = e.client.GetDocument(reader, &tasktrackingv1.GetDocumentRequest{DocumentId: uuid.NewString()})
	if status.Code(err) != codes.NotFound {
		t.Errorf("GetDocument of a missing id = %v, want NotFound", err)
	}
	_, err = e.client.ListTasks(reader, &tasktrackingv1.ListTasksRequest{PageToken: "garbage"})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListTasks with a bad token = %v, want InvalidArgument", err)
	}
	var st interface{ GRPCStatus() *status.Status }
	if errors.As(err, &st) && st.GRPCStatus().Message() == "" {
		t.Error("empty error message")
	}
}
