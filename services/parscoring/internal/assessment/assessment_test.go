package assessment

import (
	"errors"
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
