package tracking_test

import (
	"testing"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func TestTargetAchieved(t *testing.T) {
	tests := []struct {
		cmp   tracking.Comparator
		value float64
		got   float64
		want  bool
	}{
		{tracking.AtLeast, 80, 80, true},
		{tracking.AtLeast, 80, 79.99, false},
		{tracking.MoreThan, 30, 30, false}, // "trên 30 %": 30 % is not enough (seed 004)
		{tracking.MoreThan, 30, 30.5, true},
		{tracking.AtMost, 5, 5, true},
		{tracking.AtMost, 5, 5.1, false},
		{tracking.LessThan, 5, 5, false},
		{tracking.LessThan, 5, 4.9, true},
		{tracking.Equal, 100, 100.0000001, true}, // float read back
		{tracking.Equal, 100, 99.9, false},
		{"unknown", 1, 1, false},
	}
	for _, tt := range tests {
		target := tracking.Target{Comparator: tt.cmp, Value: tt.value}
		if got := target.Achieved(tt.got); got != tt.want {
			t.Errorf("%s %v achieved by %v = %v, want %v", tt.cmp, tt.value, tt.got, got, tt.want)
		}
	}
}

func TestTargetInScope(t *testing.T) {
	province := tracking.Target{Scope: tracking.ScopeProvince}
	if !province.InScope("u1", "department") || province.InScope("u2", "district") {
		t.Error("province tier: departments only")
	}
	named := tracking.Target{ScopeUnitIDs: []string{"u1"}}
	if !named.InScope("u1", "province") || named.InScope("u2", "department") {
		t.Error("named scope: the named units only")
	}
}
