package server_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
)

// newTask is a task added to plan 56 after it was issued.
func newTask(code string, lead string, deadline *tasktrackingv1.Timing) *tasktrackingv1.Task {
	return &tasktrackingv1.Task{
		Code: code, Group: tasktrackingv1.TaskGroup_TASK_GROUP_CIVIL_SERVICE,
		Content:     "Đào tạo, bồi dưỡng cán bộ, công chức về cải cách hành chính",
		LeadUnitIds: []string{lead},
		Deadline:    deadline,
	}
}

// TestAddTasks adds tasks to an issued plan: they follow its last task, get their occurrences
// and their TaskAssigned events; bad tasks are refused field by field and nothing is written;
// only who may amend the document may add to it.
func TestAddTasks(t *testing.T) {
	f := newFixture(t, 2)
	docID := f.doc.GetId()
	sec := f.as(t.Context(), t, secretariat)

	yearly := &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_YEARLY, Text: "Hằng năm"}
	quarter := &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_QUARTER, Quarter: 2, Year: 2022, Text: "Quý II/2022"}
	resp, err := f.client.AddTasks(sec, &tasktrackingv1.AddTasksRequest{DocumentId: docID, Tasks: []*tasktrackingv1.Task{
		newTask("V.1", unitSTP, yearly),
		newTask("V.2", unitSNV, quarter),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetTasks()) != 2 || resp.GetTasks()[0].GetId() == "" || resp.GetTasks()[0].GetDocumentId() != docID {
		t.Fatalf("AddTasks = %v", resp)
	}
	doc, err := f.client.GetDocument(sec, &tasktrackingv1.GetDocumentRequest{DocumentId: docID})
	if err != nil {
		t.Fatal(err)
	}
	var codesGot []string
	for _, task := range doc.GetDocument().GetTasks() {
		codesGot = append(codesGot, task.GetCode())
	}
	if diff := cmp.Diff([]string{"III.3", "IV.1", "VII.2", "V.1", "V.2"}, codesGot); diff != "" {
		t.Errorf("tasks after adding (-want +got):\n%s", diff)
	}
	f.doc = doc.GetDocument()
	// The yearly task has one occurrence per year of the 2021–2025 plan.
	if got := len(f.occurrences(t, 3)); got != 5 {
		t.Errorf("V.1 has %d occurrences, want 5", got)
	}
	if got := len(f.occurrences(t, 4)); got != 1 {
		t.Errorf("V.2 has %d occurrences, want 1", got)
	}
	// Three TaskAssigned from the creation, two from the addition.
	assigned := f.eventsOn(t, 5, "tasktracking.v1.task.assigned")
	if len(assigned) != 5 {
		t.Fatalf("%d TaskAssigned events, want 5", len(assigned))
	}
	var last tasktrackingv1.TaskAssigned
	if err := proto.Unmarshal(assigned[4], &last); err != nil {
		t.Fatal(err)
	}
	if last.GetTask().GetCode() != "V.2" || last.GetDocumentNumber() != "56/KH-UBND" {
		t.Errorf("last TaskAssigned = %v", &last)
	}

	// Refusals, each writing nothing.
	unknown := uuid.NewString()
	invalid := []struct {
		name  string
		tasks []*tasktrackingv1.Task
		want  []string
	}{
		{"code already in the document", []*tasktrackingv1.Task{newTask("IV.1", unitSTP, quarter)}, []string{"tasks[0].code"}},
		{"code twice in the request", []*tasktrackingv1.Task{newTask("VI.1", unitSTP, quarter), newTask("VI.1", unitSTC, quarter)}, []string{"tasks[1].code"}},
		{"unknown unit", []*tasktrackingv1.Task{newTask("VI.2", unknown, quarter)}, []string{"tasks[0].lead_unit_ids[0]"}},
		{"no deadline", []*tasktrackingv1.Task{newTask("VI.3", unitSTP, nil)}, []string{"tasks[0].deadline"}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.AddTasks(sec, &tasktrackingv1.AddTasksRequest{DocumentId: docID, Tasks: tt.tasks})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("AddTasks = %v, want InvalidArgument", err)
			}
			var got []string
			for _, v := range apierr.Violations(err) {
				got = append(got, v.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
	doc, err = f.client.GetDocument(sec, &tasktrackingv1.GetDocumentRequest{DocumentId: docID})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc.GetDocument().GetTasks()); n != 5 {
		t.Errorf("after refused additions the document has %d tasks, want 5", n)
	}

	callers := []struct {
		name   string
		caller auth.Principal
		doc    string
		want   codes.Code
	}{
		{"head of the issuing unit", ubndHead, docID, codes.OK},
		{"staff of a lead unit", stpStaff, docID, codes.PermissionDenied},
		{"head of another unit", stcHead, docID, codes.PermissionDenied},
		{"leadership", auth.Principal{Subject: "s-lead", Roles: []string{auth.RoleLeadership}}, docID, codes.PermissionDenied},
		{"appraiser", appraiser, docID, codes.PermissionDenied},
		{"missing document", secretariat, uuid.NewString(), codes.NotFound},
	}
	for i, tt := range callers {
		t.Run(tt.name, func(t *testing.T) {
			code := "VIII." + string(rune('1'+i))
			_, err := f.client.AddTasks(f.as(t.Context(), t, tt.caller), &tasktrackingv1.AddTasksRequest{
				DocumentId: tt.doc, Tasks: []*tasktrackingv1.Task{newTask(code, unitSTP, quarter)},
			})
			if status.Code(err) != tt.want {
				t.Errorf("AddTasks = %v, want %v", err, tt.want)
			}
		})
	}

	// A superseded document takes no new task.
	if _, err := f.client.UpdateDocument(sec, &tasktrackingv1.UpdateDocumentRequest{
		Document:   &tasktrackingv1.Document{Id: docID, Status: tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_SUPERSEDED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.AddTasks(sec, &tasktrackingv1.AddTasksRequest{DocumentId: docID, Tasks: []*tasktrackingv1.Task{newTask("IX.1", unitSTP, quarter)}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("AddTasks to a superseded document = %v, want FailedPrecondition", err)
	}
}
