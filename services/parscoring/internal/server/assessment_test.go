package server_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/parscoring/internal/server"
)

// fakeDirectory is the directory peer: a real gRPC server answering ListUnits from the
// devstack demo directory (Tuyên Quang), filtered by level and kind like the directory,
// recording the authorization each call carried.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	units []*directoryv1.Unit

	mu    sync.Mutex
	auths []string
	// gets counts GetUnit calls.
	gets int
}

// demoUnitID is the id the fake gives the demo unit with this code.
func demoUnitID(code string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("par-demo-unit/"+code)).String()
}

func startFakeDirectory(t *testing.T) (*fakeDirectory, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "devstack", "demo", "data", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir struct {
		Units []struct{ Code, Name, Kind, Level string } `json:"units"`
	}
	if err := json.Unmarshal(data, &dir); err != nil {
		t.Fatal(err)
	}
	f := &fakeDirectory{}
	for _, u := range dir.Units {
		f.units = append(f.units, &directoryv1.Unit{Id: demoUnitID(u.Code), Code: u.Code, Name: u.Name, Kind: u.Kind, Level: u.Level})
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return f, lis.Addr().String()
}

// addUnit adds a unit to the directory.
func (f *fakeDirectory) addUnit(u *directoryv1.Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.units = append(f.units, u)
}

// getCount returns how many GetUnit calls were made.
func (f *fakeDirectory) getCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

// GetUnit returns a unit by id, NotFound for an id it does not know (as the directory).
func (f *fakeDirectory) GetUnit(ctx context.Context, req *directoryv1.GetUnitRequest) (*directoryv1.GetUnitResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths = append(f.auths, strings.Join(md.Get("authorization"), ","))
	f.gets++
	for _, u := range f.units {
		if u.GetId() == req.GetUnitId() {
			return &directoryv1.GetUnitResponse{Unit: u}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "không tìm thấy đơn vị")
}

// ListUnits returns the units of the requested level and kind, three per page, so that
// the client's paging is exercised.
func (f *fakeDirectory) ListUnits(ctx context.Context, req *directoryv1.ListUnitsRequest) (*directoryv1.ListUnitsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths = append(f.auths, strings.Join(md.Get("authorization"), ","))
	var match []*directoryv1.Unit
	for _, u := range f.units {
		if (req.GetLevel() == "" || u.GetLevel() == req.GetLevel()) && (req.GetKind() == "" || u.GetKind() == req.GetKind()) {
			match = append(match, u)
		}
	}
	from := 0
	if req.GetPageToken() != "" {
		from = len(req.GetPageToken()) // the token is as many dots as units already sent
	}
	to := min(from+3, len(match))
	resp := &directoryv1.ListUnitsResponse{Units: match[from:to]}
	if to < len(match) {
		resp.NextPageToken = strings.Repeat(".", to)
	}
	return resp, nil
}

// assessmentHarness is a PAR scoring process wired to a fake directory.
type assessmentHarness struct {
	*harness
	dir         *fakeDirectory
	assessments parscoringv1.AssessmentServiceClient
}

func startAssessments(t *testing.T) *assessmentHarness {
	t.Helper()
	dir, addr := startFakeDirectory(t)
	h := startWith(t, func(c *server.Config) { c.DirectoryAddr = addr })
	return &assessmentHarness{harness: h, dir: dir, assessments: parscoringv1.NewAssessmentServiceClient(h.conn)}
}

// asMember returns a context for calls made by a person of unit code with roles.
func (h *harness) asMember(t *testing.T, unitCode string, roles ...string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	tok := authtest.Token(t, h.signer, auth.Principal{UserID: "u-" + unitCode + "-" + roles[0], UnitID: demoUnitID(unitCode), Name: "Trần Thị B", Roles: roles})
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// roundSet is a small department index: one field with an appraised criterion of
// two leaves and a survey leaf.
func roundSet() *parscoringv1.CriteriaSet {
	return &parscoringv1.CriteriaSet{
		Year: 2025, SubjectKind: "department", Name: "Chỉ số CCHC các sở, ban, ngành năm 2025", Decision: "99/QĐ-UBND", MaxPoints: "10",
		Nodes: []*parscoringv1.CriteriaNode{
			{Code: "1", Name: "Công tác chỉ đạo, điều hành cải cách hành chính", MaxPoints: "10"},
			{Code: "1.1", ParentCode: "1", Name: "Kế hoạch cải cách hành chính năm", MaxPoints: "4"},
			{Code: "1.1.1", ParentCode: "1.1", Name: "Ban hành kế hoạch đúng hạn", MaxPoints: "2.5"},
			{Code: "1.1.2", ParentCode: "1.1", Name: "Mức độ hoàn thành kế hoạch", MaxPoints: "1.5"},
			{Code: "1.2", ParentCode: "1", Name: "Mức độ hài lòng của người dân", MaxPoints: "6", PointSource: parscoringv1.PointSource_POINT_SOURCE_SURVEY},
		},
	}
}

// openRound opens a round of roundSet whose self-assessment ends at deadline and whose
// appraisal ends a day later.
func (h *assessmentHarness) openRound(t *testing.T, deadline time.Time) (*parscoringv1.CriteriaSet, *parscoringv1.AssessmentRound) {
	t.Helper()
	return h.openRoundWith(t, deadline, deadline.Add(24*time.Hour))
}

// openRoundWith opens a round of roundSet with the given self-assessment and appraisal deadlines.
func (h *assessmentHarness) openRoundWith(t *testing.T, self, appraisal time.Time) (*parscoringv1.CriteriaSet, *parscoringv1.AssessmentRound) {
	t.Helper()
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: roundSet()}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("CreateCriteriaSet: %v", err)
	}
	res, err := h.assessments.OpenRound(h.as(t, auth.RoleSecretariat), &parscoringv1.OpenRoundRequest{Round: &parscoringv1.AssessmentRound{
		Year: 2025, Level: "province", CriteriaSetId: set.GetCriteriaSet().GetId(), Name: "Chấm điểm CCHC các sở năm 2025",
		SelfAssessmentDeadline: timestamppb.New(self), AppraisalDeadline: timestamppb.New(appraisal),
	}})
	if err != nil {
		t.Fatalf("OpenRound: %v", err)
	}
	return set.GetCriteriaSet(), res.GetRound()
}

func TestAssessmentCycleOverGRPC(t *testing.T) {
	h := startAssessments(t)
	_, round := h.openRound(t, time.Now().Add(24*time.Hour))

	// The subjects are the demo's seven departments (level province, kind department).
	if n := len(round.GetSubjects()); n != 7 {
		t.Fatalf("subjects = %d, want 7: %v", n, round.GetSubjects())
	}
	opened := nextEvent(t, h.js, "parscoring.v1.round.opened")
	var ev parscoringv1.RoundOpened
	if err := proto.Unmarshal(opened.Data(), &ev); err != nil || len(ev.GetSubjectUnitIds()) != 7 || ev.GetRoundId() != round.GetId() {
		t.Errorf("RoundOpened = %v, %v", &ev, err)
	}
	// The directory was called with the secretariat's own token.
	if a := h.dir.auths; len(a) < 3 || !strings.HasPrefix(a[0], "Bearer ") {
		t.Errorf("directory calls = %q", a)
	}

	stp := demoUnitID("TQ-STP")
	r := round.GetId()
	save := &parscoringv1.SaveSelfAssessmentRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.SelfScoreInput{
		{Code: "1.1.1", Score: "2.5", Evidence: []string{"Kế hoạch số 05/KH-STP ngày 10/01/2025"}},
		{Code: "1.1.2", Score: "1.25", Explanation: "Còn 1 nhiệm vụ đang thực hiện, chưa có văn bản kiểm chứng", DeclaredFigures: "9/10 nhiệm vụ"},
	}}

	t.Run("authorisation", func(t *testing.T) {
		// Another department's staff: the unit's assessment does not exist for them.
		_, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STC", auth.RoleUnitStaff), save)
		if code(err) != codes.NotFound {
			t.Errorf("other unit save: %v, want NotFound", err)
		}
		_, err = h.assessments.GetAssessment(h.asMember(t, "TQ-STC", auth.RoleUnitHead), &parscoringv1.GetAssessmentRequest{RoundId: r, UnitId: stp})
		if code(err) != codes.NotFound {
			t.Errorf("other unit read: %v, want NotFound", err)
		}
		// Appraisers see every unit but do not self-assess.
		if _, err := h.assessments.GetAssessment(h.as(t, auth.RoleAppraiser), &parscoringv1.GetAssessmentRequest{RoundId: r, UnitId: stp}); err != nil {
			t.Errorf("appraiser read: %v", err)
		}
		if _, err := h.assessments.SaveSelfAssessment(h.as(t, auth.RoleAppraiser), save); code(err) != codes.PermissionDenied {
			t.Errorf("appraiser save: %v, want PermissionDenied", err)
		}
		// Only the secretariat opens rounds.
		_, err = h.assessments.OpenRound(h.as(t, auth.RoleAppraiser), &parscoringv1.OpenRoundRequest{Round: round})
		if code(err) != codes.PermissionDenied {
			t.Errorf("appraiser opens a round: %v, want PermissionDenied", err)
		}
		// Staff may save but only the head submits.
		if _, err := h.assessments.SubmitSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), &parscoringv1.SubmitSelfAssessmentRequest{RoundId: r, UnitId: stp}); code(err) != codes.PermissionDenied {
			t.Errorf("staff submits: %v, want PermissionDenied", err)
		}
		// A unit's view of the round shows only itself.
		got, err := h.assessments.GetRound(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), &parscoringv1.GetRoundRequest{RoundId: r})
		if err != nil || len(got.GetRound().GetSubjects()) != 1 || got.GetRound().GetSubjects()[0].GetUnitId() != stp {
			t.Errorf("unit's round view: %v, %v", got, err)
		}
	})

	t.Run("score above maximum", func(t *testing.T) {
		bad := proto.Clone(save).(*parscoringv1.SaveSelfAssessmentRequest)
		bad.Items[0].Score = "3"
		_, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), bad)
		if v := apierr.Violations(err); code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != "items[0].score" {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("self-assessment and appraisal", func(t *testing.T) {
		if _, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), save); err != nil {
			t.Fatal(err)
		}
		res, err := h.assessments.SubmitSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitHead), &parscoringv1.SubmitSelfAssessmentRequest{RoundId: r, UnitId: stp})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetAssessment().GetSubject().GetState() != parscoringv1.AssessmentState_ASSESSMENT_STATE_SUBMITTED {
			t.Errorf("state = %v", res.GetAssessment().GetSubject().GetState())
		}
		var sub parscoringv1.SelfAssessmentSubmitted
		if err := proto.Unmarshal(nextEvent(t, h.js, "parscoring.v1.self_assessment.submitted").Data(), &sub); err != nil || sub.GetSelfTotal() != "3.75" {
			t.Errorf("SelfAssessmentSubmitted = %v, %v", &sub, err)
		}
		if _, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), save); code(err) != codes.FailedPrecondition {
			t.Errorf("save after submit: %v, want FailedPrecondition", err)
		}

		app := h.as(t, auth.RoleAppraiser)
		if _, err := h.assessments.AppraiseItems(app, &parscoringv1.AppraiseItemsRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.AppraisalInput{
			{Code: "1.1.1", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED},
			{Code: "1.1.2", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ADJUSTED, Score: "1", Reason: "Thiếu tài liệu kiểm chứng cho nhiệm vụ thứ 10"},
		}}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.assessments.CompleteAppraisal(app, &parscoringv1.CompleteAppraisalRequest{RoundId: r, UnitId: stp}); err != nil {
			t.Fatal(err)
		}
		// The survey leaf has no score yet: the second review cannot finalise.
		_, err = h.assessments.FinaliseAppraisal(app, &parscoringv1.FinaliseAppraisalRequest{RoundId: r, UnitId: stp})
		if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "1.2") {
			t.Errorf("finalise without survey: %v", err)
		}
		fin, err := h.assessments.FinaliseAppraisal(app, &parscoringv1.FinaliseAppraisalRequest{RoundId: r, UnitId: stp, Adjustments: []*parscoringv1.FinalAdjustment{
			{Code: "1.2", Score: "5.5", Reason: "Điểm điều tra xã hội học theo báo cáo của Sở Nội vụ"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := fin.GetAssessment(); got.GetFinalTotal() != "9.00" || got.GetItems()[1].GetFinalScore() != "1.00" || got.GetItems()[1].GetAppraisalReason() == "" {
			t.Errorf("finalised = %v", got)
		}
		var af parscoringv1.AppraisalFinalised
		if err := proto.Unmarshal(nextEvent(t, h.js, "parscoring.v1.appraisal.finalised").Data(), &af); err != nil || af.GetFinalTotal() != "9.00" || af.GetAdjustedItems() != 1 {
			t.Errorf("AppraisalFinalised = %v, %v", &af, err)
		}
		changes, err := h.assessments.ListScoreChanges(h.asMember(t, "TQ-STP", auth.RoleUnitHead), &parscoringv1.ListScoreChangesRequest{RoundId: r, UnitId: stp})
		if err != nil || len(changes.GetChanges()) != 5 {
			t.Errorf("changes = %v, %v", changes, err)
		}
	})
}

func TestSelfAssessmentDeadline(t *testing.T) {
	h := startAssessments(t)
	// The deadline passed a second ago.
	_, round := h.openRound(t, time.Now().Add(-time.Second))
	_, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STC", auth.RoleUnitStaff), &parscoringv1.SaveSelfAssessmentRequest{
		RoundId: round.GetId(), UnitId: demoUnitID("TQ-STC"), Items: []*parscoringv1.SelfScoreInput{{Code: "1.1.1", Score: "1", Evidence: []string{"x"}}},
	})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "quá hạn") {
		t.Errorf("save after deadline: %v, want FailedPrecondition", err)
	}
}

