// Package vntime handles Vietnamese local calendar dates.
//
// Deadlines, reporting periods and scores in the platform are counted in local days of
// Vietnam (UTC+7). Vietnam has not observed daylight saving time since 1975, so a fixed
// zone is exact and spares every binary a dependency on the tz database.
package vntime

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Location is Indochina Time, UTC+7, the zone every local date of the platform is in.
// It is a fixed zone named "ICT" rather than Asia/Ho_Chi_Minh so that no tzdata is needed.
// Treat it as a constant.
var Location = time.FixedZone("ICT", 7*60*60)

// ErrInvalidDate is wrapped by every parse error of this package.
var ErrInvalidDate = errors.New("vntime: invalid date")

// Date is a calendar day in Vietnam, with no time of day and no zone. The zero Date is
// "no date" (see IsZero). Dates compare with == and can be used as map keys.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, or an error wrapping ErrInvalidDate when the day
// does not exist (30 February, month 13, …).
func NewDate(year int, month time.Month, day int) (Date, error) {
	d := Date{Year: year, Month: month, Day: day}
	// time.Date normalises out-of-range values (31 April → 1 May); a round trip that
	// changes the date means it did not exist.
	if year < 1 || year > 9999 || DateOf(d.Start()) != d {
		return Date{}, fmt.Errorf("%w: %04d-%02d-%02d does not exist", ErrInvalidDate, year, int(month), day)
	}
	return d, nil
}

// DateOf returns the local (UTC+7) date of the instant t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Location).Date()
	return Date{Year: y, Month: m, Day: d}
}

// Today returns the local date at the instant now. The caller passes the clock so that
// code depending on "today" stays testable.
func Today(now time.Time) Date {
	return DateOf(now)
}

// ParseISO parses a date in the ISO 8601 form "2020-05-20" (zero-padded, as in proto and
// JSON fields).
func ParseISO(s string) (Date, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), Location)
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q is not YYYY-MM-DD: %w", ErrInvalidDate, s, err)
	}
	return DateOf(t), nil
}

// ParseVN parses a date written the Vietnamese way, day/month/year: "20/5/2020" or
// "20/05/2020". The year must have four digits.
func ParseVN(s string) (Date, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) != 3 || len(parts[2]) != 4 {
		return Date{}, fmt.Errorf("%w: %q is not DD/MM/YYYY", ErrInvalidDate, s)
	}
	var nums [3]int
	for i, p := range parts {
		// Day and month may drop the leading zero but have at most two digits; the digit
		// check also keeps out the signs Atoi would accept.
		if p == "" || (i < 2 && len(p) > 2) || strings.Trim(p, "0123456789") != "" {
			return Date{}, fmt.Errorf("%w: %q is not DD/MM/YYYY", ErrInvalidDate, s)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return Date{}, fmt.Errorf("%w: %q: %w", ErrInvalidDate, s, err)
		}
		nums[i] = n
	}
	return NewDate(nums[2], time.Month(nums[1]), nums[0])
}

// ISO formats d as "2020-05-20".
func (d Date) ISO() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// VN formats d as "20/05/2020", the form used in Vietnamese documents.
func (d Date) VN() string {
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// String returns the ISO form, so dates read well in logs and test failures.
func (d Date) String() string {
	return d.ISO()
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool {
	return d == Date{}
}

// Start returns local midnight at the beginning of d.
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Location)
}

// EndOfDay returns the last instant of d in local time: the next local midnight minus one
// nanosecond. A deadline "by 20/05/2020" is met by anything at or before this instant, so
// callers compare with !t.After(d.EndOfDay()).
func (d Date) EndOfDay() time.Time {
	return d.AddDays(1).Start().Add(-time.Nanosecond)
}

// AddDays returns d moved by n calendar days (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, Location))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Quarter returns the calendar quarter (1–4) d falls in.
func (d Date) Quarter() int {
	return (int(d.Month)-1)/3 + 1
}

// MarshalText encodes d in ISO form; the zero Date encodes as "".
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.ISO()), nil
}

// UnmarshalText decodes the ISO form; "" decodes as the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseISO(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// QuarterEnd returns the last day of quarter q (1–4) of year: 31/3, 30/6, 30/9 or 31/12.
// Out-of-range quarters normalise like time.Date does (q=5 is the first quarter of the
// next year, q=0 the last quarter of the previous one).
func QuarterEnd(year, q int) Date {
	// Day 0 of the month after the quarter is the quarter's last day.
	return DateOf(time.Date(year, time.Month(3*q+1), 0, 12, 0, 0, 0, Location))
}

// YearEnd returns 31 December of year.
func YearEnd(year int) Date {
	return Date{Year: year, Month: time.December, Day: 31}
}
