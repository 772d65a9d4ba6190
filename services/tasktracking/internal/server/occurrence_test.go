package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

// fakeClock is the service's clock in these tests, moved past deadlines without waiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Callers of the occurrence tests. In plan56: III.3 is led by SNV with STP and STC
// cooperating; IV.1 is led by STP; VII.2 (continuous) is led by STC; UBND issued it.
var (
	stpStaff  = auth.Principal{Subject: "s-stp", UserID: uuid.NewString(), UnitID: unitSTP, Name: "Trần Thị B", Roles: []string{auth.RoleUnitStaff}}
	stcStaff  = auth.Principal{Subject: "s-stc", UserID: uuid.NewString(), UnitID: unitSTC, Roles: []string{auth.RoleUnitStaff}}
	ubndHead  = auth.Principal{Subject: "s-ubnd", UserID: uuid.NewString(), UnitID: unitUBND, Roles: []string{auth.RoleUnitHead}}
	stcHead   = auth.Principal{Subject: "s-stch", UserID: uuid.NewString(), UnitID: unitSTC, Roles: []string{auth.RoleUnitHead}}
	appraiser = auth.Principal{Subject: "s-appr", UserID: uuid.NewString(), Roles: []string{auth.RoleAppraiser}}
	service   = auth.Principal{Subject: "notification", Roles: []string{auth.RoleService}}
)

// fixture is a running service with plan 56 created, at a clock in mid-2021.
type fixture struct {
	*env
	clock *fakeClock
	doc   *tasktrackingv1.Document
}

func newFixture(t *testing.T, maxExtensions int) *fixture {
	t.Helper()
	return newFixtureWith(t, func(c *server.Config) { c.MaxExtensions = maxExtensions })
}

// occurrences returns the occurrences of task i of the plan, as the secretariat sees them.
func (f *fixture) occurrences(t *testing.T, i int) []*tasktrackingv1.Occurrence {
	t.Helper()
	resp, err := f.client.ListOccurrences(f.as(t.Context(), t, secretariat), &tasktrackingv1.ListOccurrencesRequest{TaskId: f.doc.GetTasks()[i].GetId()})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetOccurrences()
}

// eventsOn returns the events of the stream on subject, after waiting for at least total
// messages in the stream.
func (f *fixture) eventsOn(t *testing.T, total int, subject string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range f.events(t, total) {
		if m.Subject == subject {
			out = append(out, m.Data)
		}
	}
	return out
}

