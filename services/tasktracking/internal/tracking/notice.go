package tracking

import (
	"slices"
	"time"
)

// NoticeKind is a kind of deadline notice (003 item 9: reminders before deadlines and
// overdue alerts are the system's duty and must not be lost).
type NoticeKind string

// Notice kinds. The values are stored, so they never change.
const (
	// NoticeDueSoon: an open occurrence came within a lead time of its deadline.
	NoticeDueSoon NoticeKind = "due_soon"
	// NoticeReportDue: the periodic report of a continuous task came within a lead time of
	// the end of its period. Continuous tasks get it instead of NoticeDueSoon.
	NoticeReportDue NoticeKind = "report_due"
	// NoticeOverdue: the deadline passed while the occurrence was overdue (Overdue).
	NoticeOverdue NoticeKind = "overdue"
)

// DefaultLeadTimes are how long before a deadline the due-soon notices go out when the
// configuration does not say: a week, and three days (the "due within 3 days" counter of
// the provincial systems in DOMAIN.md).
var DefaultLeadTimes = []time.Duration{7 * 24 * time.Hour, 3 * 24 * time.Hour}

// Notice is one deadline notice about an occurrence. It is identified by the occurrence,
// Kind, Lead and Due: a notice is made once per identity, and an approved extension, which
// moves the deadline, arms new ones.
type Notice struct {
	Kind NoticeKind
	// Lead is the lead time reached (zero for NoticeOverdue).
	Lead time.Duration
	// Due is the deadline the notice is about.
	Due time.Time
	// Send is false for a notice superseded by a more urgent one reached at the same time:
	// it is recorded so that it is never sent late, but nobody is told "7 days left" when
	// 2 are left, or "due soon" when the deadline has already passed.
	Send bool
}

// Notices returns the notices o has reached at now with the given lead times (any order):
//   - overdue when Overdue(now) and the deadline has passed, with every lead time's notice
//     recorded as superseded;
//   - otherwise, while work is still expected (not yet reported complete) and the deadline
//     has not passed, one notice per lead time reached (Due-lead ≤ now ≤ Due), of which only
//     the shortest is sent.
//
// continuous says the task is continuous ("Thường xuyên"), whose occurrences are reporting
// periods: it gets NoticeReportDue instead of NoticeDueSoon. An occurrence without a
// deadline (conditional) or closed reaches nothing. The store's candidate query mirrors
// these rules.
func Notices(o Occurrence, continuous bool, leads []time.Duration, now time.Time) []Notice {
	if o.Due.IsZero() {
		return nil
	}
	soon := NoticeDueSoon
	if continuous {
		soon = NoticeReportDue
	}
	leads = slices.Sorted(slices.Values(leads)) // shortest first
	leads = slices.Compact(leads)
	var out []Notice
	switch {
	case now.After(o.Due) && o.Overdue(now):
		out = append(out, Notice{Kind: NoticeOverdue, Due: o.Due, Send: true})
		for _, l := range leads {
			out = append(out, Notice{Kind: soon, Lead: l, Due: o.Due})
		}
	case !now.After(o.Due) && (o.State == StateNotStarted || o.State == StateReceived || o.State == StateInProgress):
		for _, l := range leads {
			if !now.Before(o.Due.Add(-l)) {
				out = append(out, Notice{Kind: soon, Lead: l, Due: o.Due, Send: len(out) == 0})
			}
		}
	}
	return out
}
