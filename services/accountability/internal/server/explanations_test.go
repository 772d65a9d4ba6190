package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/accountability/internal/server"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/kit/natsx"
)

// publishResult puts a SubjectResultPublished on the PARSCORING stream with the given
// event id, as PAR scoring's relay would.
func publishResult(t *testing.T, js jetstream.JetStream, id string, ev *parscoringv1.SubjectResultPublished) {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	if _, err := natsx.EnsureStream(c, js, "parscoring"); err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: "parscoring.v1.subject_result.published", Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	if _, err := js.PublishMsg(c, msg); err != nil {
		t.Fatal(err)
	}
}

// provincial2024 is the Ministry's provincial index for 2024, published 10/05/2025: field 3
// (procedures, PPC Office) and field 8 (impact, Planning and Investment with Finance and
// the Tax Department) fell; 3.1 held; 9 fell but no matrix entry covers it.
func provincial2024() *parscoringv1.SubjectResultPublished {
	return &parscoringv1.SubjectResultPublished{
		SnapshotId: "0190b000-0000-7000-8000-000000000001", Year: 2024, SubjectKind: "province",
		Source: parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED, Decision: "268/QĐ-BNV",
		PublishTime: timestamppb.New(time.Date(2025, 5, 10, 3, 0, 0, 0, time.UTC)), UnitId: province,
		Total: "85.10", MaxPoints: "100.00", IndexPercent: "85.10", PreviousTotal: "86.00",
		Nodes: []*parscoringv1.NodeResult{
			{Code: "3", Name: "Cải cách thủ tục hành chính", Score: "12.00", MaxPoints: "13.00", PreviousScore: "12.75"},
			{Code: "3.1", ParentCode: "3", Name: "Công bố, công khai TTHC", Score: "4.00", MaxPoints: "4.00", PreviousScore: "4.00"},
			{Code: "8", Name: "Tác động của cải cách hành chính", Score: "13.00", MaxPoints: "16.50", PreviousScore: "14.00"},
			{Code: "9", Name: "Mục ngoài ma trận", Score: "1.00", MaxPoints: "2.00", PreviousScore: "2.00"},
		},
	}
}

// tokenFor mints a token for a member of a unit.
func (h *harness) tokenFor(t *testing.T, user, unit string, roles ...string) string {
	t.Helper()
	return authtest.Token(t, h.signer, auth.Principal{UserID: user, Name: "Người dùng " + user, UnitID: unit, Roles: roles})
}

