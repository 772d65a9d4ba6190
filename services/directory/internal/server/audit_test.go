package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/natsx"
)

// TestAuditLog: the directory's own mutations and another service's audit events reach
// audit_record through the outbox and the durable consumers; the secretariat lists,
// filters and exports them, nobody else may.
func TestAuditLog(t *testing.T) {
	e := start(t)
	secretariat := e.as(t, auth.Principal{Subject: "snv-1", Name: "Trần Thị Bình", UnitID: "0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11", Roles: []string{auth.RoleSecretariat}})
	staff := e.as(t, auth.Principal{Subject: "stp-1", Roles: []string{auth.RoleUnitStaff}})

	_, err := e.client.CreateUnitKind(secretariat, &directoryv1.CreateUnitKindRequest{Kind: &directoryv1.UnitKind{Code: "so", Name: "Sở"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.CreateUnitKind(staff, &directoryv1.CreateUnitKindRequest{Kind: &directoryv1.UnitKind{Code: "x", Name: "Không được"}})
	wantCode(t, err, codes.PermissionDenied)
	if _, err := e.client.ListUnitKinds(staff, &directoryv1.ListUnitKindsRequest{}); err != nil {
		t.Fatal(err)
	}

	// Another service's audit event, as its outbox relay publishes it.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	nc, js, err := natsx.Connect(ctx, e.natsURL, "tasktracking-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := natsx.EnsureStream(ctx, js, "tasktracking"); err != nil {
		t.Fatal(err)
	}
	rec := &auditv1.AuditRecord{Id: "01890000-0000-7000-8000-000000000001", Service: "tasktracking", Method: "/par.tasktracking.v1.TaskTrackingService/CreateDocument",
		Action: "CreateDocument", ActorSubject: "stp-2", UnitId: "6f0c1f7e-0000-4000-8000-000000000000", Resource: "documents/d1", Outcome: "OK",
		OccurredAt: timestamppb.New(time.Now().Add(-time.Hour))}
	payload, err := proto.Marshal(&auditv1.AuditRecorded{Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, audit.Subject("tasktracking"), payload, jetstream.WithMsgID("ev-tt-1")); err != nil {
		t.Fatal(err)
	}

	// Three mutations (two by the directory, one by tasktracking); the read is not recorded.
	var got []*auditv1.AuditRecord
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		got = resp.GetRecords()
		if resp.GetNextPageToken() != "" {
			next, err := e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{PageSize: 2, PageToken: resp.GetNextPageToken()})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, next.GetRecords()...)
		}
		if len(got) >= 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var actions []string
	for _, r := range got {
		actions = append(actions, r.GetService()+"/"+r.GetAction()+"/"+r.GetOutcome()+"/"+r.GetActorSubject())
	}
	want := "directory/CreateUnitKind/PERMISSION_DENIED/stp-1 directory/CreateUnitKind/OK/snv-1 tasktracking/CreateDocument/OK/stp-2"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit records newest first:\n got %v\nwant %v", actions, want)
	}
	if got[1].GetUnitId() != "0b9f4a57-3c6e-4a4f-9a55-3f1c2a0e8d11" || got[1].GetActorName() != "Trần Thị Bình" {
		t.Errorf("record %v: unit or name missing", got[1])
	}

	// Filters.
	only, err := e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{Filter: &directoryv1.AuditFilter{Service: "tasktracking"}})
	if err != nil || len(only.GetRecords()) != 1 || only.GetRecords()[0].GetResource() != "documents/d1" {
		t.Errorf("filter by service: %v %v", only, err)
	}
	denied, err := e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{Filter: &directoryv1.AuditFilter{Outcome: "permission_denied"}})
	if err != nil || len(denied.GetRecords()) != 1 || denied.GetRecords()[0].GetActorSubject() != "stp-1" {
		t.Errorf("filter by outcome: %v %v", denied, err)
	}
	recent, err := e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{Filter: &directoryv1.AuditFilter{StartTime: timestamppb.New(time.Now().Add(-30 * time.Minute))}})
	if err != nil || len(recent.GetRecords()) != 2 {
		t.Errorf("filter by time: %v %v", recent, err)
	}

	// Export: CSV with BOM and Vietnamese headers.
	csv, err := e.audit.ExportAuditRecords(secretariat, &directoryv1.ExportAuditRecordsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv.GetData())), "\n")
	if csv.GetContentType() != "text/csv; charset=utf-8" || len(lines) != 4 || !strings.HasPrefix(lines[0], "\uFEFFThời điểm,Dịch vụ") ||
		!strings.Contains(lines[3], "tasktracking,CreateDocument,stp-2") {
		t.Errorf("export %q:\n%s", csv.GetContentType(), csv.GetData())
	}

	// Only the secretariat reads the log.
	_, err = e.audit.ListAuditRecords(staff, &directoryv1.ListAuditRecordsRequest{})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.audit.ExportAuditRecords(staff, &directoryv1.ExportAuditRecordsRequest{})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.audit.ListAuditRecords(secretariat, &directoryv1.ListAuditRecordsRequest{PageToken: "garbage"})
	wantCode(t, err, codes.InvalidArgument)
}
