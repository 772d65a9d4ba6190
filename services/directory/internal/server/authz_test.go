package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// authzTarget is what a call acts on: a unit, its current head tenure and a user of it.
type authzTarget struct {
	unitID, tenureID, userID string
}

// authzCaller is one column of the authorisation matrix: a role, and whether the call acts
// on the caller's own unit or on another one.
type authzCaller struct {
	name  string
	role  string // "" for an anonymous caller (public)
	other bool   // acts on another unit than the caller's own
}

// The columns: every role of the platform, each on its own unit and on another unit, then
// the platform's services (no unit) and the public (no token).
var directoryAuthzCallers = func() []authzCaller {
	var cs []authzCaller
	for _, r := range []string{auth.RoleSecretariat, auth.RoleLeadership, auth.RoleAppraiser, auth.RoleUnitHead, auth.RoleUnitStaff, auth.RoleAgencySystem} {
		cs = append(cs, authzCaller{name: r + "/own", role: r}, authzCaller{name: r + "/other", role: r, other: true})
	}
	return append(cs, authzCaller{name: "service", role: auth.RoleService}, authzCaller{name: "public"})
}()

// directoryAuthzTable is the expected outcome of every RPC of DirectoryService and
// AuditService, one letter per column of directoryAuthzCallers:
//
//	secretariat  leadership  appraiser  unit_head  unit_staff  agency_system  service public
//	own other    own other   own other  own other  own other   own other
//
//	O  answered OK
//	A  allowed: past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied
//	U  Unauthenticated
//
// The directory is the province's reference data: every signed-in caller reads all of it
// (other services and every portal user resolve units and heads, whatever their unit), and
// only the reform secretariat (Sở Nội vụ) and the platform's loaders (service) change it —
// a unit's head may not rename their own unit nor appoint their own successor. The audit
// log is the secretariat's alone.
var directoryAuthzTable = map[string]string{
	"CreateUnit":         "OODDDDDDDDDDOU",
	"GetUnit":            "OOOOOOOOOOOOOU",
	"LookupUnit":         "OOOOOOOOOOOOOU",
	"BatchGetUnits":      "OOOOOOOOOOOOOU",
	"ListUnits":          "OOOOOOOOOOOOOU",
	"UpdateUnit":         "OODDDDDDDDDDOU",
	"ListUnitLevels":     "OOOOOOOOOOOOOU",
	"CreateUnitLevel":    "OODDDDDDDDDDOU",
	"ListUnitKinds":      "OOOOOOOOOOOOOU",
	"CreateUnitKind":     "OODDDDDDDDDDOU",
	"AssignHead":         "OODDDDDDDDDDOU",
	"EndHeadTenure":      "AADDDDDDDDDDAU",
	"ListHeadTenures":    "OOOOOOOOOOOOOU",
	"GetHeadOnDate":      "OOOOOOOOOOOOOU",
	"CreateUser":         "OODDDDDDDDDDOU",
	"GetUser":            "OOOOOOOOOOOOOU",
	"ListUsers":          "OOOOOOOOOOOOOU",
	"UpdateUser":         "OODDDDDDDDDDOU",
	"ListAuditRecords":   "OODDDDDDDDDDDU",
	"ExportAuditRecords": "OODDDDDDDDDDDU",
}

