package methodology

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Points is a score or a maximum, counted in hundredths of a point.
//
// Every figure of the PAR index has exactly two decimals (DOMAIN.md, "The PAR index and
// scoring": "Scores have two decimals"), so integer hundredths are exact: sums never round,
// values compare with ==, the zero value is zero points, and the type maps one to one onto
// the NUMERIC(7,2) columns. A general decimal library would buy nothing here but a comparer
// in every test. Ratios (index %, a field's component index) are the one place where
// rounding is needed; they are computed from hundredths with an explicit rounding rule
// where they are used, not hidden in this type.
type Points int64

// MaxAbsPoints is the largest magnitude NUMERIC(7,2) holds: 99999.99.
const MaxAbsPoints Points = 9_999_999

// ErrBadPoints is returned by ParsePoints for text that is not a number with at most two
// decimals.
var ErrBadPoints = errors.New("điểm phải là số có tối đa hai chữ số thập phân, ví dụ 14.50")

// ParsePoints reads a decimal such as "14.50", "7", "-0.5" or "100.00". More than two
// decimals are rejected rather than rounded: a methodology that says 0.125 must be fixed
// at the source, not silently changed.
func ParsePoints(s string) (Points, error) {
	text := strings.TrimSpace(s)
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	whole, frac, hasDot := strings.Cut(text, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) || !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, fmt.Errorf("%w: %q", ErrBadPoints, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > int64(MaxAbsPoints/100) {
		return 0, fmt.Errorf("%w: %q quá lớn", ErrBadPoints, s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two digits, checked above
	p := Points(w*100 + f)
	if p > MaxAbsPoints {
		return 0, fmt.Errorf("%w: %q quá lớn", ErrBadPoints, s)
	}
	if neg {
		p = -p
	}
	return p, nil
}

// MustParsePoints is ParsePoints for literals in tests and fixtures; it panics on bad input.
func MustParsePoints(s string) Points {
	p, err := ParsePoints(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String formats the points with exactly two decimals, e.g. "14.50" or "-0.50".
func (p Points) String() string {
	sign := ""
	v := int64(p)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Hundredths returns the value in hundredths of a point.
func (p Points) Hundredths() int64 { return int64(p) }

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
