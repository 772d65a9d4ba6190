package tracking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func TestNotices(t *testing.T) {
	const d = 24 * time.Hour
	now := time.Date(2021, 6, 25, 2, 0, 0, 0, time.UTC)
	leads := []time.Duration{3 * d, 7 * d} // any order
	open := func(due time.Time) tracking.Occurrence {
		return tracking.Occurrence{State: tracking.StateInProgress, Due: due}
	}
	in := func(x time.Duration) time.Time { return now.Add(x) }
	tests := []struct {
		name       string
		o          tracking.Occurrence
		continuous bool
		want       []tracking.Notice
	}{
		{"far", open(in(8 * d)), false, nil},
		{"7 days", open(in(5 * d)), false, []tracking.Notice{{Kind: tracking.NoticeDueSoon, Lead: 7 * d, Due: in(5 * d), Send: true}}},
		{"exactly 7 days", open(in(7 * d)), false, []tracking.Notice{{Kind: tracking.NoticeDueSoon, Lead: 7 * d, Due: in(7 * d), Send: true}}},
		{"3 days: the 7 days superseded", open(in(2 * d)), false, []tracking.Notice{
			{Kind: tracking.NoticeDueSoon, Lead: 3 * d, Due: in(2 * d), Send: true},
			{Kind: tracking.NoticeDueSoon, Lead: 7 * d, Due: in(2 * d)},
		}},
		{"at the deadline", open(now), false, []tracking.Notice{
			{Kind: tracking.NoticeDueSoon, Lead: 3 * d, Due: now, Send: true},
			{Kind: tracking.NoticeDueSoon, Lead: 7 * d, Due: now},
		}},
		{"continuous: report due", open(in(5 * d)), true, []tracking.Notice{{Kind: tracking.NoticeReportDue, Lead: 7 * d, Due: in(5 * d), Send: true}}},
		{"overdue: lead times superseded", open(in(-time.Microsecond)), false, []tracking.Notice{
			{Kind: tracking.NoticeOverdue, Due: in(-time.Microsecond), Send: true},
			{Kind: tracking.NoticeDueSoon, Lead: 3 * d, Due: in(-time.Microsecond)},
			{Kind: tracking.NoticeDueSoon, Lead: 7 * d, Due: in(-time.Microsecond)},
		}},
		{"no deadline", open(time.Time{}), false, nil},
		{"done", tracking.Occurrence{State: tracking.StateDone, Due: in(2 * d)}, false, nil},
		{"cancelled and past", tracking.Occurrence{State: tracking.StateCancelled, Due: in(-d)}, false, nil},
		{"recalled and past", tracking.Occurrence{State: tracking.StateRecalled, Due: in(-d)}, false, nil},
		{"reported before the deadline", tracking.Occurrence{State: tracking.StateCompletionReported, Due: in(2 * d), ReportTime: in(-d)}, false, nil},
		{"reported on time, deadline past", tracking.Occurrence{State: tracking.StateCompletionReported, Due: in(-2 * d), ReportTime: in(-3 * d)}, false, nil},
		{"reported late", tracking.Occurrence{State: tracking.StateCompletionReported, Due: in(-2 * d), ReportTime: in(-d)}, true, []tracking.Notice{
			{Kind: tracking.NoticeOverdue, Due: in(-2 * d), Send: true},
			{Kind: tracking.NoticeReportDue, Lead: 3 * d, Due: in(-2 * d)},
			{Kind: tracking.NoticeReportDue, Lead: 7 * d, Due: in(-2 * d)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tracking.Notices(tt.o, tt.continuous, leads, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Notices (-want +got):\n%s", diff)
			}
		})
	}
}