// TestAuthorisationMatrix walks every RPC of the directory's services (enumerated from the
// service descriptors, so a new RPC fails here until it is in the table) for every role,
// on its own unit and on another unit, against directoryAuthzTable.
func TestAuthorisationMatrix(t *testing.T) {
	e := start(t)
	admin := e.as(t, auth.Principal{Subject: "snv-admin", Roles: []string{auth.RoleSecretariat}})
	mustUnit := func(u *directoryv1.Unit) string {
		t.Helper()
		resp, err := e.client.CreateUnit(admin, &directoryv1.CreateUnitRequest{Unit: u})
		if err != nil {
			t.Fatalf("CreateUnit %s: %v", u.GetCode(), err)
		}
		return resp.GetUnit().GetId()
	}
	tq := mustUnit(&directoryv1.Unit{Code: "TQ", Name: "Tỉnh Tuyên Quang", Kind: "province", Level: "province"})
	target := func(code, name string) authzTarget {
		t.Helper()
		x := authzTarget{unitID: mustUnit(&directoryv1.Unit{Code: code, Name: name, Kind: "department", Level: "province", ParentId: tq})}
		head, err := e.client.AssignHead(admin, &directoryv1.AssignHeadRequest{UnitId: x.unitID, PersonName: "Nguyễn Văn An", Title: "Giám đốc", StartDate: "2024-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		x.tenureID = head.GetTenure().GetId()
		user, err := e.client.CreateUser(admin, &directoryv1.CreateUserRequest{User: &directoryv1.User{
			Subject: code + ".cv01", DisplayName: "Lê Thị Hoa", UnitId: x.unitID,
			Roles: []directoryv1.Role{directoryv1.Role_ROLE_UNIT_STAFF},
		}})
		if err != nil {
			t.Fatal(err)
		}
		x.userID = user.GetUser().GetId()
		return x
	}
	own := target("TQ-STP", "Sở Tư pháp")
	other := target("TQ-STC", "Sở Tài chính")

	n := 0
	next := func() string { n++; return fmt.Sprintf("authz_%d", n) }
	rpcs := map[string]func(ctx context.Context, x authzTarget) error{
		"CreateUnit": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.CreateUnit(ctx, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{Code: "TQ-" + next(), Name: "Ban Dân tộc", Kind: "department", Level: "province", ParentId: tq}})
			return err
		},
		"GetUnit": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.GetUnit(ctx, &directoryv1.GetUnitRequest{UnitId: x.unitID})
			return err
		},
		"LookupUnit": func(ctx context.Context, x authzTarget) error {
			u, err := e.client.GetUnit(admin, &directoryv1.GetUnitRequest{UnitId: x.unitID})
			if err != nil {
				return fmt.Errorf("setup: %w", err)
			}
			_, err = e.client.LookupUnit(ctx, &directoryv1.LookupUnitRequest{Code: u.GetUnit().GetCode()})
			return err
		},
		"BatchGetUnits": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.BatchGetUnits(ctx, &directoryv1.BatchGetUnitsRequest{UnitIds: []string{x.unitID}})
			return err
		},
		"ListUnits": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.ListUnits(ctx, &directoryv1.ListUnitsRequest{ParentId: tq})
			return err
		},
		"UpdateUnit": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.UpdateUnit(ctx, &directoryv1.UpdateUnitRequest{
				Unit: &directoryv1.Unit{Id: x.unitID, ShortName: "S-" + next()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"short_name"}},
			})
			return err
		},
		"ListUnitLevels": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.ListUnitLevels(ctx, &directoryv1.ListUnitLevelsRequest{})
			return err
		},
		"CreateUnitLevel": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.CreateUnitLevel(ctx, &directoryv1.CreateUnitLevelRequest{Level: &directoryv1.UnitLevel{Code: next(), Name: "Cấp thử", Rank: 10}})
			return err
		},
		"ListUnitKinds": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.ListUnitKinds(ctx, &directoryv1.ListUnitKindsRequest{})
			return err
		},
		"CreateUnitKind": func(ctx context.Context, _ authzTarget) error {
			_, err := e.client.CreateUnitKind(ctx, &directoryv1.CreateUnitKindRequest{Kind: &directoryv1.UnitKind{Code: next(), Name: "Loại thử"}})
			return err
		},
		"AssignHead": func(ctx context.Context, x authzTarget) error {
			// One day of acting each, so that successful calls never overlap.
			next()
			day := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.DateOnly)
			_, err := e.client.AssignHead(ctx, &directoryv1.AssignHeadRequest{UnitId: x.unitID, PersonName: "Phạm Văn Bình", Title: "Phó Giám đốc", Acting: true, StartDate: day, EndDate: day})
			return err
		},
		"EndHeadTenure": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.EndHeadTenure(ctx, &directoryv1.EndHeadTenureRequest{UnitId: x.unitID, TenureId: x.tenureID, EndDate: "2030-12-31"})
			return err
		},
		"ListHeadTenures": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.ListHeadTenures(ctx, &directoryv1.ListHeadTenuresRequest{UnitId: x.unitID})
			return err
		},
		"GetHeadOnDate": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.GetHeadOnDate(ctx, &directoryv1.GetHeadOnDateRequest{UnitId: x.unitID, Date: "2024-06-01"})
			return err
		},
		"CreateUser": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.CreateUser(ctx, &directoryv1.CreateUserRequest{User: &directoryv1.User{Subject: next(), DisplayName: "Đỗ Minh Tâm", UnitId: x.unitID, Roles: []directoryv1.Role{directoryv1.Role_ROLE_UNIT_STAFF}}})
			return err
		},
		"GetUser": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.GetUser(ctx, &directoryv1.GetUserRequest{UserId: x.userID})
			return err
		},
		"ListUsers": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.ListUsers(ctx, &directoryv1.ListUsersRequest{UnitId: x.unitID})
			return err
		},
		"UpdateUser": func(ctx context.Context, x authzTarget) error {
			_, err := e.client.UpdateUser(ctx, &directoryv1.UpdateUserRequest{
				User: &directoryv1.User{Id: x.userID, DisplayName: "Lê Thị Hoa " + next()}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
			})
			return err
		},
		"ListAuditRecords": func(ctx context.Context, _ authzTarget) error {
			_, err := e.audit.ListAuditRecords(ctx, &directoryv1.ListAuditRecordsRequest{})
			return err
		},
		"ExportAuditRecords": func(ctx context.Context, _ authzTarget) error {
			_, err := e.audit.ExportAuditRecords(ctx, &directoryv1.ExportAuditRecordsRequest{})
			return err
		},
	}

	// Every RPC of both services is in the table and has a call.
	for _, sd := range []protoreflect.ServiceDescriptor{
		directoryv1.File_par_directory_v1_directory_proto.Services().ByName("DirectoryService"),
		directoryv1.File_par_directory_v1_audit_proto.Services().ByName("AuditService"),
	} {
		for i := range sd.Methods().Len() {
			name := string(sd.Methods().Get(i).Name())
			if _, ok := directoryAuthzTable[name]; !ok {
				t.Errorf("%s.%s is not in the authorisation matrix", sd.Name(), name)
			}
			if rpcs[name] == nil {
				t.Errorf("%s.%s has no call in the matrix test", sd.Name(), name)
			}
		}
	}
	for name, want := range directoryAuthzTable {
		if len(want) != len(directoryAuthzCallers) {
			t.Fatalf("%s: %d expectations for %d callers", name, len(want), len(directoryAuthzCallers))
		}
		if rpcs[name] == nil {
			t.Errorf("%s is in the table but is no RPC", name)
		}
	}
	if t.Failed() {
		return
	}

	for name, want := range directoryAuthzTable {
		for i, c := range directoryAuthzCallers {
			t.Run(name+"/"+strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				x, unit := own, own.unitID
				if c.other {
					x = other
				}
				var ctx context.Context
				switch {
				case c.role == "":
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(t.Context(), 20*time.Second)
					defer cancel()
				case c.role == auth.RoleService:
					ctx = e.as(t, auth.Principal{Subject: "svc-tasktracking", Roles: []string{c.role}})
				default:
					ctx = e.as(t, auth.Principal{Subject: "u-" + c.role, UnitID: unit, Roles: []string{c.role}})
				}
				err := rpcs[name](ctx, x)
				authtest.CheckOutcome(t, want[i], err)
			})
		}
	}
}
