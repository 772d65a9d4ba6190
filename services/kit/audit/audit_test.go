package audit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/audit"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestIsMutation(t *testing.T) {
	tests := map[string]bool{
		"/par.directory.v1.DirectoryService/CreateUnit":        true,
		"/par.directory.v1.DirectoryService/UpdateUnit":        true,
		"/par.directory.v1.DirectoryService/GetUnit":           false,
		"/par.directory.v1.DirectoryService/ListUnits":         false,
		"/par.directory.v1.DirectoryService/BatchGetUnits":     false,
		"/par.directory.v1.DirectoryService/LookupUnit":        false,
		"/par.tasktracking.v1.TaskTrackingService/Getaway":     true, // a prefix, not a verb
		"/par.directory.v1.AuditService/ExportAuditRecords":    false,
		"/grpc.health.v1.Health/Check":                         false,
		"/par.tasktracking.v1.TaskTrackingService/ImportTasks": true,
	}
	for m, want := range tests {
		if got := audit.IsMutation(m); got != want {
			t.Errorf("IsMutation(%s) = %v, want %v", m, got, want)
		}
	}
}

func TestRecordNamesActorResourceAndOutcome(t *testing.T) {
	p := auth.Principal{Subject: "snv.cv01", UserID: "u-1", UnitID: "unit-snv", Name: "Nguyễn Thị Hà", Roles: []string{auth.RoleSecretariat}}
	ctx := auth.WithPrincipal(t.Context(), p)
	tests := []struct {
		name         string
		method       string
		req, resp    proto.Message
		err          error
		wantResource string
		wantOutcome  string
	}{
		{"id field of the request", "/par.directory.v1.DirectoryService/AssignHead",
			&directoryv1.AssignHeadRequest{UnitId: "0b9f"}, nil, nil, "units/0b9f", "OK"},
		{"id of the nested message", "/par.directory.v1.DirectoryService/UpdateUnit",
			&directoryv1.UpdateUnitRequest{Unit: &directoryv1.Unit{Id: "77aa"}}, nil, status.Error(codes.PermissionDenied, "x"), "units/77aa", "PERMISSION_DENIED"},
		{"creation: id from the response", "/par.directory.v1.DirectoryService/CreateUnit",
			&directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Name: "Sở Tư pháp"}}, &directoryv1.CreateUnitResponse{Unit: &directoryv1.Unit{Id: "new-1"}}, nil, "units/new-1", "OK"},
		{"failed creation names nothing", "/par.directory.v1.DirectoryService/CreateUnit",
			&directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Name: "Sở Tư pháp"}}, nil, status.Error(codes.InvalidArgument, "x"), "", "INVALID_ARGUMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp any
			if tt.resp != nil {
				resp = tt.resp
			}
			rec := audit.Record(ctx, "directory", tt.method, tt.req, resp, tt.err)
			if rec.GetResource() != tt.wantResource || rec.GetOutcome() != tt.wantOutcome {
				t.Errorf("resource %q outcome %q, want %q %q", rec.GetResource(), rec.GetOutcome(), tt.wantResource, tt.wantOutcome)
			}
			if rec.GetActorSubject() != "snv.cv01" || rec.GetUnitId() != "unit-snv" || rec.GetActorName() != p.Name ||
				!cmp.Equal(rec.GetActorRoles(), p.Roles) || rec.GetService() != "directory" || rec.GetId() == "" || rec.GetOccurredAt() == nil {
				t.Errorf("record %v does not name the actor and call", rec)
			}
		})
	}
}

// TestInterceptorWritesOutboxEventsForMutationsOnly runs the interceptor on a real
// database: a mutation (successful or refused) leaves one event in the outbox, in the
// subject of the service; a read leaves none.
func TestInterceptorWritesOutboxEventsForMutationsOnly(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	otel.SetTracerProvider(tp)
	pool := pgtest.NewPool(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	icpt := audit.UnaryServerInterceptor(pool, "directory", log)

	ctx, span := tp.Tracer("test").Start(t.Context(), "call")
	defer span.End()
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: "snv.cv01", UnitID: "unit-snv", Roles: []string{auth.RoleSecretariat}})
	call := func(method string, req proto.Message, err error) {
		t.Helper()
		_, got := icpt(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) { return nil, err })
		if !errors.Is(got, err) {
			t.Fatalf("%s: interceptor changed the error to %v", method, got)
		}
	}
	denied := status.Error(codes.PermissionDenied, "Không có quyền")
	call("/par.directory.v1.DirectoryService/AssignHead", &directoryv1.AssignHeadRequest{UnitId: "u1"}, nil)
	call("/par.directory.v1.DirectoryService/GetUnit", &directoryv1.GetUnitRequest{UnitId: "u1"}, nil)
	call("/par.directory.v1.DirectoryService/EndHeadTenure", &directoryv1.EndHeadTenureRequest{UnitId: "u2"}, denied)

	rows, err := pool.Query(t.Context(), "SELECT subject, event_type, payload FROM outbox_events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []*auditv1.AuditRecord
	for rows.Next() {
		var subject, typ string
		var payload []byte
		if err := rows.Scan(&subject, &typ, &payload); err != nil {
			t.Fatal(err)
		}
		if subject != "directory.v1.audit.recorded" || typ != "par.audit.v1.AuditRecorded" {
			t.Errorf("event on %s of type %s", subject, typ)
		}
		var ev auditv1.AuditRecorded
		if err := proto.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.GetRecord())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []*auditv1.AuditRecord{
		{Service: "directory", Method: "/par.directory.v1.DirectoryService/AssignHead", Action: "AssignHead", ActorSubject: "snv.cv01", ActorRoles: []string{"secretariat"}, UnitId: "unit-snv", Resource: "units/u1", Outcome: "OK", TraceId: span.SpanContext().TraceID().String()},
		{Service: "directory", Method: "/par.directory.v1.DirectoryService/EndHeadTenure", Action: "EndHeadTenure", ActorSubject: "snv.cv01", ActorRoles: []string{"secretariat"}, UnitId: "unit-snv", Resource: "units/u2", Outcome: "PERMISSION_DENIED", TraceId: span.SpanContext().TraceID().String()},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&auditv1.AuditRecord{}, "id", "occurred_at")); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
}
