package tracking

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

// Comparator is how a measured value is compared with a target's value.
type Comparator string

// Comparators. The values are stored, so they never change.
const (
	AtLeast  Comparator = "at_least"
	MoreThan Comparator = "more_than"
	AtMost   Comparator = "at_most"
	LessThan Comparator = "less_than"
	Equal    Comparator = "equal"
)

// Valid reports whether c is a known comparator.
func (c Comparator) Valid() bool {
	switch c {
	case AtLeast, MoreThan, AtMost, LessThan, Equal:
		return true
	}
	return false
}

// ScopeLevel is the tier of units a target applies to.
type ScopeLevel string

// Scope levels. The values are stored, so they never change.
const (
	// ScopeNamed means the target names its units.
	ScopeNamed ScopeLevel = ""
	// ScopeProvince is the provincial agencies (sở, ban, ngành).
	ScopeProvince ScopeLevel = "province"
	// ScopeDistrict is the districts.
	ScopeDistrict ScopeLevel = "district"
	// ScopeCommune is the communes.
	ScopeCommune ScopeLevel = "commune"
)

// UnitKind is the directory kind of the units of a tier: a target "at province level" is
// met by each provincial agency (the departments), "at district level" by each district.
func (l ScopeLevel) UnitKind() string {
	switch l {
	case ScopeProvince:
		return "department"
	case ScopeDistrict:
		return "district"
	case ScopeCommune:
		return "commune"
	}
	return ""
}

// Target is a measurable goal (chỉ tiêu) set by a document.
type Target struct {
	ID, DocumentID string
	// Code is unique in the document, e.g. "1.b".
	Code string
	// Metric is what is measured; UnitOfMeasure its unit ("%", "hồ sơ").
	Metric, UnitOfMeasure string
	Comparator            Comparator
	Value                 float64
	// StartYear and EndYear bound the years the target applies to, measured yearly.
	StartYear, EndYear int
	// Deadline is the day by which it must be met, when the document names one.
	Deadline vntime.Date
	// Scope is a tier of units, or ScopeNamed with ScopeUnitIDs.
	Scope        ScopeLevel
	ScopeUnitIDs []string
	// Text is the document's sentence, verbatim.
	Text       string
	CreateTime time.Time
}

// Achieved reports whether a measured value meets the target. Equality is judged to a
// millionth, so 100 % read back from a float column is still 100 %.
func (t Target) Achieved(v float64) bool {
	const eps = 1e-6
	switch t.Comparator {
	case AtLeast:
		return v >= t.Value-eps
	case MoreThan:
		return v > t.Value+eps
	case AtMost:
		return v <= t.Value+eps
	case LessThan:
		return v < t.Value-eps
	case Equal:
		return math.Abs(v-t.Value) <= eps
	}
	return false
}

// InScope reports whether a unit of the given id and directory kind is in the target's scope.
func (t Target) InScope(unitID, kind string) bool {
	if t.Scope == ScopeNamed {
		for _, id := range t.ScopeUnitIDs {
			if id == unitID {
				return true
			}
		}
		return false
	}
	return kind == t.Scope.UnitKind()
}

// NewTarget checks a target about to be set and returns it ready to store.
func NewTarget(draft Target, now time.Time, newID func() string) (Target, error) {
	t := draft
	t.Code = strings.TrimSpace(vntext.NFC(t.Code))
	t.Metric = strings.TrimSpace(vntext.NFC(t.Metric))
	t.UnitOfMeasure = strings.TrimSpace(vntext.NFC(t.UnitOfMeasure))
	t.Text = strings.TrimSpace(vntext.NFC(t.Text))
	t.DocumentID = strings.ToLower(strings.TrimSpace(t.DocumentID))
	t.ScopeUnitIDs = normaliseIDs(t.ScopeUnitIDs)
	var v ValidationErrors
	if t.DocumentID == "" {
		v.Add("document_id", "Cần chọn văn bản đặt chỉ tiêu")
	}
	checkText(&v, "code", t.Code, maxCodeLen, "Cần ghi mã chỉ tiêu")
	checkText(&v, "metric", t.Metric, 1000, "Cần ghi nội dung chỉ tiêu")
	checkText(&v, "unit_of_measure", t.UnitOfMeasure, 50, "Cần ghi đơn vị tính")
	if utf8.RuneCountInString(t.Text) > maxCellTextLen {
		v.Add("text", fmt.Sprintf("Dài tối đa %d ký tự", maxCellTextLen))
	}
	if !t.Comparator.Valid() {
		v.Add("comparator", "Cách so sánh không hợp lệ")
	}
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) {
		v.Add("value", "Giá trị chỉ tiêu không hợp lệ")
	}
	if t.StartYear < minPeriodYear || t.StartYear > maxPeriodYear {
		v.Add("start_year", fmt.Sprintf("Năm bắt đầu phải từ %d đến %d", minPeriodYear, maxPeriodYear))
	}
	if t.EndYear < t.StartYear || t.EndYear > maxPeriodYear {
		v.Add("end_year", "Năm kết thúc không được trước năm bắt đầu")
	}
	if !t.Deadline.IsZero() && t.Deadline.Year != t.EndYear {
		v.Add("deadline", "Thời hạn phải thuộc năm cuối của chỉ tiêu")
	}
	switch {
	case t.Scope != ScopeNamed && t.Scope.UnitKind() == "":
		v.Add("scope_level", "Cấp áp dụng không hợp lệ")
	case t.Scope != ScopeNamed && len(t.ScopeUnitIDs) > 0:
		v.Add("scope_unit_ids", "Chỉ ghi đơn vị cụ thể khi không chọn cấp áp dụng")
	case t.Scope == ScopeNamed && len(t.ScopeUnitIDs) == 0:
		v.Add("scope_unit_ids", "Cần chọn cấp áp dụng hoặc đơn vị áp dụng chỉ tiêu")
	}
	if err := v.Err(); err != nil {
		return Target{}, err
	}
	t.ID = newID()
	t.CreateTime = now
	return t, nil
}

// Measurement is a unit's measured value of a target for one year.
type Measurement struct {
	ID, TargetID, UnitID string
	Year                 int
	Value                float64
	Note                 string
	RecordedBy           string
	RecordTime           time.Time
}

// NewMeasurement checks a measurement of t by a unit of the given directory kind.
func NewMeasurement(t Target, m Measurement, unitKind string, now time.Time, newID func() string) (Measurement, error) {
	m.UnitID = strings.ToLower(strings.TrimSpace(m.UnitID))
	m.Note = strings.TrimSpace(vntext.NFC(m.Note))
	var v ValidationErrors
	if m.Year < t.StartYear || m.Year > t.EndYear {
		v.Add("year", fmt.Sprintf("Chỉ tiêu áp dụng từ năm %d đến năm %d", t.StartYear, t.EndYear))
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		v.Add("value", "Giá trị đo không hợp lệ")
	}
	if !t.InScope(m.UnitID, unitKind) {
		v.Add("unit_id", "Đơn vị không thuộc phạm vi áp dụng của chỉ tiêu")
	}
	if err := v.Err(); err != nil {
		return Measurement{}, err
	}
	m.ID, m.TargetID, m.RecordTime = newID(), t.ID, now
	return m, nil
}

// Errors of targets.
var (
	// ErrTargetNotFound is returned when no target has the id asked for.
	ErrTargetNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy chỉ tiêu"}
	// ErrTargetCodeTaken is returned when the document already has a target with the code.
	ErrTargetCodeTaken = &Error{Kind: ErrConflict, Message: "Văn bản đã có chỉ tiêu mang mã này"}
)