func TestOccurrencesCreatedWithDocument(t *testing.T) {
	f := newFixture(t, 2)
	ict := time.FixedZone("ICT", 7*3600)
	endOfYear := func(y int) time.Time { return time.Date(y, 12, 31, 23, 59, 59, 999999000, ict) }

	// III.3, Quý IV/2021: one occurrence, due at the end of 31/12/2021 in Vietnam.
	one := f.occurrences(t, 0)
	if len(one) != 1 || one[0].GetPeriod().GetKind() != tasktrackingv1.PeriodKind_PERIOD_KIND_WHOLE ||
		!one[0].GetDueTime().AsTime().Equal(endOfYear(2021)) || !one[0].GetOriginalDueTime().AsTime().Equal(endOfYear(2021)) ||
		one[0].GetState() != tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_NOT_STARTED ||
		one[0].GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_OPEN_WITHIN_DEADLINE ||
		one[0].GetTaskCode() != "III.3" {
		t.Errorf("III.3 occurrences = %v", one)
	}
	// VII.2, continuous, in a 2021–2025 plan with no reporting cycle: one per year.
	cont := f.occurrences(t, 2)
	var years []int32
	for i, o := range cont {
		years = append(years, o.GetPeriod().GetYear())
		if !o.GetDueTime().AsTime().Equal(endOfYear(2021 + i)) {
			t.Errorf("continuous %d due %v", i, o.GetDueTime().AsTime())
		}
	}
	if diff := cmp.Diff([]int32{2021, 2022, 2023, 2024, 2025}, years); diff != "" {
		t.Errorf("continuous years (-want +got):\n%s", diff)
	}
	if f.doc.GetReportingCycle() != tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY {
		t.Errorf("reporting cycle %v, want yearly by default", f.doc.GetReportingCycle())
	}

	// A quarterly document with a yearly and a conditional task.
	ctx := f.as(t.Context(), t, secretariat)
	d := plan56("57/KH-UBND")
	d.ReportingCycle = tasktrackingv1.ReportingCycle_REPORTING_CYCLE_QUARTERLY
	d.PeriodStartYear, d.PeriodEndYear = 2021, 2022
	d.Tasks[0].Deadline = &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_YEARLY, Text: "Hằng năm"}
	d.Tasks[1].Deadline = &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_CONDITIONAL, Text: "Theo hướng dẫn của Bộ Nội vụ"}
	created, err := f.client.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: d})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	resp, err := f.client.ListOccurrences(ctx, &tasktrackingv1.ListOccurrencesRequest{DocumentId: created.GetDocument().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range resp.GetOccurrences() {
		counts[o.GetTaskCode()]++
		if o.GetTaskCode() == "IV.1" && o.GetDueTime() != nil {
			t.Errorf("conditional occurrence has a due time %v", o.GetDueTime())
		}
	}
	if diff := cmp.Diff(map[string]int{"III.3": 2, "IV.1": 1, "VII.2": 8}, counts); diff != "" {
		t.Errorf("occurrences per task (-want +got):\n%s", diff)
	}
	// No deadline sorts last.
	if last := resp.GetOccurrences()[len(resp.GetOccurrences())-1]; last.GetTaskCode() != "IV.1" {
		t.Errorf("last occurrence %s, want the conditional IV.1", last.GetTaskCode())
	}
}

// TestLifecycle walks one occurrence through every step, with a return, and checks the
// responses, the history and one status_changed event per transition.
func TestLifecycle(t *testing.T) {
	f := newFixture(t, 2)
	occ := f.occurrences(t, 1)[0] // IV.1, led by STP
	id := occ.GetId()
	lead := f.as(t.Context(), t, stpStaff)
	sec := f.as(t.Context(), t, secretariat)

	type step struct {
		name string
		call func() (*tasktrackingv1.Occurrence, error)
		want tasktrackingv1.OccurrenceState
	}
	steps := []step{
		{"receive", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.ReceiveOccurrence(lead, &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: id})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_RECEIVED},
		{"start", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.StartOccurrence(lead, &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: id})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_IN_PROGRESS},
		{"report", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.ReportCompletion(lead, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: id, Note: "Đã trình đề án"})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_COMPLETION_REPORTED},
		{"return", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.ReturnOccurrence(sec, &tasktrackingv1.ReturnOccurrenceRequest{OccurrenceId: id, Reason: "Thiếu số liệu"})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_IN_PROGRESS},
		{"report again", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.ReportCompletion(lead, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: id, Note: "Đã bổ sung số liệu"})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_COMPLETION_REPORTED},
		{"confirm", func() (*tasktrackingv1.Occurrence, error) {
			r, err := f.client.ConfirmCompletion(sec, &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: id})
			return r.GetOccurrence(), err
		}, tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_DONE},
	}
	for i, s := range steps {
		f.clock.Set(time.Date(2021, 7, 1+i, 2, 0, 0, 0, time.UTC))
		got, err := s.call()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got.GetState() != s.want {
			t.Fatalf("%s: state %v, want %v", s.name, got.GetState(), s.want)
		}
	}
	f.clock.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	got, err := f.client.GetOccurrence(lead, &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: id})
	if err != nil {
		t.Fatal(err)
	}
	// Reported in 2021, before the end of 2025: done on time, however late it is now.
	if got.GetOccurrence().GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_DONE_ON_TIME ||
		got.GetOccurrence().GetOverdue() || got.GetOccurrence().GetCompletionNote() != "Đã bổ sung số liệu" {
		t.Errorf("done occurrence = %v", got.GetOccurrence())
	}

	hist, err := f.client.ListOccurrenceHistory(sec, &tasktrackingv1.ListOccurrenceHistoryRequest{OccurrenceId: id})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, h := range hist.GetEntries() {
		actions = append(actions, fmt.Sprintf("%s %s→%s by %s", h.GetAction(), h.GetFromState(), h.GetToState(), h.GetActor().GetUnitId()))
	}
	S := func(s tasktrackingv1.OccurrenceState) string { return s.String() }
	want := []string{
		"OCCURRENCE_ACTION_RECEIVE " + S(1) + "→" + S(2) + " by " + unitSTP,
		"OCCURRENCE_ACTION_START " + S(2) + "→" + S(3) + " by " + unitSTP,
		"OCCURRENCE_ACTION_REPORT " + S(3) + "→" + S(4) + " by " + unitSTP,
		"OCCURRENCE_ACTION_RETURN " + S(4) + "→" + S(3) + " by " + unitSNV,
		"OCCURRENCE_ACTION_REPORT " + S(3) + "→" + S(4) + " by " + unitSTP,
		"OCCURRENCE_ACTION_CONFIRM " + S(4) + "→" + S(5) + " by " + unitSNV,
	}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if e := hist.GetEntries()[3]; e.GetReason() != "Thiếu số liệu" || e.GetActor().GetUserId() != secretariat.UserID {
		t.Errorf("return entry = %v", e)
	}

	// 3 TaskAssigned then one status_changed per transition, in order, and no more.
	data := f.eventsOn(t, 3+len(steps), "tasktracking.v1.occurrence.status_changed")
	if len(data) != len(steps) {
		t.Fatalf("%d status_changed events, want %d", len(data), len(steps))
	}
	for i, d := range data {
		var ev tasktrackingv1.OccurrenceStatusChanged
		if err := proto.Unmarshal(d, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.GetTo() != steps[i].want || ev.GetOccurrence().GetId() != id || ev.GetActor() == nil {
			t.Errorf("event %d = %v", i, &ev)
		}
	}
}