// waitExplanations polls until the secretariat sees n explanations for the year.
func waitExplanations(t *testing.T, h *harness, tok string, year int32, n int) []*accountabilityv1.Explanation {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for {
		res, err := h.explanations.ListExplanations(ctx(t, tok), &accountabilityv1.ListExplanationsRequest{Year: year}, grpc.WaitForReady(true))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetExplanations()) >= n || time.Now().After(deadline) {
			return res.GetExplanations()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countEvents returns how many events are on subject once want have arrived (or the
// deadline passed), after a short grace period for extras that should not be there.
func countEvents(t *testing.T, js jetstream.JetStream, subject string, want int) int {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	cons, err := js.OrderedConsumer(c, "ACCOUNTABILITY", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	deadline := time.Now().Add(callTimeout)
	for time.Now().Before(deadline) {
		wait := time.Second
		if n >= want {
			wait = 700 * time.Millisecond
		}
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(wait))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for range batch.Messages() {
			got++
		}
		n += got
		if got == 0 && n >= want {
			break
		}
	}
	return n
}

func TestExplanations(t *testing.T) {
	dir := thaiBinhDirectory()
	// The Chief of the PPC Office changed on 01/04/2025: Lê Văn A before, Phạm Thị B after.
	dir.tenures = map[string][]*directoryv1.HeadTenure{
		ppcOffice: {
			{UnitId: ppcOffice, PersonName: "Lê Văn A", UserId: "u-a", StartDate: "2020-01-01", EndDate: "2025-03-31"},
			{UnitId: ppcOffice, PersonName: "Phạm Thị B", UserId: "u-b", StartDate: "2025-04-01"},
		},
		planInvest: {{UnitId: planInvest, PersonName: "Trần Văn C", UserId: "u-c", StartDate: "2019-06-01"}},
	}
	tasks := &fakeTasks{}
	tasksAddr := startTasks(t, tasks)
	h := start(t, startDirectory(t, dir), func(c *server.Config) {
		c.OverdueScanInterval = 100 * time.Millisecond
		c.TaskTrackingAddr = tasksAddr
	})
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	if _, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
		ProvinceUnitId: province, Year: 2024, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
	}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}

	// The same results delivered three times: twice with one event id (JetStream drops the
	// repeat), once more under another id (a republication): one request per node and unit.
	id := uuid.NewString()
	publishResult(t, h.js, id, provincial2024())
	publishResult(t, h.js, id, provincial2024())
	publishResult(t, h.js, uuid.NewString(), provincial2024())

	var byNode map[string]*accountabilityv1.Explanation
	t.Run("one request per fallen node", func(t *testing.T) {
		es := waitExplanations(t, h, secretariat, 2024, 2)
		if n := countEvents(t, h.js, "accountability.v1.explanation.requested", 2); n != 2 {
			t.Errorf("%d ExplanationRequested events, want 2", n)
		}
		es = waitExplanations(t, h, secretariat, 2024, 2)
		byNode = map[string]*accountabilityv1.Explanation{}
		for _, e := range es {
			byNode[e.GetNodeCode()] = e
		}
		if len(es) != 2 || byNode["3"] == nil || byNode["8"] == nil {
			t.Fatalf("explanations = %v", es)
		}
		e3 := byNode["3"]
		// The head on the day of publication, not the one who left on 31/03/2025.
		if e3.GetHeadUserId() != "u-b" || e3.GetHeadName() != "Phạm Thị B" || e3.GetUnitId() != ppcOffice {
			t.Errorf("node 3 asked %q %q of %s", e3.GetHeadUserId(), e3.GetHeadName(), e3.GetUnitId())
		}
		if !strings.Contains(e3.GetLegalBasis(), "Điều 14 khoản 1") || !strings.Contains(e3.GetLegalBasis(), "Điều 15 khoản 3") {
			t.Errorf("legal basis %q", e3.GetLegalBasis())
		}
		if e3.GetDueDate() != "2025-05-30" || e3.GetScore() != "12.00" || e3.GetPreviousScore() != "12.75" {
			t.Errorf("due %s score %s prev %s", e3.GetDueDate(), e3.GetScore(), e3.GetPreviousScore())
		}
		if diff := cmp.Diff([]string{finance, taxDept}, byNode["8"].GetCooperatingUnitIds()); diff != "" {
			t.Errorf("cooperating (-want +got):\n%s", diff)
		}
	})
	if byNode == nil {
		t.FailNow()
	}

	t.Run("overdue once each", func(t *testing.T) {
		// Both were due 30/05/2025, long past: the scheduler marks each once, however many
		// scans run.
		if n := countEvents(t, h.js, "accountability.v1.explanation.overdue", 2); n != 2 {
			t.Errorf("%d ExplanationOverdue events, want 2", n)
		}
	})

	e8 := byNode["8"].GetId()
	ownerStaff := h.tokenFor(t, "u-kh", planInvest, auth.RoleUnitStaff)
	financeStaff := h.tokenFor(t, "u-tc", finance, auth.RoleUnitStaff)
	outsider := h.tokenFor(t, "u-tp", justice, auth.RoleUnitHead)
	content := &accountabilityv1.ExplanationContent{
		Documents:    []*accountabilityv1.IssuedDocument{{Number: "12/KH-SKHĐT", Date: "2024-02-01", Title: "Kế hoạch cải thiện môi trường đầu tư"}},
		WorkAssigned: []*accountabilityv1.WorkAssignment{{UnitId: planInvest, Content: "Phòng Đăng ký kinh doanh theo dõi chỉ số"}},
		Shortcomings: []*accountabilityv1.Shortcoming{{NodeCode: "8", Description: "Mức độ hài lòng của doanh nghiệp giảm",
			Causes: []*accountabilityv1.Cause{{Kind: accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE, Description: "Chậm giải quyết hồ sơ"}}}},
		Solutions: []string{"Rà soát quy trình nội bộ"},
		Roadmap: []*accountabilityv1.RoadmapAction{{Content: "Rút ngắn thời gian giải quyết hồ sơ đầu tư", OwnerUnitId: planInvest,
			DueDate: "2025-12-31", CriteriaCodes: []string{"8"}}},
	}

	t.Run("who may write", func(t *testing.T) {
		_, err := h.explanations.SaveExplanationDraft(ctx(t, outsider), &accountabilityv1.SaveExplanationDraftRequest{Id: e8, Content: content})
		if status.Code(err) != codes.NotFound {
			t.Errorf("outsider: %v, want NotFound", err)
		}
		_, err = h.explanations.SaveExplanationDraft(ctx(t, financeStaff), &accountabilityv1.SaveExplanationDraftRequest{Id: e8, Content: content})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("cooperating unit on the owner's content: %v, want PermissionDenied", err)
		}
		_, err = h.explanations.SaveExplanationPart(ctx(t, ownerStaff), &accountabilityv1.SaveExplanationPartRequest{Id: e8, UnitId: finance, Content: content})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("owner on a cooperating unit's part: %v, want PermissionDenied", err)
		}
		_, err = h.explanations.ConcludeExplanation(ctx(t, ownerStaff), &accountabilityv1.ConcludeExplanationRequest{Id: e8, Conclusion: "x"})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("owner concluding: %v, want PermissionDenied", err)
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		if _, err := h.explanations.SubmitExplanation(ctx(t, ownerStaff), &accountabilityv1.SubmitExplanationRequest{Id: e8}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("submit without shortcomings: %v, want InvalidArgument", err)
		}
		res, err := h.explanations.SaveExplanationDraft(ctx(t, ownerStaff), &accountabilityv1.SaveExplanationDraftRequest{Id: e8, Content: content})
		if err != nil {
			t.Fatalf("save draft: %v", err)
		}
		if a := res.GetExplanation().GetContent().GetRoadmap()[0]; a.GetId() == "" {
			t.Error("roadmap action got no id")
		}
		if _, err := h.explanations.SaveExplanationPart(ctx(t, financeStaff), &accountabilityv1.SaveExplanationPartRequest{Id: e8, UnitId: finance,
			Content: &accountabilityv1.ExplanationContent{Direction: "Sở Tài chính phối hợp rà soát chi phí tuân thủ",
				Roadmap: []*accountabilityv1.RoadmapAction{{Content: "Công khai chi phí", OwnerUnitId: finance, DueDate: "2025-10-31"}}}}); err != nil {
			t.Fatalf("save part: %v", err)
		}
		if _, err := h.explanations.SubmitExplanation(ctx(t, ownerStaff), &accountabilityv1.SubmitExplanationRequest{Id: e8}); err != nil {
			t.Fatalf("submit: %v", err)
		}
		if _, err := h.explanations.ReturnExplanation(ctx(t, secretariat), &accountabilityv1.ReturnExplanationRequest{Id: e8, Comment: "Cần nêu rõ số liệu"}); err != nil {
			t.Fatalf("return: %v", err)
		}
		if _, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: e8, Conclusion: "x",
			DeterminedCauses: []*accountabilityv1.DeterminedCause{{NodeCode: "8", Cause: accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE}}}); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("conclude a returned explanation: %v, want FailedPrecondition", err)
		}
		if _, err := h.explanations.SubmitExplanation(ctx(t, ownerStaff), &accountabilityv1.SubmitExplanationRequest{Id: e8}); err != nil {
			t.Fatalf("resubmit: %v", err)
		}
		if _, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: e8, Conclusion: "Nguyên nhân chủ quan"}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("conclude without the node's cause: %v, want InvalidArgument", err)
		}
		res2, err := h.explanations.ConcludeExplanation(ctx(t, secretariat), &accountabilityv1.ConcludeExplanationRequest{Id: e8, Conclusion: "Nguyên nhân chủ quan",
			DeterminedCauses: []*accountabilityv1.DeterminedCause{{NodeCode: "8", Cause: accountabilityv1.CauseKind_CAUSE_KIND_SUBJECTIVE, Note: "Chậm giải quyết hồ sơ"}}})
		if err != nil {
			t.Fatalf("conclude: %v", err)
		}
		if res2.GetExplanation().GetStatus() != accountabilityv1.ExplanationStatus_EXPLANATION_STATUS_CONCLUDED {
			t.Errorf("status %v", res2.GetExplanation().GetStatus())
		}

		// Not yet public: another unit cannot read it; once published it can (Art. 12.2).
		if _, err := h.explanations.GetExplanation(ctx(t, outsider), &accountabilityv1.GetExplanationRequest{Id: e8}); status.Code(err) != codes.NotFound {
			t.Errorf("outsider before publication: %v", err)
		}
		if _, err := h.explanations.PublishExplanation(ctx(t, secretariat), &accountabilityv1.PublishExplanationRequest{Id: e8}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.explanations.GetExplanation(ctx(t, outsider), &accountabilityv1.GetExplanationRequest{Id: e8}); err != nil {
			t.Errorf("outsider after publication: %v", err)
		}

		// Remediation progress comes from task tracking, asked by explanation id.
		got, err := h.explanations.GetExplanation(ctx(t, secretariat), &accountabilityv1.GetExplanationRequest{Id: e8})
		if err != nil {
			t.Fatal(err)
		}
		want := []*accountabilityv1.RemediationTask{{TaskId: "task-1", ActionId: "action-1", Title: "Rút ngắn thời gian giải quyết hồ sơ đầu tư", Status: "in_progress", DueDate: "2025-12-31"}}
		if diff := cmp.Diff(want, got.GetExplanation().GetRemediation(), protocmp.Transform()); diff != "" {
			t.Errorf("remediation (-want +got):\n%s", diff)
		}
		tasks.mu.Lock()
		asked := append([]string(nil), tasks.asked...)
		tasks.mu.Unlock()
		if diff := cmp.Diff([]string{e8, e8}, asked); diff != "" { // the outsider's read and this one
			t.Errorf("task tracking asked about (-want +got):\n%s", diff)
		}

		for subject, want := range map[string]int{
			"accountability.v1.explanation.submitted": 2, "accountability.v1.explanation.returned": 1,
			"accountability.v1.explanation.concluded": 1, "accountability.v1.roadmap.committed": 1,
		} {
			if n := countEvents(t, h.js, subject, want); n != want {
				t.Errorf("%s: %d events, want %d", subject, n, want)
			}
		}
		msg := nextEvent(t, h.js, "accountability.v1.roadmap.committed")
		var rc accountabilityv1.RoadmapCommitted
		if err := proto.Unmarshal(msg.Data(), &rc); err != nil {
			t.Fatal(err)
		}
		if len(rc.GetActions()) != 2 || rc.GetAssigningUnitId() != homeAffair || rc.GetExplanation().GetId() != e8 {
			t.Errorf("roadmap committed = %v", &rc)
		}
	})

	t.Run("audit", func(t *testing.T) {
		res, err := h.explanations.ListAuditRecords(ctx(t, secretariat), &accountabilityv1.ListAuditRecordsRequest{Entity: "explanation", EntityId: e8})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range res.GetRecords() {
			actions = append(actions, r.GetAction())
		}
		want := []string{"requested", "overdue", "draft_saved", "part_saved", "submitted", "returned", "submitted", "concluded", "published"}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
		if _, err := h.explanations.ListAuditRecords(ctx(t, ownerStaff), &accountabilityv1.ListAuditRecordsRequest{Entity: "explanation"}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("unit staff reading audit: %v", err)
		}
	})

	t.Run("manual request", func(t *testing.T) {
		res, err := h.explanations.RequestExplanation(ctx(t, secretariat), &accountabilityv1.RequestExplanationRequest{
			ProvinceUnitId: province, Year: 2024, UnitId: justice, Title: "Chậm ban hành văn bản", Reason: "UBND tỉnh yêu cầu giải trình",
			Ground: "art12.2", DueDate: "2099-01-31",
		})
		if err != nil {
			t.Fatal(err)
		}
		if e := res.GetExplanation(); e.GetKind() != accountabilityv1.ExplanationKind_EXPLANATION_KIND_MANUAL || !strings.HasPrefix(e.GetLegalBasis(), "Điều 12 khoản 2") || e.GetDueDate() != "2099-01-31" {
			t.Errorf("manual request = %v", e)
		}
		if _, err := h.explanations.RequestExplanation(ctx(t, ownerStaff), &accountabilityv1.RequestExplanationRequest{
			ProvinceUnitId: province, Year: 2024, UnitId: justice, Title: "x", Reason: "y", Ground: "art14.2",
		}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("unit staff opening a request: %v", err)
		}
	})

	t.Run("rerun opens nothing new", func(t *testing.T) {
		res, err := h.explanations.RunExplanationTriggers(ctx(t, secretariat), &accountabilityv1.RunExplanationTriggersRequest{ProvinceUnitId: province, Year: 2024})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetOpened()) != 0 || !cmp.Equal(res.GetUnassignedNodeCodes(), []string{"9"}) {
			t.Errorf("rerun = %v", res)
		}
	})
}
