package server_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/natsx"
)

// TestRoadmapCommittedBecomesRemediationTasks publishes accountability's RoadmapCommitted to
// the running service and reads the remediation tasks back the way accountability does:
// ListTasks and ListOccurrences filtered by the explanation.
func TestRoadmapCommittedBecomesRemediationTasks(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	explanation := uuid.NewString()
	actions := []*accountabilityv1.RoadmapAction{
		{
			Id: uuid.NewString(), Content: "Rà soát, cập nhật quy trình nội bộ giải quyết thủ tục hành chính",
			OwnerUnitId: unitSTP, CooperatingUnitIds: []string{unitSNV}, DueDate: "2030-06-30",
			CriteriaCodes: []string{"5.2"}, ExpectedProduct: "Quyết định phê duyệt quy trình nội bộ",
		},
		{Id: uuid.NewString(), Content: "Báo cáo kết quả khắc phục", OwnerUnitId: unitSTP, DueDate: "2030-12-15", CriteriaCodes: []string{"5.2"}},
	}
	ev := &accountabilityv1.RoadmapCommitted{
		Explanation: &accountabilityv1.ExplanationRef{
			Id: explanation, Year: 2029, NodeCode: "5.2", Title: "Kết quả giải quyết thủ tục hành chính", UnitId: unitSTP,
		},
		AssigningUnitId: unitUBND,
		Actions:         actions,
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := natsx.EnsureStream(ctx, e.js, "accountability"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // published twice under two event ids: created once
		msg := &nats.Msg{Subject: "accountability.v1.roadmap.committed", Data: data, Header: nats.Header{}}
		if _, err := e.js.PublishMsg(ctx, msg, jetstream.WithMsgID(uuid.NewString())); err != nil {
			t.Fatal(err)
		}
	}

	// Accountability calls with its service token.
	acc := e.as(ctx, t, auth.Principal{Subject: "accountability", Roles: []string{auth.RoleService}})
	var tasks []*tasktrackingv1.Task
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := e.client.ListTasks(acc, &tasktrackingv1.ListTasksRequest{ExplanationId: explanation})
		if err != nil {
			t.Fatal(err)
		}
		if tasks = resp.GetTasks(); len(tasks) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(tasks) != 2 {
		t.Fatalf("%d remediation tasks, want 2", len(tasks))
	}
	for i, task := range tasks {
		want := &tasktrackingv1.TaskRemediation{
			ExplanationId: explanation, ActionId: actions[i].GetId(), ExplanationYear: 2029, NodeCode: "5.2",
			ExplanationTitle: "Kết quả giải quyết thủ tục hành chính", ExplainedUnitId: unitSTP,
		}
		if diff := cmp.Diff(want, task.GetRemediation(), protocmp.Transform()); diff != "" {
			t.Errorf("task %d remediation (-want +got):\n%s", i, diff)
		}
		if task.GetContent() != actions[i].GetContent() || task.GetLeadUnitIds()[0] != unitSTP ||
			task.GetDeadline().GetDate() != actions[i].GetDueDate() || !cmp.Equal(task.GetCriteriaCodes(), []string{"5.2"}) {
			t.Errorf("task %d = %v, want action %v", i, task, actions[i])
		}
	}
	doc, err := e.client.GetDocument(acc, &tasktrackingv1.GetDocumentRequest{DocumentId: tasks[0].GetDocumentId()})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.GetDocument(); got.GetNumber() != "KP-GT-"+explanation[:8] || got.GetIssuerUnitId() != unitUBND ||
		got.GetTasks()[1].GetRemediation().GetActionId() != actions[1].GetId() {
		t.Errorf("remediation document = %v", got)
	}

	// Progress: the occurrences of the explanation's tasks, open within their deadlines.
	occs, err := e.client.ListOccurrences(acc, &tasktrackingv1.ListOccurrencesRequest{ExplanationId: explanation})
	if err != nil {
		t.Fatal(err)
	}
	if len(occs.GetOccurrences()) != 2 {
		t.Fatalf("%d occurrences, want 2", len(occs.GetOccurrences()))
	}
	for _, o := range occs.GetOccurrences() {
		if o.GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_OPEN_WITHIN_DEADLINE {
			t.Errorf("occurrence %s outcome %v", o.GetTaskCode(), o.GetOutcome())
		}
	}
	// Other explanations have none; the filter is checked like any id.
	other, err := e.client.ListTasks(acc, &tasktrackingv1.ListTasksRequest{ExplanationId: uuid.NewString()})
	if err != nil || len(other.GetTasks()) != 0 {
		t.Errorf("ListTasks of another explanation = %v, %v", other, err)
	}
	if _, err := e.client.ListTasks(acc, &tasktrackingv1.ListTasksRequest{ExplanationId: "3.1.2"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListTasks with a bad explanation id = %v, want InvalidArgument", err)
	}
	// Once both events are acknowledged, the document still has one task per action.
	for deadline := time.Now().Add(15 * time.Second); ; {
		info, err := e.js.Consumer(ctx, "ACCOUNTABILITY", "tasktracking-remediation")
		if err == nil {
			ci, err := info.Info(ctx)
			if err == nil && ci.Delivered.Consumer >= 2 && ci.NumAckPending == 0 && ci.NumPending == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the second RoadmapCommitted was not acknowledged in 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	all, err := e.client.ListTasks(acc, &tasktrackingv1.ListTasksRequest{DocumentId: tasks[0].GetDocumentId()})
	if err != nil || len(all.GetTasks()) != 2 {
		t.Errorf("tasks of the remediation document = %d, %v", len(all.GetTasks()), err)
	}
}