// TestRefusals: a wrong state is FailedPrecondition, the wrong side PermissionDenied, and a
// caller with no relation to the task NotFound, for reads as for changes.
func TestRefusals(t *testing.T) {
	f := newFixture(t, 2)
	id := f.occurrences(t, 1)[0].GetId() // IV.1: STP leads, nobody cooperates
	coopID := f.occurrences(t, 0)[0].GetId()
	as := func(p auth.Principal) context.Context { return f.as(t.Context(), t, p) }

	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"start before receiving", func() error {
			_, err := f.client.StartOccurrence(as(stpStaff), &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: id})
			return err
		}, codes.FailedPrecondition},
		{"confirm before a report", func() error {
			_, err := f.client.ConfirmCompletion(as(secretariat), &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: id})
			return err
		}, codes.FailedPrecondition},
		{"lead confirms its own work", func() error {
			_, err := f.client.ConfirmCompletion(as(stpStaff), &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: id})
			return err
		}, codes.PermissionDenied},
		{"secretariat receives for the lead", func() error {
			_, err := f.client.ReceiveOccurrence(as(secretariat), &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: id})
			return err
		}, codes.PermissionDenied},
		{"cooperating unit receives", func() error {
			_, err := f.client.ReceiveOccurrence(as(stcStaff), &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: coopID})
			return err
		}, codes.PermissionDenied},
		{"cooperating unit reads", func() error {
			_, err := f.client.GetOccurrence(as(stcStaff), &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: coopID})
			return err
		}, codes.OK},
		{"unrelated unit reads", func() error {
			_, err := f.client.GetOccurrence(as(stcStaff), &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: id})
			return err
		}, codes.NotFound},
		{"unrelated unit receives", func() error {
			_, err := f.client.ReceiveOccurrence(as(stcStaff), &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: id})
			return err
		}, codes.NotFound},
		{"unrelated unit head cancels", func() error {
			_, err := f.client.CancelOccurrence(as(stcHead), &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: id, Reason: "x"})
			return err
		}, codes.NotFound},
		{"appraiser reads history", func() error {
			_, err := f.client.ListOccurrenceHistory(as(appraiser), &tasktrackingv1.ListOccurrenceHistoryRequest{OccurrenceId: id})
			return err
		}, codes.OK},
		{"appraiser cancels", func() error {
			_, err := f.client.CancelOccurrence(as(appraiser), &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: id, Reason: "x"})
			return err
		}, codes.PermissionDenied},
		{"service reads", func() error {
			_, err := f.client.GetOccurrence(as(service), &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: id})
			return err
		}, codes.OK},
		{"service recalls", func() error {
			_, err := f.client.RecallOccurrence(as(service), &tasktrackingv1.RecallOccurrenceRequest{OccurrenceId: id, Reason: "x"})
			return err
		}, codes.PermissionDenied},
		{"missing occurrence", func() error {
			_, err := f.client.GetOccurrence(as(secretariat), &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: uuid.NewString()})
			return err
		}, codes.NotFound},
		{"report without a note", func() error {
			_, err := f.client.ReportCompletion(as(stpStaff), &tasktrackingv1.ReportCompletionRequest{OccurrenceId: id})
			return err
		}, codes.InvalidArgument},
		{"decide with nothing pending", func() error {
			_, err := f.client.DecideExtension(as(secretariat), &tasktrackingv1.DecideExtensionRequest{OccurrenceId: id, Approve: true})
			return err
		}, codes.FailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want == codes.FailedPrecondition && tt.name != "decide with nothing pending" && !containsState(status.Convert(err).Message()) {
				t.Errorf("message %q does not name the current state", status.Convert(err).Message())
			}
		})
	}

	// Recall by the issuer's head ends it; nothing more is allowed.
	r, err := f.client.RecallOccurrence(as(ubndHead), &tasktrackingv1.RecallOccurrenceRequest{OccurrenceId: id, Reason: "Giao lại cho đơn vị khác"})
	if err != nil || r.GetOccurrence().GetState() != tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_RECALLED ||
		r.GetOccurrence().GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_CLOSED {
		t.Fatalf("recall = %v, %v", r, err)
	}
	_, err = f.client.CancelOccurrence(as(secretariat), &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: id, Reason: "x"})
	if status.Code(err) != codes.FailedPrecondition || !containsState(status.Convert(err).Message()) {
		t.Errorf("cancel after recall = %v, want FailedPrecondition naming «Đã thu hồi»", err)
	}
	c, err := f.client.CancelOccurrence(as(secretariat), &tasktrackingv1.CancelOccurrenceRequest{OccurrenceId: coopID, Reason: "Không còn cần thiết"})
	if err != nil || c.GetOccurrence().GetState() != tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_CANCELLED {
		t.Errorf("cancel = %v, %v", c, err)
	}
	// Refusals published nothing: two status changes after the three assignments.
	if got := len(f.eventsOn(t, 5, "tasktracking.v1.occurrence.status_changed")); got != 2 {
		t.Errorf("%d status_changed events, want 2", got)
	}
}

