package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// memDirectory is the directory peer: units of one level and kind.
type memDirectory struct{ units []assessment.Subject }

func (d memDirectory) GetUnit(_ context.Context, id string) (app.Unit, error) {
	for _, u := range d.units {
		if u.UnitID == id {
			return app.Unit{ID: u.UnitID, Code: u.UnitCode, Name: u.UnitName, Kind: "department", Level: "province"}, nil
		}
	}
	return app.Unit{}, app.ErrUnitNotFound
}

func (d memDirectory) Units(_ context.Context, level, kind string) ([]assessment.Subject, error) {
	if level != "province" || kind != "department" {
		return nil, nil
	}
	return append([]assessment.Subject(nil), d.units...), nil
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var (
	unitSTP = assessment.Subject{UnitID: uuid.NewSHA1(uuid.NameSpaceOID, []byte("TQ-STP")).String(), UnitCode: "TQ-STP", UnitName: "Sở Tư pháp"}
	unitSTC = assessment.Subject{UnitID: uuid.NewSHA1(uuid.NameSpaceOID, []byte("TQ-STC")).String(), UnitCode: "TQ-STC", UnitName: "Sở Tài chính"}
)

type cycle struct {
	pool  *pgxpool.Pool
	store *Store
	svc   *app.Assessments
	clock *clock
	set   methodology.CriteriaSet
	round assessment.Round
}

// newCycle stores validSet and opens a round on it whose self-assessment ends on
// 31/01/2025 (UTC+7), whose appraisal ends on 07/02/2025, with a response round until
// 15/02/2025.
func newCycle(t *testing.T) *cycle {
	t.Helper()
	pool := pgtest.NewPool(t, Migrations())
	c := &cycle{pool: pool, store: NewStore(pool), clock: &clock{t: time.Date(2025, 1, 10, 2, 0, 0, 0, time.UTC)}}
	c.set = validSet(t, 2024, "1/QĐ-UBND")
	if err := c.store.CreateCriteriaSet(t.Context(), c.set); err != nil {
		t.Fatal(err)
	}
	c.svc = app.NewAssessments(c.store, c.store, memDirectory{units: []assessment.Subject{unitSTP, unitSTC}}, c.clock.now)
	r, err := c.svc.OpenRound(t.Context(), assessment.Round{
		Year: 2024, Level: "province", CriteriaSetID: c.set.ID, Name: "Chấm điểm CCHC các sở năm 2024",
		SelfDeadline:      time.Date(2025, 1, 31, 16, 59, 59, 0, time.UTC),
		AppraisalDeadline: time.Date(2025, 2, 7, 16, 59, 59, 0, time.UTC),
		ResponseDeadline:  time.Date(2025, 2, 15, 16, 59, 59, 0, time.UTC),
	}, "snv.cv01")
	if err != nil {
		t.Fatalf("OpenRound: %v", err)
	}
	c.round = r
	return c
}

func pts(s string) methodology.Points { return methodology.MustParsePoints(s) }

func fieldsOf(err error) []string {
	var v methodology.ValidationErrors
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, e := range v {
		out = append(out, e.Field)
	}
	return out
}

func TestOpenRoundResolvesSubjects(t *testing.T) {
	c := newCycle(t)
	got, err := c.svc.Round(t.Context(), c.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Subjects) != 2 || got.Subjects[0].UnitCode != "TQ-STP" || got.Subjects[1].State != assessment.StateDraft || got.SubjectKind != "department" {
		t.Errorf("round = %+v", got)
	}
	// A level without units of the set's kind cannot be opened.
	_, err = c.svc.OpenRound(t.Context(), assessment.Round{Year: 2024, Level: "district", CriteriaSetID: c.set.ID, Name: "x",
		SelfDeadline: c.clock.t.Add(time.Hour), AppraisalDeadline: c.clock.t.Add(2 * time.Hour)}, "snv.cv01")
	if !errors.Is(err, assessment.ErrNoSubjects) {
		t.Errorf("empty level: %v", err)
	}
	// A year other than the set's is refused with the field named.
	_, err = c.svc.OpenRound(t.Context(), assessment.Round{Year: 2025, Level: "province", CriteriaSetID: c.set.ID, Name: "x",
		SelfDeadline: c.clock.t.Add(time.Hour), AppraisalDeadline: c.clock.t.Add(2 * time.Hour)}, "snv.cv01")
	if f := fieldsOf(err); !slices.Contains(f, "criteria_set_id") {
		t.Errorf("wrong year: %v", err)
	}
}

// TestFullCycle runs self-assessment → appraisal → response → survey import → second
// review and checks the history, the events and FinalisedScores.
func TestFullCycle(t *testing.T) {
	c := newCycle(t)
	ctx := t.Context()
	r, u := c.round.ID, unitSTP.UnitID

	// Above the maximum, a survey item, an unknown code: every problem reported, nothing saved.
	_, err := c.svc.SaveSelfAssessment(ctx, r, u, []assessment.SelfInput{
		{Code: "1.1", Score: pts("3.5")},
		{Code: "1.2", Score: pts("1")},
		{Code: "9.9", Score: pts("1")},
		{Code: "1.4", Score: pts("0.5")},
	}, "stp.cv01")
	if diff := fieldsOf(err); !slices.Equal(diff, []string{"items[0].score", "items[1].code", "items[2].code", "items[3].score"}) {
		t.Fatalf("bad draft: %v", err)
	}

	v, err := c.svc.SaveSelfAssessment(ctx, r, u, []assessment.SelfInput{
		{Code: "1.1", Score: pts("3.00"), Evidence: []string{"Quyết định 12/QĐ-STP"}},
		{Code: "1.3", Score: pts("0.5")},
		{Code: "1.4", Score: pts("-0.5"), DeclaredFigures: "1 báo cáo chậm"},
	}, "stp.cv01")
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if got := v.Assessment.Items["1.1"]; got == nil || *got.SelfScore != pts("3") || got.Evidence[0] != "Quyết định 12/QĐ-STP" {
		t.Errorf("saved 1.1 = %+v", got)
	}
	// Items without evidence need an explanation before submitting.
	err = submit(c, u)
	if f := fieldsOf(err); !slices.Equal(f, []string{"items.1.3.explanation", "items.1.4.explanation"}) {
		t.Fatalf("submit without explanations: %v", err)
	}
	if _, err := c.svc.SaveSelfAssessment(ctx, r, u, []assessment.SelfInput{
		{Code: "1.3", Score: pts("0.5"), Explanation: "Sáng kiến đang chờ công nhận"},
		{Code: "1.4", Score: pts("-0.5"), Explanation: "Báo cáo quý I gửi chậm 2 ngày"},
	}, "stp.cv01"); err != nil {
		t.Fatal(err)
	}
	if err := submit(c, u); err != nil {
		t.Fatalf("submit: %v", err)
	}
	// Submitted is locked.
	if _, err := c.svc.SaveSelfAssessment(ctx, r, u, []assessment.SelfInput{{Code: "1.1", Score: pts("1")}}, "stp.cv01"); !errors.Is(err, assessment.ErrWrongState) {
		t.Errorf("save after submit: %v", err)
	}

	// Appraisal: accept two, adjust one; an adjustment without a reason is refused.
	if _, err := c.svc.AppraiseItems(ctx, r, u, []assessment.AppraisalInput{{Code: "1.1", Decision: assessment.DecisionAdjusted, Score: pts("2.5")}}, "snv.td01"); !slices.Equal(fieldsOf(err), []string{"items[0].reason"}) {
		t.Errorf("adjust without reason: %v", err)
	}
	if _, err := c.svc.CompleteAppraisal(ctx, r, u); !errors.Is(err, assessment.ErrUnfinished) {
		t.Errorf("complete before deciding: %v", err)
	}
	if _, err := c.svc.AppraiseItems(ctx, r, u, []assessment.AppraisalInput{
		{Code: "1.1", Decision: assessment.DecisionAdjusted, Score: pts("2.5"), Reason: "Kế hoạch ban hành chậm"},
		{Code: "1.3", Decision: assessment.DecisionAccepted},
		{Code: "1.4", Decision: assessment.DecisionAccepted},
	}, "snv.td01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.CompleteAppraisal(ctx, r, u); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.RespondToAppraisal(ctx, r, u, []assessment.ResponseInput{{Code: "1.1", Response: "Kế hoạch ban hành đúng hạn, xem văn bản 15/STP"}}, "stp.ld01"); err != nil {
		t.Fatal(err)
	}
	// Survey and imported items are missing: the second review cannot finalise yet.
	if _, err := c.svc.FinaliseAppraisal(ctx, r, u, nil, "snv.td01"); !errors.Is(err, assessment.ErrUnfinished) {
		t.Errorf("finalise without survey: %v", err)
	}
	if err := c.store.ApplySurveyScores(ctx, r, []app.SurveyScore{
		{UnitID: u, Code: "1.2", Score: pts("4.75")}, {UnitID: u, Code: "2.1.a", Score: pts("10")},
	}, "snv.cv01", c.clock.t); err != nil {
		t.Fatal(err)
	}
	v, err = c.svc.FinaliseAppraisal(ctx, r, u, []assessment.FinalInput{{Code: "1.1", Score: pts("3"), Reason: "Chấp nhận giải trình của đơn vị"}}, "snv.td01")
	if err != nil {
		t.Fatalf("finalise: %v", err)
	}
	if v.Assessment.Subject.State != assessment.StateFinalised {
		t.Errorf("state = %s", v.Assessment.Subject.State)
	}

	fs, err := c.svc.FinalisedScores(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]methodology.Points{"1.1": pts("3"), "1.2": pts("4.75"), "1.3": pts("0.5"), "1.4": pts("-0.5"), "2.1.a": pts("10")}
	if len(fs.Units) != 1 || fs.Units[0].UnitCode != "TQ-STP" || !mapsEqual(fs.Units[0].Scores, want) || fs.Set.ID != c.set.ID {
		t.Errorf("FinalisedScores = %+v", fs.Units)
	}

	changes, err := c.svc.ScoreChanges(ctx, r, u)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, ch := range changes {
		if ch.Code == "1.1" {
			trail = append(trail, string(ch.Stage)+" "+str(ch.Old)+"→"+str(ch.New)+" "+ch.Actor)
		}
	}
	wantTrail := []string{"self -→3.00 stp.cv01", "appraisal 3.00→2.50 snv.td01", "response 2.50→2.50 stp.ld01", "final 2.50→3.00 snv.td01"}
	if !slices.Equal(trail, wantTrail) {
		t.Errorf("history of 1.1:\n got %q\nwant %q", trail, wantTrail)
	}

	// Survey scores of a finalised unit are refused whole.
	err = c.store.ApplySurveyScores(ctx, r, []app.SurveyScore{{UnitID: unitSTC.UnitID, Code: "1.2", Score: pts("1")}, {UnitID: u, Code: "1.2", Score: pts("1")}}, "x", c.clock.t)
	if !errors.Is(err, assessment.ErrWrongState) {
		t.Errorf("survey after finalisation: %v", err)
	}
	if a, _ := c.svc.Assessment(ctx, r, unitSTC.UnitID); len(a.Assessment.Items) != 0 {
		t.Errorf("partial survey import stored: %+v", a.Assessment.Items)
	}

	assertEvents(t, c.pool, map[string]int{SubjectRoundOpened: 1, SubjectSelfAssessmentSubmitted: 1, SubjectAppraisalFinalised: 1})
	ev := &parscoringv1.AppraisalFinalised{}
	lastPayload(t, c.pool, SubjectAppraisalFinalised, ev)
	if ev.GetFinalTotal() != "17.75" || ev.GetUnitId() != u || ev.GetAdjustedItems() != 0 {
		t.Errorf("AppraisalFinalised = %v", ev)
	}
}

func submit(c *cycle, unitID string) error {
	_, err := c.svc.SubmitSelfAssessment(context.Background(), c.round.ID, unitID, "stp.ld01")
	return err
}

func TestDeadlineRefusal(t *testing.T) {
	c := newCycle(t)
	c.clock.t = c.round.SelfDeadline.Add(time.Second)
	_, err := c.svc.SaveSelfAssessment(t.Context(), c.round.ID, unitSTC.UnitID, []assessment.SelfInput{{Code: "1.1", Score: pts("1"), Evidence: []string{"x"}}}, "stc.cv01")
	if !errors.Is(err, assessment.ErrDeadlinePassed) {
		t.Errorf("save after deadline: %v", err)
	}
	if err := submit(c, unitSTC.UnitID); !errors.Is(err, assessment.ErrDeadlinePassed) {
		t.Errorf("submit after deadline: %v", err)
	}
	if _, err := c.svc.Assessment(t.Context(), c.round.ID, uuid.NewString()); !errors.Is(err, assessment.ErrNotSubject) {
		t.Errorf("unit outside the round: %v", err)
	}
}

// TestAppraisalDeadlineRefusal: after the appraisal deadline the appraisers' decisions and
// the end of their review are refused and nothing of them is stored.
func TestAppraisalDeadlineRefusal(t *testing.T) {
	c := newCycle(t)
	ctx := t.Context()
	r, u := c.round.ID, unitSTP.UnitID
	got, err := c.svc.Round(ctx, r)
	if err != nil || !got.AppraisalDeadline.Equal(c.round.AppraisalDeadline) {
		t.Fatalf("round read back: %+v, %v", got, err)
	}
	var opened parscoringv1.RoundOpened
	lastPayload(t, c.pool, SubjectRoundOpened, &opened)
	if !opened.GetAppraisalDeadline().AsTime().Equal(c.round.AppraisalDeadline) {
		t.Errorf("RoundOpened.appraisal_deadline = %v", opened.GetAppraisalDeadline())
	}
	if _, err := c.svc.SaveSelfAssessment(ctx, r, u, []assessment.SelfInput{
		{Code: "1.1", Score: pts("3"), Evidence: []string{"Quyết định 12/QĐ-STP"}},
		{Code: "1.3", Score: pts("0.5"), Explanation: "Sáng kiến đang chờ công nhận"},
		{Code: "1.4", Score: pts("0"), Explanation: "Không có báo cáo chậm"},
	}, "stp.cv01"); err != nil {
		t.Fatal(err)
	}
	if err := submit(c, u); err != nil {
		t.Fatal(err)
	}
	decisions := []assessment.AppraisalInput{
		{Code: "1.1", Decision: assessment.DecisionAdjusted, Score: pts("2.5"), Reason: "Kế hoạch ban hành chậm"},
		{Code: "1.3", Decision: assessment.DecisionAccepted},
	}
	// One item decided on time; the rest too late.
	if _, err := c.svc.AppraiseItems(ctx, r, u, decisions[1:], "snv.td01"); err != nil {
		t.Fatal(err)
	}
	c.clock.t = c.round.AppraisalDeadline.Add(time.Second)
	_, err = c.svc.AppraiseItems(ctx, r, u, decisions[:1], "snv.td01")
	if !errors.Is(err, assessment.ErrDeadlinePassed) || !strings.Contains(err.Error(), "hạn thẩm định là 23:59 ngày 07/02/2025") {
		t.Errorf("appraise after the deadline: %v", err)
	}
	if _, err := c.svc.CompleteAppraisal(ctx, r, u); !errors.Is(err, assessment.ErrDeadlinePassed) {
		t.Errorf("complete after the deadline: %v", err)
	}
	var late int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM score_change WHERE round_id = $1 AND stage = 'appraisal' AND at > $2`,
		r, c.round.AppraisalDeadline).Scan(&late); err != nil || late != 0 {
		t.Errorf("late appraisal changes stored: %d, %v", late, err)
	}
	a, err := c.svc.Assessment(ctx, r, u)
	if err != nil || a.Assessment.Subject.State != assessment.StateSubmitted || a.Assessment.Items["1.1"].Decision != assessment.DecisionNone {
		t.Errorf("after refusals: %+v, %v", a.Assessment.Subject, err)
	}
}

func str(p *methodology.Points) string {
	if p == nil {
		return "-"
	}
	return p.String()
}

func mapsEqual(a, b map[string]methodology.Points) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// assertEvents checks how many outbox events of each subject were written.
func assertEvents(t *testing.T, pool *pgxpool.Pool, want map[string]int) {
	t.Helper()
	for subject, n := range want {
		var got int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM outbox_events WHERE subject = $1`, subject).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s events = %d, want %d", subject, got, n)
		}
	}
}

func lastPayload(t *testing.T, pool *pgxpool.Pool, subject string, m proto.Message) {
	t.Helper()
	var b []byte
	if err := pool.QueryRow(t.Context(), `SELECT payload FROM outbox_events WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, subject).Scan(&b); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
}
