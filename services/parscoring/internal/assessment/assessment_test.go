package assessment

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

func TestCheckRangePenaltyAndBonus(t *testing.T) {
	p := methodology.MustParsePoints
	penalty := methodology.Node{Code: "9", MaxPoints: p("-2")}
	bonus := methodology.Node{Code: "8", MaxPoints: p("0.5"), Bonus: true}
	for _, tt := range []struct {
		n     methodology.Node
		score string
		ok    bool
	}{
		{penalty, "-2", true}, {penalty, "0", true}, {penalty, "-2.01", false}, {penalty, "0.5", false},
		{bonus, "0.5", true}, {bonus, "0.51", false}, {bonus, "-0.01", false},
	} {
		if err := CheckRange(tt.n, p(tt.score)); (err == nil) != tt.ok {
			t.Errorf("CheckRange(%s max %s, %s) = %v", tt.n.Code, tt.n.MaxPoints, tt.score, err)
		}
	}
}

// TestResponseRound: answers only in a round that has one, only to adjusted items, only
// until its deadline.
func TestResponseRound(t *testing.T) {
	p := methodology.MustParsePoints
	deadline := time.Date(2025, 2, 15, 17, 0, 0, 0, time.UTC)
	adjusted := p("1")
	a := func(resp time.Time) *Assessment {
		return &Assessment{
			Round:   Round{ResponseDeadline: resp},
			Subject: Subject{State: StateAppraised},
			Items: map[string]*Item{
				"1.1": {Code: "1.1", Decision: DecisionAdjusted, AppraisedScore: &adjusted},
				"1.2": {Code: "1.2", Decision: DecisionAccepted},
			},
		}
	}
	in := []ResponseInput{{Code: "1.1", Response: "Đã bổ sung tài liệu kiểm chứng"}}
	if _, err := Respond(a(time.Time{}), in, "u", deadline); !errors.Is(err, ErrWrongState) {
		t.Errorf("no response round: %v", err)
	}
	if _, err := Respond(a(deadline), in, "u", deadline.Add(time.Second)); !errors.Is(err, ErrDeadlinePassed) {
		t.Errorf("after the deadline: %v", err)
	}
	var v methodology.ValidationErrors
	if _, err := Respond(a(deadline), []ResponseInput{{Code: "1.2", Response: "x"}}, "u", deadline); !errors.As(err, &v) || v[0].Field != "items[0].code" {
		t.Errorf("accepted item: %v", err)
	}
	st, err := Respond(a(deadline), in, "u", deadline)
	if err != nil || len(st.Changes) != 1 || st.Changes[0].Stage != StageResponse || *st.Changes[0].New != adjusted {
		t.Errorf("answer: %+v, %v", st, err)
	}
}

// TestAppraisalDeadline: the appraisers' decisions and the end of their first review are
// refused after the round's appraisal deadline, with the deadline in Vietnamese local time.
func TestAppraisalDeadline(t *testing.T) {
	p := methodology.MustParsePoints
	set := methodology.CriteriaSet{MaxPoints: p("2"), Nodes: []methodology.Node{
		{Code: "1", MaxPoints: p("2"), PointSource: methodology.SourceAppraised},
	}}
	deadline := time.Date(2025, 3, 31, 10, 0, 0, 0, time.UTC) // 17:00 in Việt Nam
	self := p("1.5")
	a := func() *Assessment {
		return &Assessment{
			Round:   Round{SelfDeadline: deadline.AddDate(0, -1, 0), AppraisalDeadline: deadline},
			Subject: Subject{State: StateSubmitted},
			Items:   map[string]*Item{"1": {Code: "1", SelfScore: &self, Evidence: []string{"Báo cáo số 12/BC"}}},
		}
	}
	in := []AppraisalInput{{Code: "1", Decision: DecisionAccepted}}

	if _, err := Appraise(a(), set, in, "thamdinh", deadline); err != nil {
		t.Errorf("at the deadline: %v", err)
	}
	late := deadline.Add(time.Second)
	_, err := Appraise(a(), set, in, "thamdinh", late)
	if !errors.Is(err, ErrDeadlinePassed) || err.Error() != "đã quá hạn: hạn thẩm định là 17:00 ngày 31/03/2025 (giờ Việt Nam)" {
		t.Errorf("appraise after the deadline: %v", err)
	}
	done := a()
	done.Items["1"].Decision, done.Items["1"].AppraisedScore = DecisionAccepted, &self
	if err := CompleteAppraisal(done, set, late); !errors.Is(err, ErrDeadlinePassed) {
		t.Errorf("complete after the deadline: %v", err)
	}
	if err := CompleteAppraisal(done, set, deadline); err != nil || done.Subject.State != StateAppraised {
		t.Errorf("complete at the deadline: %v, state %s", err, done.Subject.State)
	}
	// A round opened before appraisal deadlines existed keeps having none.
	legacy := a()
	legacy.Round.AppraisalDeadline = time.Time{}
	if _, err := Appraise(legacy, set, in, "thamdinh", late.AddDate(1, 0, 0)); err != nil {
		t.Errorf("round without appraisal deadline: %v", err)
	}
}

// TestNewRoundDeadlines: self-assessment, then appraisal, then the unit's answers.
func TestNewRoundDeadlines(t *testing.T) {
	p := methodology.MustParsePoints
	set := methodology.CriteriaSet{ID: "s", Year: 2025, SubjectKind: "department", MaxPoints: p("2"),
		Nodes: []methodology.Node{{Code: "1", MaxPoints: p("2"), PointSource: methodology.SourceAppraised}}}
	day := func(d int) time.Time { return time.Date(2025, 3, d, 10, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name                   string
		self, appraisal, reply time.Time
		want                   []string
	}{
		{"ordered", day(1), day(10), day(20), nil},
		{"no response round", day(1), day(10), time.Time{}, nil},
		{"no appraisal deadline", day(1), time.Time{}, time.Time{}, []string{"appraisal_deadline"}},
		{"appraisal before self", day(10), day(1), time.Time{}, []string{"appraisal_deadline"}},
		{"response before appraisal", day(1), day(10), day(5), []string{"response_deadline"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRound(Round{Year: 2025, Level: "province", Name: "Đợt 2025", SelfDeadline: tt.self,
				AppraisalDeadline: tt.appraisal, ResponseDeadline: tt.reply}, set)
			var v methodology.ValidationErrors
			errors.As(err, &v)
			var got []string
			for _, x := range v {
				got = append(got, x.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || (err != nil) != (len(tt.want) > 0) {
				t.Errorf("NewRound: %v, want violations of %v", err, tt.want)
			}
		})
	}
}