// containsState reports whether a refusal names a state, as «name».
func containsState(msg string) bool {
	return slices.ContainsFunc([]string{"«Chưa tiếp nhận»", "«Đã thu hồi»", "«Đang thực hiện»"}, func(s string) bool {
		return strings.Contains(msg, s)
	})
}

// TestExtensions runs requests and decisions up to a configured limit of one.
func TestExtensions(t *testing.T) {
	f := newFixture(t, 1)
	occ := f.occurrences(t, 1)[0]
	id := occ.GetId()
	lead := f.as(t.Context(), t, stpStaff)
	sec := f.as(t.Context(), t, secretariat)
	if _, err := f.client.ReceiveOccurrence(lead, &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: id}); err != nil {
		t.Fatal(err)
	}
	req := func(day string) (*tasktrackingv1.Occurrence, error) {
		r, err := f.client.RequestExtension(lead, &tasktrackingv1.RequestExtensionRequest{OccurrenceId: id, Reason: "Chờ hướng dẫn của Bộ", ProposedDueDate: day})
		return r.GetOccurrence(), err
	}
	if _, err := req("2025-06-30"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("request before the current deadline = %v, want InvalidArgument", err)
	}
	if _, err := f.client.RequestExtension(sec, &tasktrackingv1.RequestExtensionRequest{OccurrenceId: id, Reason: "x", ProposedDueDate: "2026-06-30"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("request by the secretariat = %v, want PermissionDenied", err)
	}
	o, err := req("2026-06-30")
	if err != nil || o.GetPendingExtension().GetDecision() != tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_PENDING {
		t.Fatalf("request = %v, %v", o, err)
	}
	if _, err := req("2026-09-30"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("second pending request = %v, want FailedPrecondition", err)
	}
	if _, err := f.client.DecideExtension(lead, &tasktrackingv1.DecideExtensionRequest{OccurrenceId: id, Approve: true}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("lead approves its own request = %v, want PermissionDenied", err)
	}
	// Refused, then asked again and approved.
	d, err := f.client.DecideExtension(sec, &tasktrackingv1.DecideExtensionRequest{OccurrenceId: id, Reason: "Chưa đủ căn cứ"})
	if err != nil || d.GetExtension().GetDecision() != tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_REFUSED ||
		!proto.Equal(d.GetOccurrence().GetDueTime(), occ.GetDueTime()) {
		t.Fatalf("refusal = %v, %v", d, err)
	}
	if _, err := req("2026-06-30"); err != nil {
		t.Fatal(err)
	}
	d, err = f.client.DecideExtension(sec, &tasktrackingv1.DecideExtensionRequest{OccurrenceId: id, Approve: true, Reason: "Đồng ý"})
	if err != nil {
		t.Fatal(err)
	}
	ict := time.FixedZone("ICT", 7*3600)
	wantDue := timestamppb.New(time.Date(2026, 6, 30, 23, 59, 59, 999999000, ict))
	got := d.GetOccurrence()
	if !proto.Equal(got.GetDueTime(), wantDue) || !proto.Equal(got.GetOriginalDueTime(), occ.GetOriginalDueTime()) ||
		got.GetExtensionsApproved() != 1 || got.GetPendingExtension() != nil ||
		d.GetExtension().GetDecidedBy().GetUserId() != secretariat.UserID {
		t.Errorf("after approval = %v (extension %v)", got, d.GetExtension())
	}
	// MAX_EXTENSIONS=1: no third request.
	if _, err := req("2026-12-31"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("request over the limit = %v, want FailedPrecondition", err)
	}
	// Reported in 2026 before the new deadline: on time.
	if _, err := f.client.StartOccurrence(lead, &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: id}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if _, err := f.client.ReportCompletion(lead, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: id, Note: "Xong"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	c, err := f.client.ConfirmCompletion(sec, &tasktrackingv1.ConfirmCompletionRequest{OccurrenceId: id})
	if err != nil || c.GetOccurrence().GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_DONE_ON_TIME {
		t.Errorf("confirm = %v, %v", c, err)
	}

	// 3 assigned + receive, start, report, confirm + 2 requested + 2 decided = 11.
	requested := f.eventsOn(t, 11, "tasktracking.v1.extension.requested")
	decided := f.eventsOn(t, 11, "tasktracking.v1.extension.decided")
	if len(requested) != 2 || len(decided) != 2 {
		t.Errorf("%d requested and %d decided events, want 2 and 2", len(requested), len(decided))
	}
	var ev tasktrackingv1.ExtensionDecided
	if err := proto.Unmarshal(decided[1], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.GetExtension().GetDecision() != tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_APPROVED || !proto.Equal(ev.GetOccurrence().GetDueTime(), wantDue) {
		t.Errorf("decided event = %v", &ev)
	}
}

// TestListOccurrences: visibility, filters and keyset pages.
func TestListOccurrences(t *testing.T) {
	f := newFixture(t, 2)
	list := func(p auth.Principal, req *tasktrackingv1.ListOccurrencesRequest) []string {
		t.Helper()
		var codes []string
		ctx := f.as(t.Context(), t, p)
		for {
			resp, err := f.client.ListOccurrences(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range resp.GetOccurrences() {
				codes = append(codes, fmt.Sprintf("%s/%d", o.GetTaskCode(), o.GetPeriod().GetYear()))
			}
			if resp.GetNextPageToken() == "" {
				return codes
			}
			req = proto.Clone(req).(*tasktrackingv1.ListOccurrencesRequest)
			req.PageToken = resp.GetNextPageToken()
		}
	}
	all := []string{"III.3/0", "VII.2/2021", "VII.2/2022", "VII.2/2023", "VII.2/2024", "IV.1/0", "VII.2/2025"}
	// Earliest deadline first; pages of two give the same list as one page.
	if diff := cmp.Diff(all, list(secretariat, &tasktrackingv1.ListOccurrencesRequest{PageSize: 2})); diff != "" {
		t.Errorf("secretariat, pages of 2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all, list(ubndHead, &tasktrackingv1.ListOccurrencesRequest{})); diff != "" {
		t.Errorf("issuer's head (-want +got):\n%s", diff)
	}
	// STP leads IV.1 and cooperates on III.3; it sees nothing of VII.2.
	if diff := cmp.Diff([]string{"III.3/0", "IV.1/0"}, list(stpStaff, &tasktrackingv1.ListOccurrencesRequest{})); diff != "" {
		t.Errorf("STP (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"IV.1/0"}, list(stpStaff, &tasktrackingv1.ListOccurrencesRequest{UnitId: unitSTP, UnitRole: tasktrackingv1.UnitRole_UNIT_ROLE_LEAD})); diff != "" {
		t.Errorf("STP as lead (-want +got):\n%s", diff)
	}
	// Asking for another unit's tasks does not widen what a unit sees.
	if got := list(stpStaff, &tasktrackingv1.ListOccurrencesRequest{UnitId: unitSTC, UnitRole: tasktrackingv1.UnitRole_UNIT_ROLE_LEAD}); len(got) != 0 {
		t.Errorf("STP listing STC's lead tasks = %v, want none", got)
	}
	// Appraisers read everything (issue 3 item 10).
	if diff := cmp.Diff(all, list(appraiser, &tasktrackingv1.ListOccurrencesRequest{})); diff != "" {
		t.Errorf("appraiser (-want +got):\n%s", diff)
	}

	// In mid-2023, the 2021 and 2022 occurrences are overdue unless reported in time.
	ii := f.occurrences(t, 0)[0].GetId() // III.3, due 31/12/2021
	lead := f.as(t.Context(), t, auth.Principal{Subject: "s-snv", UnitID: unitSNV, Roles: []string{auth.RoleUnitStaff}})
	for _, call := range []func() error{
		func() error {
			_, err := f.client.ReceiveOccurrence(lead, &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: ii})
			return err
		},
		func() error {
			_, err := f.client.StartOccurrence(lead, &tasktrackingv1.StartOccurrenceRequest{OccurrenceId: ii})
			return err
		},
		func() error {
			_, err := f.client.ReportCompletion(lead, &tasktrackingv1.ReportCompletionRequest{OccurrenceId: ii, Note: "Xong"})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"VII.2/2021", "VII.2/2022"}, list(secretariat, &tasktrackingv1.ListOccurrencesRequest{OverdueOnly: true})); diff != "" {
		t.Errorf("overdue (-want +got):\n%s", diff)
	}
	states := []tasktrackingv1.OccurrenceState{tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_COMPLETION_REPORTED}
	if diff := cmp.Diff([]string{"III.3/0"}, list(secretariat, &tasktrackingv1.ListOccurrencesRequest{States: states})); diff != "" {
		t.Errorf("by state (-want +got):\n%s", diff)
	}
	ict := time.FixedZone("ICT", 7*3600)
	window := &tasktrackingv1.ListOccurrencesRequest{
		DueAfter:  timestamppb.New(time.Date(2022, 1, 1, 0, 0, 0, 0, ict)),
		DueBefore: timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, ict)),
	}
	if diff := cmp.Diff([]string{"VII.2/2022", "VII.2/2023"}, list(secretariat, window)); diff != "" {
		t.Errorf("due window (-want +got):\n%s", diff)
	}
	resp, err := f.client.GetOccurrence(f.as(t.Context(), t, secretariat), &tasktrackingv1.GetOccurrenceRequest{OccurrenceId: f.occurrences(t, 2)[0].GetId()})
	if err != nil || !resp.GetOccurrence().GetOverdue() || resp.GetOccurrence().GetOutcome() != tasktrackingv1.OccurrenceOutcome_OCCURRENCE_OUTCOME_OPEN_OVERDUE {
		t.Errorf("VII.2/2021 in 2023 = %v, %v; want overdue", resp, err)
	}
}

func TestUpdateDocument(t *testing.T) {
	f := newFixture(t, 2)
	sec := f.as(t.Context(), t, secretariat)
	update := func(p auth.Principal, d *tasktrackingv1.Document, paths ...string) (*tasktrackingv1.Document, error) {
		d.Id = f.doc.GetId()
		r, err := f.client.UpdateDocument(f.as(t.Context(), t, p), &tasktrackingv1.UpdateDocumentRequest{Document: d, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
		return r.GetDocument(), err
	}

	got, err := update(secretariat, &tasktrackingv1.Document{Title: "Kế hoạch CCHC (sửa đổi)", SignedOn: "2020-05-21", Number: "ignored"}, "title", "signed_on")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTitle() != "Kế hoạch CCHC (sửa đổi)" || got.GetSignedOn() != "2020-05-21" || got.GetNumber() != "56/KH-UBND" || len(got.GetTasks()) != 3 {
		t.Errorf("amended = %v", got)
	}
	if _, err := update(stcHead, &tasktrackingv1.Document{Title: "x"}, "title"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("another unit's head = %v, want PermissionDenied", err)
	}
	if _, err := update(secretariat, &tasktrackingv1.Document{Number: "1/KH"}, "number"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("amend the number = %v, want InvalidArgument", err)
	}
	if _, err := update(secretariat, &tasktrackingv1.Document{PeriodStartYear: 2021, PeriodEndYear: 2020}, "period_end_year"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("reversed period = %v, want InvalidArgument", err)
	}
	if _, err := f.client.UpdateDocument(sec, &tasktrackingv1.UpdateDocumentRequest{Document: &tasktrackingv1.Document{Id: uuid.NewString(), Title: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); status.Code(err) != codes.NotFound {
		t.Errorf("missing document = %v, want NotFound", err)
	}

	// 2021–2025 → 2022–2026: VII.2 gains 2026 and loses 2021 (not started: cancelled).
	if _, err := update(secretariat, &tasktrackingv1.Document{PeriodStartYear: 2022, PeriodEndYear: 2026}, "period_start_year", "period_end_year"); err != nil {
		t.Fatal(err)
	}
	var open []int32
	for _, o := range f.occurrences(t, 2) {
		if o.GetState() == tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_CANCELLED {
			if o.GetPeriod().GetYear() != 2021 {
				t.Errorf("cancelled %v", o)
			}
			continue
		}
		open = append(open, o.GetPeriod().GetYear())
	}
	if diff := cmp.Diff([]int32{2022, 2023, 2024, 2025, 2026}, open); diff != "" {
		t.Errorf("open continuous years (-want +got):\n%s", diff)
	}
	// Work received for 2022 blocks narrowing the period past it.
	first := f.occurrences(t, 2)[1]
	if _, err := f.client.ReceiveOccurrence(f.as(t.Context(), t, stcStaff), &tasktrackingv1.ReceiveOccurrenceRequest{OccurrenceId: first.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(secretariat, &tasktrackingv1.Document{PeriodStartYear: 2023}, "period_start_year"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("narrowing over received work = %v, want FailedPrecondition", err)
	}
	// Superseded by the issuer's head.
	if got, err := update(ubndHead, &tasktrackingv1.Document{Status: tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_SUPERSEDED}, "status"); err != nil || got.GetStatus() != tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_SUPERSEDED {
		t.Errorf("supersede = %v, %v", got, err)
	}

	// 3 assigned + 3 updated + 1 cancel + 1 receive.
	updated := f.eventsOn(t, 8, "tasktracking.v1.document.updated")
	if len(updated) != 3 {
		t.Fatalf("%d document.updated events, want 3", len(updated))
	}
	var ev tasktrackingv1.DocumentUpdated
	if err := proto.Unmarshal(updated[0], &ev); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"title", "signed_on"}, ev.GetChangedFields()); diff != "" || ev.GetActor().GetUserId() != secretariat.UserID || len(ev.GetDocument().GetTasks()) != 0 {
		t.Errorf("event = %v (%s)", &ev, diff)
	}
}
