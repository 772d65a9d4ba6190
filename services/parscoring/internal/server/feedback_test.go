package server_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/parscoring/internal/server"
)

func TestQRFeedback(t *testing.T) {
	h := startAssessments(t)
	stp := demoUnitID("TQ-STP")
	sec := h.as(t, auth.RoleSecretariat)

	// Only the secretariat makes codes.
	if _, err := h.assessments.CreateFeedbackCode(h.asMember(t, "TQ-STP", auth.RoleUnitHead), &parscoringv1.CreateFeedbackCodeRequest{UnitId: stp}); code(err) != codes.PermissionDenied {
		t.Errorf("unit creates a code: %v", err)
	}
	unitCode, err := h.assessments.CreateFeedbackCode(sec, &parscoringv1.CreateFeedbackCodeRequest{UnitId: stp})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := h.assessments.CreateFeedbackCode(sec, &parscoringv1.CreateFeedbackCodeRequest{UnitId: stp, Desk: "Quầy số 3 – Bộ phận một cửa"})
	if err != nil {
		t.Fatal(err)
	}
	if c := desk.GetFeedbackCode(); len(c.GetCode()) < 16 || c.GetFeedbackPath() != "/v1/public/feedback/"+c.GetCode() {
		t.Errorf("code = %v", c)
	}

	// Citizens answer without a token, each from their own address (the gateway passes it on).
	answer := func(ip, code string, overall, waiting int32) error {
		ctx := metadata.AppendToOutgoingContext(h.as(t), "x-forwarded-for", ip)
		_, err := h.assessments.SubmitFeedback(ctx, &parscoringv1.SubmitFeedbackRequest{
			Code: code, Overall: overall, Attitude: 5, WaitingMinutes: waiting, Comment: "Cán bộ hướng dẫn tận tình, chu đáo",
		})
		return err
	}
	for i, a := range []struct {
		code             string
		overall, waiting int32
	}{
		{unitCode.GetFeedbackCode().GetCode(), 5, -1},
		{desk.GetFeedbackCode().GetCode(), 4, 10},
		{desk.GetFeedbackCode().GetCode(), 2, 45},
		{desk.GetFeedbackCode().GetCode(), 5, 5},
	} {
		if err := answer("203.0.113."+string(rune('1'+i)), a.code, a.overall, a.waiting); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	// Out of range is refused by the request's rules; an unknown code is not found.
	if err := answer("203.0.113.50", desk.GetFeedbackCode().GetCode(), 6, 0); code(err) != codes.InvalidArgument {
		t.Errorf("overall 6: %v", err)
	}
	if err := answer("203.0.113.51", "khongtontai", 5, 0); code(err) != codes.NotFound {
		t.Errorf("unknown code: %v", err)
	}
	// One client sending many answers is stopped.
	var limited bool
	for range 10 {
		if err := answer("198.51.100.7", desk.GetFeedbackCode().GetCode(), 5, 1); code(err) == codes.ResourceExhausted {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("no rate limit for one client")
	}

	// Revoked: answers refused.
	if _, err := h.assessments.RevokeFeedbackCode(sec, &parscoringv1.RevokeFeedbackCodeRequest{Code: unitCode.GetFeedbackCode().GetCode()}); err != nil {
		t.Fatal(err)
	}
	if err := answer("203.0.113.60", unitCode.GetFeedbackCode().GetCode(), 5, 0); code(err) != codes.FailedPrecondition {
		t.Errorf("revoked code: %v", err)
	}

	// Figures of the day: the 4 answers above and the 3 the limited client got through
	// (each 5, waiting 1); refused answers do not count.
	today := vntime.Today(time.Now()).ISO()
	sat, err := h.assessments.GetSatisfaction(h.asMember(t, "TQ-STP", auth.RoleUnitHead), &parscoringv1.GetSatisfactionRequest{UnitId: stp, FromDate: today, ToDate: today})
	if err != nil {
		t.Fatal(err)
	}
	if sat.GetResponses() != 4+clientBurstForTest || sat.GetSatisfiedPercent() != "85.71" || sat.GetMeanWaitingMinutes() != "10.50" || len(sat.GetDesks()) != 2 || sat.GetDesks()[0].GetDesk() != "" || !strings.HasPrefix(sat.GetDesks()[1].GetDesk(), "Quầy số 3") {
		t.Errorf("satisfaction = %v", sat)
	}
	if d := sat.GetDesks()[0]; d.GetResponses() != 1 || d.GetSatisfiedPercent() != "100.00" || d.GetMeanWaitingMinutes() != "" {
		t.Errorf("unit code figures = %v", d)
	}
	// Another unit's figures are not found for this unit's people.
	if _, err := h.assessments.GetSatisfaction(h.asMember(t, "TQ-STC", auth.RoleUnitHead), &parscoringv1.GetSatisfactionRequest{UnitId: stp, FromDate: today, ToDate: today}); code(err) != codes.NotFound {
		t.Errorf("other unit's figures: %v", err)
	}
}

// clientBurstForTest is how many answers one client gets through before the limit.
const clientBurstForTest = 3

func TestSurveyImport(t *testing.T) {
	h := startAssessments(t)
	_, round := h.openRound(t, time.Now().Add(time.Hour))
	sec := h.as(t, auth.RoleSecretariat)
	bad := "unit_code,code,score\nTQ-STP,1.2,5.5\nTQ-XXX,1.2,1\nTQ-STC,1.1.1,1\nTQ-STC,1.2,6.5\nTQ-STP,1.2,4\n"
	res, err := h.assessments.ImportSurveyScores(sec, &parscoringv1.ImportSurveyScoresRequest{RoundId: round.GetId(), Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: []byte(bad)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.GetProblems() {
		got = append(got, p.GetColumn()+"@"+string(rune('0'+p.GetRow())))
	}
	if strings.Join(got, " ") != "unit_code@3 code@4 score@5 code@6" || res.GetImported() {
		t.Errorf("problems %v imported %v", got, res.GetImported())
	}
	a, err := h.assessments.GetAssessment(sec, &parscoringv1.GetAssessmentRequest{RoundId: round.GetId(), UnitId: demoUnitID("TQ-STP")})
	if err != nil || a.GetAssessment().GetItems()[2].GetAppraisedScore() != "" {
		t.Fatalf("bad import stored something: %v %v", a, err)
	}

	good := "Mã đơn vị,Mã mục,Điểm\nTQ-STP,1.2,5.5\nTQ-STC,1.2,4.25\n"
	dry, err := h.assessments.ImportSurveyScores(sec, &parscoringv1.ImportSurveyScoresRequest{RoundId: round.GetId(), Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: []byte(good), DryRun: true})
	if err != nil || len(dry.GetProblems()) != 0 || dry.GetImported() || dry.GetRowCount() != 2 {
		t.Fatalf("dry run: %v %v", dry, err)
	}
	if _, err := h.assessments.ImportSurveyScores(h.as(t, auth.RoleAppraiser), &parscoringv1.ImportSurveyScoresRequest{RoundId: round.GetId(), Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: []byte(good)}); code(err) != codes.PermissionDenied {
		t.Errorf("appraiser imports: %v", err)
	}
	res, err = h.assessments.ImportSurveyScores(sec, &parscoringv1.ImportSurveyScoresRequest{RoundId: round.GetId(), Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: []byte(good)})
	if err != nil || !res.GetImported() {
		t.Fatalf("import: %v %v", res, err)
	}
	a, _ = h.assessments.GetAssessment(sec, &parscoringv1.GetAssessmentRequest{RoundId: round.GetId(), UnitId: demoUnitID("TQ-STC")})
	if it := a.GetAssessment().GetItems()[2]; it.GetCode() != "1.2" || it.GetAppraisedScore() != "4.25" {
		t.Errorf("survey item = %v", it)
	}
}

// TestFeedbackCodeUnitChecked: a QR code is made only for a unit the directory knows and
// that still exists; otherwise InvalidArgument names unit_id and nothing is stored.
func TestFeedbackCodeUnitChecked(t *testing.T) {
	h := startAssessments(t)
	sec := h.as(t, auth.RoleSecretariat)
	merged := uuid.NewSHA1(uuid.NameSpaceOID, []byte("par-demo-unit/TQ-SKHCN-cu")).String()
	h.dir.addUnit(&directoryv1.Unit{Id: merged, Code: "TQ-SKHCN-CU", Name: "Sở Khoa học và Công nghệ (cũ)", Kind: "department", Level: "province",
		ValidTo: "2025-02-28"})

	for _, tt := range []struct {
		name, unitID, reason string
	}{
		{"unknown", uuid.NewString(), "không có đơn vị này trong danh mục đơn vị"},
		{"merged", merged, "đơn vị Sở Khoa học và Công nghệ (cũ) (TQ-SKHCN-CU) không còn hoạt động sau ngày 28/02/2025 (đã giải thể hoặc sáp nhập)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.assessments.CreateFeedbackCode(sec, &parscoringv1.CreateFeedbackCodeRequest{UnitId: tt.unitID, Desk: "Quầy số 1"}, grpc.WaitForReady(true))
			v := apierr.Violations(err)
			if code(err) != codes.InvalidArgument || len(v) != 1 || v[0].Field != "unit_id" || v[0].Description != tt.reason {
				t.Errorf("CreateFeedbackCode: %v, violations %v", err, v)
			}
			list, err := h.assessments.ListFeedbackCodes(sec, &parscoringv1.ListFeedbackCodesRequest{UnitId: tt.unitID})
			if err != nil || len(list.GetFeedbackCodes()) != 0 {
				t.Errorf("codes stored: %v, %v", list, err)
			}
		})
	}
	// A unit in force gets its code, after asking the directory.
	before := h.dir.getCount()
	if _, err := h.assessments.CreateFeedbackCode(sec, &parscoringv1.CreateFeedbackCodeRequest{UnitId: demoUnitID("TQ-STP")}); err != nil {
		t.Errorf("unit in force: %v", err)
	}
	if h.dir.getCount() != before+1 {
		t.Errorf("directory GetUnit calls = %d, want %d", h.dir.getCount(), before+1)
	}
}

// TestFeedbackCodeDirectoryDown: without an answer from the directory no code is made, and
// the caller is told to retry (Unavailable), not that the unit is unknown.
func TestFeedbackCodeDirectoryDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close() // nothing listens there any more
	h := startWith(t, func(c *server.Config) { c.DirectoryAddr = addr })
	assessments := parscoringv1.NewAssessmentServiceClient(h.conn)
	_, err = assessments.CreateFeedbackCode(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateFeedbackCodeRequest{UnitId: demoUnitID("TQ-STP")}, grpc.WaitForReady(true))
	if code(err) != codes.Unavailable {
		t.Errorf("CreateFeedbackCode with the directory down: %v, want Unavailable", err)
	}
}
