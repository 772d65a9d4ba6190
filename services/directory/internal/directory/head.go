package directory

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/parindex/platform/services/kit/vntime"
)

const (
	maxPersonNameLen = 200
	maxTitleLen      = 200
	maxNoteLen       = 1000
)

// HeadTenure is one person's period at the head of a unit (002 Art. 2). Accountability
// attaches to whoever headed the unit in the period concerned, so tenures are history:
// they are closed, never deleted or rewritten.
type HeadTenure struct {
	// ID is assigned by the store.
	ID string
	// UnitID is the unit headed.
	UnitID string
	// PersonName is the head's full name, NFC.
	PersonName string
	// Title is the post held, e.g. "Giám đốc".
	Title string
	// Acting marks a person acting for the head (quyền / phụ trách, 002 Art. 2.4).
	// Substantive and acting tenures have separate, parallel histories.
	Acting bool
	// Start is the first day.
	Start vntime.Date
	// End is the last day; zero while the tenure is open.
	End vntime.Date
	// UserID is the head's platform user, when they have one.
	UserID string
	// Note is free text, e.g. the appointing decision.
	Note string
	// CreateTime is set by the store.
	CreateTime time.Time
}

// Validate reports every problem of a new tenure's own fields.
func (t HeadTenure) Validate() error {
	var v ValidationErrors
	checkName(&v, "person_name", t.PersonName, maxPersonNameLen, "Họ tên người đứng đầu")
	if utf8.RuneCountInString(t.Title) > maxTitleLen {
		v.Add("title", fmt.Sprintf("Chức danh dài tối đa %d ký tự", maxTitleLen))
	}
	if utf8.RuneCountInString(t.Note) > maxNoteLen {
		v.Add("note", fmt.Sprintf("Ghi chú dài tối đa %d ký tự", maxNoteLen))
	}
	if t.Start.IsZero() {
		v.Add("start_date", "Ngày bắt đầu là bắt buộc")
	} else if !t.End.IsZero() && t.End.Before(t.Start) {
		v.Add("end_date", fmt.Sprintf("Ngày kết thúc không được trước ngày bắt đầu (%s)", formatDate(t.Start)))
	}
	return v.Err()
}

// IsOpen reports whether the tenure has no last day yet.
func (t HeadTenure) IsOpen() bool { return t.End.IsZero() }

// Covers reports whether the person held the post on day d (both ends included).
func (t HeadTenure) Covers(d vntime.Date) bool {
	return !d.Before(t.Start) && (t.IsOpen() || !t.End.Before(d))
}

// overlaps reports whether two tenures share at least one day.
func (t HeadTenure) overlaps(o HeadTenure) bool {
	tEndsBeforeO := !t.IsOpen() && t.End.Before(o.Start)
	oEndsBeforeT := !o.IsOpen() && o.End.Before(t.Start)
	return !tEndsBeforeO && !oEndsBeforeT
}

// period renders the tenure's days as people read them: "01/01/2020 – 31/12/2024".
func (t HeadTenure) period() string {
	end := "nay"
	if !t.IsOpen() {
		end = formatDate(t.End)
	}
	return formatDate(t.Start) + " – " + end
}

// post names the kind of tenure in messages.
func (t HeadTenure) post() string {
	if t.Acting {
		return "người được giao quyền/phụ trách"
	}
	return "người đứng đầu"
}

// Assign fits a new tenure into the unit's history (all of its tenures, both kinds).
// At most one substantive and one acting tenure may cover any day. When the open tenure
// of the same kind started before the new one, it ends the day before the new start and
// is returned; any other overlap is refused with FailedPrecondition, because history is
// only ever corrected by hand.
func Assign(history []HeadTenure, next HeadTenure) (ended *HeadTenure, err error) {
	if err := next.Validate(); err != nil {
		return nil, err
	}
	for _, t := range history {
		if t.Acting != next.Acting {
			continue
		}
		if t.IsOpen() && t.Start.Before(next.Start) {
			closed := t
			closed.End = next.Start.AddDays(-1)
			ended = &closed
			t = closed
		}
		if t.overlaps(next) {
			return nil, &Error{Kind: ErrFailedPrecondition, Message: fmt.Sprintf(
				"Nhiệm kỳ %s từ ngày %s trùng với nhiệm kỳ của %s (%s); hãy kiểm tra lại ngày bắt đầu hoặc ngày kết thúc",
				next.post(), formatDate(next.Start), t.PersonName, t.period())}
		}
	}
	return ended, nil
}

// EndOn closes an open tenure on day d, its last day.
func (t HeadTenure) EndOn(d vntime.Date) (HeadTenure, error) {
	if !t.IsOpen() {
		return t, ErrTenureClosed
	}
	if d.IsZero() {
		return t, ValidationError{Field: "end_date", Reason: "Ngày kết thúc là bắt buộc"}
	}
	if d.Before(t.Start) {
		return t, ValidationError{Field: "end_date", Reason: fmt.Sprintf(
			"Ngày kết thúc không được trước ngày bắt đầu nhiệm kỳ (%s)", formatDate(t.Start))}
	}
	t.End = d
	return t, nil
}

// HeadOnDate answers "who headed unit U on day D".
type HeadOnDate struct {
	// Head is the substantive head that day, if any.
	Head *HeadTenure
	// Acting is the person acting for the head that day, if any.
	Acting *HeadTenure
}

// Responsible is who answers for the unit that day: the acting head when there is one,
// else the head (002 Art. 2.4); nil when the post was vacant.
func (h HeadOnDate) Responsible() *HeadTenure {
	if h.Acting != nil {
		return h.Acting
	}
	return h.Head
}

// HeadOn picks, among a unit's tenures, those covering day d.
func HeadOn(tenures []HeadTenure, d vntime.Date) HeadOnDate {
	var h HeadOnDate
	for i := range tenures {
		t := tenures[i]
		if !t.Covers(d) {
			continue
		}
		if t.Acting {
			h.Acting = &t
		} else {
			h.Head = &t
		}
	}
	return h
}
