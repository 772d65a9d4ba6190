package tracking

import (
	"time"

	"github.com/parindex/platform/services/kit/vntime"
)

// TimingKind is how a start or completion time is written in a document.
type TimingKind string

// The ways documents write times. The values are stored, so they never change.
const (
	// TimingNone means no time was given (an optional start left out).
	TimingNone TimingKind = ""
	// TimingDate is a calendar day ("trước ngày 30/11/2018"), met by the end of that local day.
	TimingDate TimingKind = "date"
	// TimingQuarter is a quarter ("Quý IV/2018"), ending on the quarter's last day.
	TimingQuarter TimingKind = "quarter"
	// TimingYear is a year ("2020") or a range ("2021 - 2025"), ending on the last year's 31/12.
	TimingYear TimingKind = "year"
	// TimingYearly is "Hằng năm": one occurrence every year, no single end.
	TimingYearly TimingKind = "yearly"
	// TimingContinuous is "Thường xuyên": periodic reporting, no end.
	TimingContinuous TimingKind = "continuous"
	// TimingConditional is conditional text ("Theo hướng dẫn của Bộ Nội vụ"), no computed date.
	TimingConditional TimingKind = "conditional"
)

// Valid reports whether k is one of the kinds above other than TimingNone.
func (k TimingKind) Valid() bool {
	switch k {
	case TimingDate, TimingQuarter, TimingYear, TimingYearly, TimingContinuous, TimingConditional:
		return true
	}
	return false
}

// Timing is a start or completion time as written in a document, with its structured
// reading. Text keeps the phrase verbatim (only NFC-normalised) so anyone can check the
// reading against the source.
type Timing struct {
	// Kind says which of the fields below carry the reading.
	Kind TimingKind
	// Date is the day, for TimingDate.
	Date vntime.Date
	// Quarter is 1–4, for TimingQuarter.
	Quarter int
	// Year is the year for TimingQuarter, the (first) year for TimingYear.
	Year int
	// EndYear is the last year of a range for TimingYear; 0 for a single year.
	EndYear int
	// Text is the phrase as written.
	Text string
}

// IsZero reports whether no time was given.
func (t Timing) IsZero() bool { return t == Timing{} }

// Due returns the instant by which the time is met: the end of the last local (UTC+7) day
// of the date, quarter or (last) year. ok is false for kinds that have no single end
// (yearly, continuous, conditional) and for an invalid timing.
func (t Timing) Due() (due time.Time, ok bool) {
	var last vntime.Date
	switch t.Kind {
	case TimingDate:
		if t.Date.IsZero() {
			return time.Time{}, false
		}
		last = t.Date
	case TimingQuarter:
		if t.Quarter < 1 || t.Quarter > 4 || t.Year < 1 {
			return time.Time{}, false
		}
		last = vntime.QuarterEnd(t.Year, t.Quarter)
	case TimingYear:
		if t.Year < 1 {
			return time.Time{}, false
		}
		last = vntime.YearEnd(max(t.Year, t.EndYear))
	default:
		return time.Time{}, false
	}
	// A deadline written as a day is met by work done by the end of that local day
	// (DOMAIN.md, "Dates, deadlines and calendars"); vntime owns that convention.
	return last.EndOfDay(), true
}

// validate adds the problems of t to v, naming fields under the path field
// (e.g. "tasks[0].deadline").
func (t Timing) validate(field string, v *ValidationErrors) {
	if !t.Kind.Valid() {
		v.Add(field+".kind", "Cách ghi thời hạn không hợp lệ")
		return
	}
	// Fields that do not belong to the kind must stay empty: a quarter given with a date
	// means the reading is unclear, and guessing would hide a data-entry mistake.
	if t.Kind != TimingDate && !t.Date.IsZero() {
		v.Add(field+".date", "Chỉ ghi ngày khi thời hạn là một ngày cụ thể")
	}
	if t.Kind != TimingQuarter && t.Quarter != 0 {
		v.Add(field+".quarter", "Chỉ ghi quý khi thời hạn là một quý")
	}
	if t.Kind != TimingQuarter && t.Kind != TimingYear && t.Year != 0 {
		v.Add(field+".year", "Chỉ ghi năm khi thời hạn là một quý hoặc một năm")
	}
	if t.Kind != TimingYear && t.EndYear != 0 {
		v.Add(field+".end_year", "Chỉ ghi năm kết thúc khi thời hạn là một giai đoạn nhiều năm")
	}
	switch t.Kind {
	case TimingDate:
		if t.Date.IsZero() {
			v.Add(field+".date", "Cần ghi ngày của thời hạn")
		}
	case TimingQuarter:
		if t.Quarter < 1 || t.Quarter > 4 {
			v.Add(field+".quarter", "Quý phải từ 1 đến 4")
		}
		if t.Year < 1 {
			v.Add(field+".year", "Cần ghi năm của quý")
		}
	case TimingYear:
		if t.Year < 1 {
			v.Add(field+".year", "Cần ghi năm của thời hạn")
		}
		if t.EndYear != 0 && t.EndYear < t.Year {
			v.Add(field+".end_year", "Năm kết thúc không được trước năm bắt đầu")
		}
	case TimingConditional:
		// The condition is the whole reading; without its words nothing is recorded.
		if t.Text == "" {
			v.Add(field+".text", "Cần ghi nguyên văn điều kiện của thời hạn")
		}
	}
}
