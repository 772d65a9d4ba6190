package app

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parindex/platform/services/kit/vntext"
)

// Grouping is what one row of the task statistics counts.
type Grouping string

// Groupings.
const (
	// GroupByUnit counts per lead unit: an occurrence with two lead units counts for both.
	GroupByUnit Grouping = "unit"
	// GroupByDocument counts per directing document.
	GroupByDocument Grouping = "document"
	// GroupByPeriod counts per year (or quarter) of the deadline in force, local time.
	GroupByPeriod Grouping = "period"
)

// DefaultCompletionTarget is the completion rate, in percent, a row must reach when the
// request names none: "≥ 80 % of plan objectives achieved" (seed 004).
const DefaultCompletionTarget = 80

// StatisticsQuery selects and groups the occurrences counted; zero fields do not filter.
type StatisticsQuery struct {
	GroupBy Grouping
	// DocumentID keeps one document's occurrences; UnitID those the unit leads.
	DocumentID, UnitID string
	// Year keeps occurrences whose deadline in force falls in that local year.
	Year int
	// Quarterly splits GroupByPeriod rows by quarter.
	Quarterly bool
	// TargetPercent is the completion rate a row must reach (0: DefaultCompletionTarget).
	TargetPercent float64
	// AsOf is when open work is judged overdue (zero: now).
	AsOf time.Time
}

// OutcomeCounts counts occurrences in the Government Office's split (tracking.Outcome).
type OutcomeCounts struct {
	DoneOnTime, DoneLate, OpenWithinDeadline, OpenOverdue int
	// Closed counts cancelled and recalled occurrences, which are in no column.
	Closed int
}

// Total is the occurrences in the four columns.
func (c OutcomeCounts) Total() int {
	return c.DoneOnTime + c.DoneLate + c.OpenWithinDeadline + c.OpenOverdue
}

// StatisticsGroup is the counts of one unit, document or period, as the store finds them.
type StatisticsGroup struct {
	// UnitID is set per unit; DocumentID, DocumentNumber and DocumentTitle per document;
	// Year (0: no deadline) and Quarter (quarterly only) per period.
	UnitID                                    string
	DocumentID, DocumentNumber, DocumentTitle string
	Year, Quarter                             int
	Counts                                    OutcomeCounts
}

// StatisticsStore counts occurrences. postgres.Store implements it.
type StatisticsStore interface {
	// CountOutcomes returns the counts of each group of q at q.AsOf, and of all the
	// occurrences q selects (each once).
	CountOutcomes(ctx context.Context, q StatisticsQuery) (groups []StatisticsGroup, total OutcomeCounts, err error)
}

// StatisticsRow is one row of the statistics: a group with what people read and the rates.
type StatisticsRow struct {
	StatisticsGroup
	// Label is the unit's name, the document's number and title, or the period, in Vietnamese.
	Label string
	// CompletionRate is done over total, OverdueShare done late or open overdue over total,
	// both in percent (0 when total is 0).
	CompletionRate, OverdueShare float64
	// MeetsTarget says whether CompletionRate reaches the target.
	MeetsTarget bool
}

// StatisticsReport is the statistics of one query.
type StatisticsReport struct {
	Rows          []StatisticsRow
	Total         StatisticsRow
	TargetPercent float64
	AsOf          time.Time
}

// Statistics computes task statistics.
type Statistics struct {
	store StatisticsStore
	dir   Directory
	now   func() time.Time
}

// NewStatistics returns the statistics use case; dir names the units of rows per unit.
func NewStatistics(store StatisticsStore, dir Directory, now func() time.Time) *Statistics {
	return &Statistics{store: store, dir: dir, now: now}
}

// TaskStatistics counts the occurrences q selects, grouped, labels the rows in Vietnamese
// and derives the rates. Rows per unit are named through the directory with the caller's
// rights; a unit it does not show keeps its id as label.
func (s *Statistics) TaskStatistics(ctx context.Context, q StatisticsQuery) (StatisticsReport, error) {
	if q.GroupBy == "" {
		q.GroupBy = GroupByUnit
	}
	if q.TargetPercent == 0 {
		q.TargetPercent = DefaultCompletionTarget
	}
	if q.AsOf.IsZero() {
		q.AsOf = s.now()
	}
	groups, total, err := s.store.CountOutcomes(ctx, q)
	if err != nil {
		return StatisticsReport{}, fmt.Errorf("task statistics by %s: %w", q.GroupBy, err)
	}
	names := map[string]string{}
	if q.GroupBy == GroupByUnit && len(groups) > 0 {
		units, err := s.dir.Units(ctx)
		if err != nil {
			return StatisticsReport{}, fmt.Errorf("task statistics: unit names: %w", err)
		}
		for _, u := range units {
			names[u.ID] = u.Name
		}
	}
	rep := StatisticsReport{TargetPercent: q.TargetPercent, AsOf: q.AsOf}
	for _, g := range groups {
		r := row(g, q.TargetPercent)
		switch q.GroupBy {
		case GroupByUnit:
			r.Label = cmp.Or(names[g.UnitID], g.UnitID)
		case GroupByDocument:
			r.Label = g.DocumentNumber + " – " + g.DocumentTitle
		case GroupByPeriod:
			r.Label = periodLabel(g.Year, g.Quarter)
		}
		rep.Rows = append(rep.Rows, r)
	}
	slices.SortStableFunc(rep.Rows, func(a, b StatisticsRow) int {
		if q.GroupBy == GroupByPeriod {
			// Chronological, no deadline last.
			ay, by := cmp.Or(a.Year, 1<<30), cmp.Or(b.Year, 1<<30)
			return cmp.Or(cmp.Compare(ay, by), cmp.Compare(a.Quarter, b.Quarter))
		}
		return cmp.Compare(vntext.Fold(a.Label), vntext.Fold(b.Label))
	})
	rep.Total = row(StatisticsGroup{Counts: total}, q.TargetPercent)
	rep.Total.Label = "Tổng cộng"
	return rep, nil
}

// row derives the rates of a group.
func row(g StatisticsGroup, target float64) StatisticsRow {
	r := StatisticsRow{StatisticsGroup: g}
	if n := g.Counts.Total(); n > 0 {
		r.CompletionRate = percent(g.Counts.DoneOnTime+g.Counts.DoneLate, n)
		r.OverdueShare = percent(g.Counts.DoneLate+g.Counts.OpenOverdue, n)
		// Compared exactly, not on the rounded rate: 79.996 % does not reach 80 %.
		r.MeetsTarget = float64(g.Counts.DoneOnTime+g.Counts.DoneLate)*100 >= target*float64(n)
	}
	return r
}

// percent is part over whole in percent, rounded to two decimals as reports print it.
func percent(part, whole int) float64 {
	return math.Round(float64(part)*10000/float64(whole)) / 100
}

var romanQuarters = [...]string{"", "I", "II", "III", "IV"}

// periodLabel names a period as Vietnamese reports do: "Năm 2024", "Quý II/2024".
func periodLabel(year, quarter int) string {
	switch {
	case year == 0:
		return "Không có thời hạn"
	case quarter >= 1 && quarter <= 4:
		return fmt.Sprintf("Quý %s/%d", romanQuarters[quarter], year)
	default:
		return fmt.Sprintf("Năm %d", year)
	}
}
