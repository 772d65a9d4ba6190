package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// NoticePass is one pass of the deadline scheduler, as asked of the store.
type NoticePass struct {
	// Now is the scheduler's clock.
	Now time.Time
	// Leads are the due-soon lead times, longest first.
	Leads []time.Duration
	// Batch is the most occurrences handled per transaction; 0 means the store's default.
	Batch int
}

// NoticeCounts is what a pass did.
type NoticeCounts struct {
	// Candidates is how many occurrences the pass looked at (those with a notice not yet made).
	Candidates int
	// DueSoon, ReportDue and Overdue count the events written, by kind.
	DueSoon, ReportDue, Overdue int
	// Superseded counts notices recorded without an event (see tracking.Notice.Send).
	Superseded int
	// DueReports and DueReportsOverdue count the report-due and overdue events of the
	// periodic reports of reporting obligations.
	DueReports, DueReportsOverdue int
}

// NoticeStore makes deadline notices. postgres.Store implements it.
type NoticeStore interface {
	// EmitDeadlineNotices makes every notice occurrences have reached at p.Now and not yet
	// made (tracking.Notices): each notice's row and its event are written in one
	// transaction, and the row's key makes it exactly once across passes, replicas and
	// clock jumps.
	EmitDeadlineNotices(ctx context.Context, p NoticePass) (NoticeCounts, error)
}

// DueReportNoticeStore makes the notices of the periodic reports that documents' reporting
// obligations require, with the same exactly-once mechanism. postgres.Store implements it.
type DueReportNoticeStore interface {
	// EmitDueReportNotices makes every report-due and overdue notice open due reports have
	// reached at p.Now and not yet made.
	EmitDueReportNotices(ctx context.Context, p NoticePass) (NoticeCounts, error)
}

// DefaultSchedulerInterval is how often the scheduler makes a pass when not configured.
const DefaultSchedulerInterval = time.Minute

// Scheduler makes the deadline notices of issue 3 item 7 (seed 003 item 9: reminders before
// deadlines and overdue alerts are the system's duty): due soon at each lead time, report due
// for continuous tasks, overdue. It holds no state: what has been noticed is in the store, so
// a restart, a clock jump or a second replica never makes a notice twice, and a pass after
// down time makes every notice missed meanwhile.
type Scheduler struct {
	store    NoticeStore
	log      *slog.Logger
	clock    func() time.Time
	interval time.Duration
	leads    []time.Duration
	batch    int
	dues     DueReportNoticeStore
}

// NewScheduler returns a scheduler that makes a pass every interval (0: the default) with
// the given lead times (nil: tracking.DefaultLeadTimes), reading time from clock.
func NewScheduler(store NoticeStore, log *slog.Logger, clock func() time.Time, interval time.Duration, leads []time.Duration) *Scheduler {
	if interval <= 0 {
		interval = DefaultSchedulerInterval
	}
	if len(leads) == 0 {
		leads = tracking.DefaultLeadTimes
	}
	leads = slices.Clone(leads)
	slices.Sort(leads)
	slices.Reverse(leads)
	return &Scheduler{store: store, log: log, clock: clock, interval: interval, leads: slices.Compact(leads)}
}

// WithDueReports makes every pass also notice the due periodic reports of dues, and
// returns s.
func (s *Scheduler) WithDueReports(dues DueReportNoticeStore) *Scheduler {
	s.dues = dues
	return s
}

// WithBatch sets how many occurrences a pass handles per transaction (tests and benchmarks).
func (s *Scheduler) WithBatch(n int) *Scheduler {
	s.batch = n
	return s
}

// Pass makes the notices due now and logs one line with the counts.
func (s *Scheduler) Pass(ctx context.Context) (NoticeCounts, error) {
	now := s.clock()
	started := time.Now()
	c, err := s.store.EmitDeadlineNotices(ctx, NoticePass{Now: now, Leads: s.leads, Batch: s.batch})
	if s.dues != nil && err == nil {
		var d NoticeCounts
		d, err = s.dues.EmitDueReportNotices(ctx, NoticePass{Now: now, Leads: s.leads, Batch: s.batch})
		c.DueReports, c.DueReportsOverdue = d.ReportDue, d.Overdue
		c.Superseded += d.Superseded
	}
	attrs := []any{"now", now, "candidates", c.Candidates, "due_soon", c.DueSoon, "report_due", c.ReportDue,
		"overdue", c.Overdue, "due_reports", c.DueReports, "due_reports_overdue", c.DueReportsOverdue, "superseded", c.Superseded, "took", time.Since(started)}
	if err != nil {
		// Notices written by the batches that committed stand; the next pass makes the rest.
		s.log.ErrorContext(ctx, "deadline scheduler pass failed", append(attrs, "err", err)...)
		return c, fmt.Errorf("deadline scheduler pass: %w", err)
	}
	s.log.InfoContext(ctx, "deadline scheduler pass", attrs...)
	return c, nil
}

// Run makes a pass at once and then every interval until ctx ends, and returns nil. A failed
// pass is logged and retried at the next tick: the notices it missed are still unmade, so
// the next pass makes them.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Pass(ctx); err != nil && ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ParseLeadTimes reads a comma-separated list of lead times: whole days written `7d`, or Go
// durations (`72h`, `90m`). Each must be positive; duplicates are dropped; the result is
// longest first. An empty list is tracking.DefaultLeadTimes.
func ParseLeadTimes(s string) ([]time.Duration, error) {
	var out []time.Duration
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var d time.Duration
		if days, ok := strings.CutSuffix(part, "d"); ok {
			n, err := strconv.Atoi(days)
			if err != nil || n > 3660 { // ten years bounds the arithmetic well inside a Duration
				return nil, fmt.Errorf("lead time %q: want whole days such as 7d, or a duration such as 72h", part)
			}
			d = time.Duration(n) * 24 * time.Hour
		} else {
			var err error
			if d, err = time.ParseDuration(part); err != nil {
				return nil, fmt.Errorf("lead time %q: want whole days such as 7d, or a duration such as 72h", part)
			}
		}
		if d <= 0 {
			return nil, fmt.Errorf("lead time %q: must be positive", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		if strings.TrimSpace(s) != "" {
			return nil, errors.New("no lead time in the list")
		}
		return slices.Clone(tracking.DefaultLeadTimes), nil
	}
	slices.Sort(out)
	slices.Reverse(out)
	return slices.Compact(out), nil
}
