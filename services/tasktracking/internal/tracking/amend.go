package tracking

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntext"
)

// Amendable fields of a document, as named in UpdateDocument's update_mask.
const (
	FieldTitle           = "title"
	FieldSignedOn        = "signed_on"
	FieldPeriodStartYear = "period_start_year"
	FieldPeriodEndYear   = "period_end_year"
	FieldStatus          = "status"
)

var amendable = []string{FieldTitle, FieldSignedOn, FieldPeriodStartYear, FieldPeriodEndYear, FieldStatus}

// Amend changes the fields of d named by paths to their values in patch and reports the
// fields that really changed, in a stable order. Every problem is reported at once as
// ValidationErrors; "update_mask" names an unknown or unamendable path.
func (d *Document) Amend(patch Document, paths []string, now time.Time) ([]string, error) {
	var v ValidationErrors
	if len(paths) == 0 {
		v.Add("update_mask", "Cần chọn ít nhất một trường cần sửa")
	}
	next := *d
	set := map[string]bool{}
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if !slices.Contains(amendable, p) {
			v.Add("update_mask", fmt.Sprintf("Không sửa được trường %q; chỉ sửa được: %s", p, strings.Join(amendable, ", ")))
			continue
		}
		set[p] = true
	}
	if set[FieldTitle] {
		next.Title = strings.TrimSpace(vntext.NFC(patch.Title))
		checkText(&v, "title", next.Title, maxTitleLen, "Cần ghi trích yếu văn bản")
	}
	if set[FieldSignedOn] {
		next.SignedOn = patch.SignedOn
		if next.SignedOn.IsZero() {
			v.Add("signed_on", "Cần ghi ngày ký văn bản")
		}
	}
	if set[FieldPeriodStartYear] {
		next.PeriodStartYear = patch.PeriodStartYear
	}
	if set[FieldPeriodEndYear] {
		next.PeriodEndYear = patch.PeriodEndYear
	}
	if set[FieldPeriodStartYear] || set[FieldPeriodEndYear] {
		if next.PeriodStartYear < minPeriodYear || next.PeriodStartYear > maxPeriodYear {
			v.Add("period_start_year", fmt.Sprintf("Năm bắt đầu phải từ %d đến %d", minPeriodYear, maxPeriodYear))
		}
		if next.PeriodEndYear < next.PeriodStartYear || next.PeriodEndYear > maxPeriodYear {
			v.Add("period_end_year", "Năm kết thúc không được trước năm bắt đầu của giai đoạn")
		}
	}
	if set[FieldStatus] {
		next.Status = patch.Status
		if next.Status != StatusIssued && next.Status != StatusSuperseded {
			v.Add("status", "Trạng thái văn bản không hợp lệ")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var changed []string
	if next.Title != d.Title {
		changed = append(changed, FieldTitle)
	}
	if next.SignedOn != d.SignedOn {
		changed = append(changed, FieldSignedOn)
	}
	if next.PeriodStartYear != d.PeriodStartYear {
		changed = append(changed, FieldPeriodStartYear)
	}
	if next.PeriodEndYear != d.PeriodEndYear {
		changed = append(changed, FieldPeriodEndYear)
	}
	if next.Status != d.Status {
		changed = append(changed, FieldStatus)
	}
	if len(changed) > 0 {
		next.UpdateTime = now
	}
	*d = next
	return changed, nil
}

// ReconcileOccurrences compares the occurrences a document's tasks have (existing, any
// order) with those its period now calls for. It returns the occurrences to add (without
// ids) and those to cancel because their period left the document's period. Only
// occurrences nobody has started may go: work received or done for a year is not silently
// dropped, so such an amendment is refused with ErrFailedPrecondition. Cancelled and
// recalled occurrences outside the period are left as they are.
func ReconcileOccurrences(d Document, existing []Occurrence) (add []Occurrence, drop []Occurrence, err error) {
	type key struct {
		task string
		p    Period
	}
	have := map[key]Occurrence{}
	for _, o := range existing {
		have[key{o.TaskID, o.Period}] = o
	}
	want := map[key]bool{}
	for _, t := range d.Tasks {
		for _, o := range PlanOccurrences(d, t) {
			k := key{o.TaskID, o.Period}
			want[k] = true
			if _, ok := have[k]; !ok {
				add = append(add, o)
			}
		}
	}
	for _, o := range existing {
		if want[key{o.TaskID, o.Period}] {
			continue
		}
		switch o.State {
		case StateNotStarted:
			drop = append(drop, o)
		case StateCancelled, StateRecalled:
		default:
			return nil, nil, &Error{Kind: ErrFailedPrecondition, Message: fmt.Sprintf(
				"Không thể thu hẹp giai đoạn: kỳ năm %d của một nhiệm vụ đang ở trạng thái «%s»", o.Period.Year, o.State.Name())}
		}
	}
	slices.SortFunc(drop, func(a, b Occurrence) int { return strings.Compare(a.ID, b.ID) })
	return add, drop, nil
}
