package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/vntime"
)

// writes are the RPCs that change the directory; every other RPC is a read. A new RPC in
// the contract must be classified here before this test passes.
var writes = map[string]bool{
	"CreateUnit": true, "UpdateUnit": true, "CreateUnitLevel": true, "CreateUnitKind": true,
	"AssignHead": true, "EndHeadTenure": true, "CreateUser": true, "UpdateUser": true,
}

var reads = map[string]bool{
	"GetUnit": true, "LookupUnit": true, "BatchGetUnits": true, "ListUnits": true, "ListUnitLevels": true,
	"ListUnitKinds": true, "ListHeadTenures": true, "GetHeadOnDate": true, "GetUser": true, "ListUsers": true,
}

// TestEveryRPCIsAuthorised calls every method of the service descriptor, so an RPC added
// without an authorisation check fails here rather than in production. The Server has no
// use cases behind it: a handler that gets past authorisation panics, which is caught.
func TestEveryRPCIsAuthorised(t *testing.T) {
	s := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	staff := auth.WithPrincipal(t.Context(), auth.Principal{Subject: "x", Roles: []string{auth.RoleUnitStaff, auth.RoleUnitHead, auth.RoleLeadership}})
	for _, m := range directoryv1.DirectoryService_ServiceDesc.Methods {
		t.Run(m.MethodName, func(t *testing.T) {
			if !writes[m.MethodName] && !reads[m.MethodName] {
				t.Fatalf("%s is neither a read nor a write", m.MethodName)
			}
			call := func(ctx context.Context) (code codes.Code, panicked bool) {
				defer func() {
					if recover() != nil {
						panicked = true
					}
				}()
				_, err := m.Handler(s, ctx, func(any) error { return nil }, nil)
				return status.Code(err), false
			}
			if code, panicked := call(t.Context()); panicked || code != codes.Unauthenticated {
				t.Errorf("anonymous call: code %v (panicked %v), want Unauthenticated", code, panicked)
			}
			if writes[m.MethodName] {
				if code, panicked := call(staff); panicked || code != codes.PermissionDenied {
					t.Errorf("staff call: code %v (panicked %v), want PermissionDenied", code, panicked)
				}
			}
		})
	}
}

func violations(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, v := range apierr.Violations(err) {
		out = append(out, v.Field)
	}
	return out
}

func TestToStatus(t *testing.T) {
	s := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name   string
		err    error
		code   codes.Code
		msg    string
		fields []string
	}{
		{"validation with prefix", fmt.Errorf("create: %w", directory.ValidationErrors{{Field: "code"}, {Field: "name"}, {Field: "update_mask"}}),
			codes.InvalidArgument, apierr.InvalidArgumentMessage, []string{"unit.code", "unit.name", "update_mask"}},
		{"one field", directory.ValidationError{Field: "page_token"}, codes.InvalidArgument, apierr.InvalidArgumentMessage, []string{"page_token"}},
		{"not found", fmt.Errorf("get unit x: %w", directory.ErrUnitNotFound), codes.NotFound, "Không tìm thấy đơn vị", nil},
		{"conflict", fmt.Errorf("create: %w", directory.ErrUnitCodeTaken), codes.AlreadyExists, "Mã đơn vị đã tồn tại", nil},
		{"precondition", directory.ErrTenureClosed, codes.FailedPrecondition, "Nhiệm kỳ này đã kết thúc", nil},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), codes.Canceled, "Yêu cầu đã bị huỷ", nil},
		{"anything else is masked", errors.New("pq: password authentication failed for user admin"), codes.Internal, apierr.InternalMessage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.toStatus(t.Context(), tt.err, "unit.")
			st := status.Convert(err)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Errorf("status = %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
			if diff := cmp.Diff(tt.fields, violations(t, err)); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnitPatchFromProto(t *testing.T) {
	id := "0195c0de-0000-7000-8000-000000000001"
	tests := []struct {
		name   string
		unit   *directoryv1.Unit
		paths  []string
		fields []string
		want   directory.UnitPatch
	}{
		{"name and valid_to", &directoryv1.Unit{Id: id, Name: "Sở Nội vụ", ValidTo: "2025-06-30"}, []string{"name", "valid_to"}, nil,
			directory.UnitPatch{Name: ptr("Sở Nội vụ"), ValidTo: ptr(mustDate(t, "2025-06-30"))}},
		{"clearing parent", &directoryv1.Unit{Id: id}, []string{"parent_id"}, nil, directory.UnitPatch{ParentID: ptr("")}},
		{"immutable and unknown paths, bad date, no id", &directoryv1.Unit{ValidFrom: "2025-02-30"}, []string{"code", "id", "colour", "valid_from"},
			[]string{"id", "update_mask", "update_mask", "update_mask", "valid_from"}, directory.UnitPatch{}},
		{"empty mask", &directoryv1.Unit{Id: id}, nil, []string{"update_mask"}, directory.UnitPatch{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotID, patch, err := unitPatchFromProto(tt.unit, tt.paths)
			if tt.fields != nil {
				v, _ := directory.AsValidation(err)
				var got []string
				for _, e := range v {
					got = append(got, e.Field)
				}
				if diff := cmp.Diff(tt.fields, got); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil || gotID != id {
				t.Fatalf("id %q, err %v", gotID, err)
			}
			if diff := cmp.Diff(tt.want, patch); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateRequestsListEveryProblem(t *testing.T) {
	_, err := unitFromProto(&directoryv1.Unit{ValidFrom: "2025-13-01"})
	v, _ := directory.AsValidation(err)
	var got []string
	for _, e := range v {
		got = append(got, e.Field)
	}
	if diff := cmp.Diff([]string{"valid_from", "code", "name", "kind", "level"}, got); diff != "" {
		t.Errorf("unit fields (-want +got):\n%s", diff)
	}
	_, err = userFromProto(&directoryv1.User{Roles: []directoryv1.Role{directoryv1.Role_ROLE_UNSPECIFIED}})
	v, _ = directory.AsValidation(err)
	got = nil
	for _, e := range v {
		got = append(got, e.Field)
	}
	if diff := cmp.Diff([]string{"roles", "subject", "display_name", "unit_id", "roles"}, got); diff != "" {
		t.Errorf("user fields (-want +got):\n%s", diff)
	}
}

func mustDate(t *testing.T, iso string) vntime.Date {
	t.Helper()
	d, err := vntime.ParseISO(iso)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
