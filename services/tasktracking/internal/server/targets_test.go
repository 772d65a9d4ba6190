package server_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

// TestTargets sets two of Plan 56's targets (seed 001) — work files processed online at
// province level, and the province's satisfaction index — has units report measurements,
// and lists who achieved them. The units are the demo directory's.
func TestTargets(t *testing.T) {
	e := start(t)
	targets := tasktrackingv1.NewTargetServiceClient(e.conn)
	snv, stp, stc, tq := demoUnitID("TQ-SNV"), demoUnitID("TQ-STP"), demoUnitID("TQ-STC"), demoUnitID("TQ")
	secretary := auth.Principal{UserID: uuid.NewString(), UnitID: snv, Roles: []string{auth.RoleSecretariat}}
	sec := e.as(t.Context(), t, secretary)
	as := func(unit string, role string) auth.Principal {
		return auth.Principal{Subject: "s-" + unit + role, UserID: uuid.NewString(), UnitID: unit, Roles: []string{role}}
	}
	doc := plan56("56/KH-UBND")
	doc.IssuerUnitId = tq
	doc.Tasks = doc.Tasks[1:2]
	doc.Tasks[0].LeadUnitIds = []string{stp}
	created, err := e.client.CreateDocument(sec, &tasktrackingv1.CreateDocumentRequest{Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	docID := created.GetDocument().GetId()

	online := &tasktrackingv1.Target{
		DocumentId: docID, Code: "2.a", Metric: "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng",
		UnitOfMeasure: "%", Comparator: tasktrackingv1.Comparator_COMPARATOR_AT_LEAST, Value: 80,
		StartYear: 2020, EndYear: 2020, Deadline: "2020-12-31", ScopeLevel: tasktrackingv1.ScopeLevel_SCOPE_LEVEL_PROVINCE,
		Text: "80% hồ sơ công việc tại cấp tỉnh được xử lý trên môi trường mạng",
	}
	got, err := targets.CreateTarget(sec, &tasktrackingv1.CreateTargetRequest{Target: online})
	if err != nil {
		t.Fatalf("CreateTarget: %v", err)
	}
	online = got.GetTarget()
	satisfaction := &tasktrackingv1.Target{
		DocumentId: docID, Code: "3", Metric: "Mức độ hài lòng của người dân, tổ chức", UnitOfMeasure: "%",
		Comparator: tasktrackingv1.Comparator_COMPARATOR_AT_LEAST, Value: 90, StartYear: 2021, EndYear: 2025,
		ScopeUnitIds: []string{tq},
	}
	if _, err := targets.CreateTarget(sec, &tasktrackingv1.CreateTargetRequest{Target: satisfaction}); err != nil {
		t.Fatalf("CreateTarget: %v", err)
	}

	// Refusals.
	clone := func(t *tasktrackingv1.Target) *tasktrackingv1.Target { return proto.CloneOf(t) }
	dup := clone(online)
	dup.Id = ""
	unknown := clone(satisfaction)
	unknown.Code, unknown.ScopeUnitIds = "4", []string{uuid.NewString()}
	both := clone(satisfaction)
	both.Code, both.ScopeLevel = "5", tasktrackingv1.ScopeLevel_SCOPE_LEVEL_DISTRICT
	wrongDeadline := clone(online)
	wrongDeadline.Code, wrongDeadline.Deadline = "6", "2021-06-30"
	for _, tt := range []struct {
		name string
		who  auth.Principal
		tgt  *tasktrackingv1.Target
		want codes.Code
	}{
		{"code taken", secretary, dup, codes.AlreadyExists},
		{"unknown unit", secretary, unknown, codes.InvalidArgument},
		{"tier and named units", secretary, both, codes.InvalidArgument},
		{"deadline outside the years", secretary, wrongDeadline, codes.InvalidArgument},
		{"another unit's head", as(stp, auth.RoleUnitHead), unknown, codes.PermissionDenied},
		{"unit staff", as(stp, auth.RoleUnitStaff), unknown, codes.PermissionDenied},
	} {
		_, err := targets.CreateTarget(e.as(t.Context(), t, tt.who), &tasktrackingv1.CreateTargetRequest{Target: tt.tgt})
		if status.Code(err) != tt.want {
			t.Errorf("%s: CreateTarget = %v, want %v", tt.name, err, tt.want)
		}
	}

	list, err := targets.ListTargets(e.as(t.Context(), t, as(stc, auth.RoleUnitStaff)), &tasktrackingv1.ListTargetsRequest{DocumentId: docID, Year: 2020})
	if err != nil || len(list.GetTargets()) != 1 || list.GetTargets()[0].GetCode() != "2.a" || list.GetTargets()[0].GetDeadline() != "2020-12-31" {
		t.Errorf("targets of 2020 = %v, %v", list, err)
	}

	record := func(who auth.Principal, unit string, year int32, value float64) (*tasktrackingv1.RecordMeasurementResponse, error) {
		return targets.RecordMeasurement(e.as(t.Context(), t, who), &tasktrackingv1.RecordMeasurementRequest{
			TargetId: online.GetId(), UnitId: unit, Year: year, Value: value, Note: "Số liệu từ hệ thống quản lý văn bản",
		})
	}
	r, err := record(as(stp, auth.RoleUnitStaff), stp, 2020, 85.5)
	if err != nil || !r.GetAchieved() || r.GetMeasurement().GetValue() != 85.5 {
		t.Fatalf("STP 85.5 %% = %v, %v; want achieved", r, err)
	}
	if r, err := record(secretary, snv, 2020, 70); err != nil || r.GetAchieved() {
		t.Fatalf("SNV 70 %% = %v, %v; want not achieved", r, err)
	}
	if _, err := record(as(stc, auth.RoleUnitStaff), stc, 2020, 60); err != nil {
		t.Fatal(err)
	}
	// A correction: the latest measurement counts.
	if r, err := record(secretary, snv, 2020, 92); err != nil || !r.GetAchieved() {
		t.Fatalf("SNV corrected to 92 %% = %v, %v", r, err)
	}
	for _, tt := range []struct {
		name  string
		who   auth.Principal
		unit  string
		year  int32
		want  codes.Code
		field string
	}{
		{"another unit", as(stp, auth.RoleUnitStaff), snv, 2020, codes.PermissionDenied, ""},
		{"appraiser", auth.Principal{Subject: "appr", Roles: []string{auth.RoleAppraiser}}, stp, 2020, codes.PermissionDenied, ""},
		{"outside the years", secretary, stp, 2021, codes.InvalidArgument, "year"},
		{"not in scope", as(tq, auth.RoleUnitStaff), tq, 2020, codes.InvalidArgument, "unit_id"},
		{"a department of another province", secretary, demoUnitID("HG-SNV"), 2020, codes.InvalidArgument, "unit_id"},
		{"unknown unit", secretary, uuid.NewString(), 2020, codes.InvalidArgument, "unit_id"},
	} {
		_, err := record(tt.who, tt.unit, tt.year, 90)
		if status.Code(err) != tt.want {
			t.Errorf("%s: RecordMeasurement = %v, want %v", tt.name, err, tt.want)
		}
		if tt.field != "" && !hasViolation(err, tt.field) {
			t.Errorf("%s: %v does not name field %s", tt.name, err, tt.field)
		}
	}

	ach, err := targets.ListAchievements(e.as(t.Context(), t, as(stc, auth.RoleUnitStaff)), &tasktrackingv1.ListAchievementsRequest{TargetId: online.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name     string
		Value    float64
		Measured bool
		Achieved bool
	}
	var rows []row
	for _, a := range ach.GetAchievements() {
		rows = append(rows, row{a.GetUnitName(), a.GetMeasurement().GetValue(), a.GetMeasurement() != nil, a.GetAchieved()})
	}
	// The seven departments of the demo province, by name (not Hà Giang's).
	want := []row{
		{"Sở Kế hoạch và Đầu tư", 0, false, false},
		{"Sở Khoa học và Công nghệ", 0, false, false},
		{"Sở Nội vụ", 92, true, true},
		{"Sở Tài chính", 60, true, false},
		{"Sở Thông tin và Truyền thông", 0, false, false},
		{"Sở Tư pháp", 85.5, true, true},
		{"Văn phòng Ủy ban nhân dân tỉnh", 0, false, false},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("achievements (-want +got):\n%s", diff)
	}
	if ach.GetYear() != 2020 || ach.GetUnitsInScope() != 7 || ach.GetUnitsMeasured() != 3 || ach.GetUnitsAchieved() != 2 {
		t.Errorf("summary: year %d, %d in scope, %d measured, %d achieved", ach.GetYear(), ach.GetUnitsInScope(), ach.GetUnitsMeasured(), ach.GetUnitsAchieved())
	}
	if _, err := targets.ListAchievements(sec, &tasktrackingv1.ListAchievementsRequest{TargetId: uuid.NewString()}); status.Code(err) != codes.NotFound {
		t.Errorf("achievements of a missing target = %v, want NotFound", err)
	}
}

// hasViolation reports whether err carries a field violation of field.
func hasViolation(err error, field string) bool {
	for _, v := range apierr.Violations(err) {
		if v.Field == field {
			return true
		}
	}
	return false
}
