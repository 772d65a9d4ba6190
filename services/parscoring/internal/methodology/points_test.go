package methodology

import (
	"errors"
	"testing"
)

func TestParsePoints(t *testing.T) {
	tests := []struct {
		in      string
		want    Points
		wantStr string
	}{
		{"14.50", 1450, "14.50"},
		{"14.5", 1450, "14.50"},
		{"7", 700, "7.00"},
		{"100", 10000, "100.00"},
		{"0.01", 1, "0.01"},
		{"-0.5", -50, "-0.50"},
		{"-2", -200, "-2.00"},
		{" 3.25 ", 325, "3.25"},
		{"99999.99", MaxAbsPoints, "99999.99"},
	}
	for _, tt := range tests {
		got, err := ParsePoints(tt.in)
		if err != nil {
			t.Errorf("ParsePoints(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.String() != tt.wantStr {
			t.Errorf("ParsePoints(%q) = %d (%s), want %d (%s)", tt.in, got, got, tt.want, tt.wantStr)
		}
	}
}

func TestParsePointsRejects(t *testing.T) {
	// More than two decimals is rejected, never rounded: 0.125 is a typing mistake.
	for _, in := range []string{"", "-", ".5", "5.", "1.234", "1,5", "abc", "1e3", "+1", "--1", "100000", "1.2.3"} {
		if got, err := ParsePoints(in); !errors.Is(err, ErrBadPoints) {
			t.Errorf("ParsePoints(%q) = %v, %v; want ErrBadPoints", in, got, err)
		}
	}
}

func TestPointsSumIsExact(t *testing.T) {
	// 0.1 + 0.2 is the classic float trap; hundredths add exactly.
	if got := MustParsePoints("0.1") + MustParsePoints("0.2"); got != MustParsePoints("0.3") {
		t.Fatalf("0.1 + 0.2 = %s", got)
	}
}