// TestAppraisalDeadline: once the appraisal deadline is over, the appraiser's decisions are
// refused with FailedPrecondition and a message naming the deadline in Vietnamese time.
func TestAppraisalDeadline(t *testing.T) {
	h := startAssessments(t)
	// The server's clock is the real one: the self-assessment ends in a few seconds, the
	// appraisal one second later.
	start := time.Now().Truncate(time.Second)
	_, round := h.openRoundWith(t, start.Add(4*time.Second), start.Add(5*time.Second))
	if got := round.GetAppraisalDeadline().AsTime(); !got.Equal(start.Add(5 * time.Second)) {
		t.Errorf("appraisal_deadline = %v", got)
	}
	stp, r := demoUnitID("TQ-STP"), round.GetId()
	if _, err := h.assessments.SaveSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitStaff), &parscoringv1.SaveSelfAssessmentRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.SelfScoreInput{
		{Code: "1.1.1", Score: "2.5", Evidence: []string{"Kế hoạch số 05/KH-STP"}},
		{Code: "1.1.2", Score: "1.5", Evidence: []string{"Báo cáo số 20/BC-STP"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.assessments.SubmitSelfAssessment(h.asMember(t, "TQ-STP", auth.RoleUnitHead), &parscoringv1.SubmitSelfAssessmentRequest{RoundId: r, UnitId: stp}); err != nil {
		t.Fatal(err)
	}
	// Wait for the deadline itself, not a guess of how long the calls take.
	time.Sleep(time.Until(round.GetAppraisalDeadline().AsTime().Add(10 * time.Millisecond)))
	_, err := h.assessments.AppraiseItems(h.as(t, auth.RoleAppraiser), &parscoringv1.AppraiseItemsRequest{RoundId: r, UnitId: stp, Items: []*parscoringv1.AppraisalInput{
		{Code: "1.1.1", Decision: parscoringv1.AppraisalDecision_APPRAISAL_DECISION_ACCEPTED},
	}})
	want := "đã quá hạn: hạn thẩm định là " + round.GetAppraisalDeadline().AsTime().In(time.FixedZone("ICT", 7*3600)).Format("15:04 ngày 02/01/2006") + " (giờ Việt Nam)"
	if code(err) != codes.FailedPrecondition || status.Convert(err).Message() != want {
		t.Errorf("appraise after the deadline: %v, want FailedPrecondition %q", err, want)
	}
	if _, err := h.assessments.CompleteAppraisal(h.as(t, auth.RoleSecretariat), &parscoringv1.CompleteAppraisalRequest{RoundId: r, UnitId: stp}); code(err) != codes.FailedPrecondition {
		t.Errorf("complete after the deadline: %v, want FailedPrecondition", err)
	}

	// A round whose appraisal would end before its self-assessment is refused.
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: func() *parscoringv1.CriteriaSet {
		s := roundSet()
		s.Decision = "100/QĐ-UBND"
		return s
	}()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.assessments.OpenRound(h.as(t, auth.RoleSecretariat), &parscoringv1.OpenRoundRequest{Round: &parscoringv1.AssessmentRound{
		Year: 2025, Level: "province", CriteriaSetId: set.GetCriteriaSet().GetId(), Name: "Đợt chấm điểm bổ sung",
		SelfAssessmentDeadline: timestamppb.New(start.Add(48 * time.Hour)), AppraisalDeadline: timestamppb.New(start.Add(24 * time.Hour)),
	}})
	if v := apierr.Violations(err); code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != "round.appraisal_deadline" {
		t.Errorf("appraisal before self-assessment: %v", err)
	}
}
