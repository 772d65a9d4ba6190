package app_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/app"
)

func TestParseLeadTimes(t *testing.T) {
	const d = 24 * time.Hour
	tests := []struct {
		in   string
		want []time.Duration
	}{
		{"", []time.Duration{7 * d, 3 * d}},
		{"7d,3d", []time.Duration{7 * d, 3 * d}},
		{" 3d , 7d ,1d", []time.Duration{7 * d, 3 * d, d}},
		{"168h,72h,7d", []time.Duration{7 * d, 3 * d}},
		{"14d,36h", []time.Duration{14 * d, 36 * time.Hour}},
	}
	for _, tt := range tests {
		got, err := app.ParseLeadTimes(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseLeadTimes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"7", "x d", "0d", "-3d", "-1h", ",", "7days", "99999d"} {
		if got, err := app.ParseLeadTimes(bad); err == nil {
			t.Errorf("ParseLeadTimes(%q) = %v, want an error", bad, got)
		}
	}
}
