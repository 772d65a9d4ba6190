package tracking_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func TestCheckReportPeriod(t *testing.T) {
	whole := tracking.Occurrence{Period: tracking.Period{Kind: tracking.PeriodWhole}}
	y2022 := tracking.Occurrence{Period: tracking.Period{Kind: tracking.PeriodYear, Year: 2022}}
	h2 := tracking.Occurrence{Period: tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2022, Number: 2}}
	q := func(y, n int) tracking.Period {
		return tracking.Period{Kind: tracking.PeriodQuarter, Year: y, Number: n}
	}
	tests := []struct {
		name string
		p    tracking.Period
		o    tracking.Occurrence
		ok   bool
	}{
		{"quarter of a one-off task", q(2021, 3), whole, true},
		{"year of a one-off task", tracking.Period{Kind: tracking.PeriodYear, Year: 2025}, whole, true},
		{"year after the document", tracking.Period{Kind: tracking.PeriodYear, Year: 2026}, whole, false},
		{"quarter of the occurrence's year", q(2022, 4), y2022, true},
		{"quarter of another year", q(2023, 1), y2022, false},
		{"first quarter in the second half", q(2022, 1), h2, false},
		{"third quarter in the second half", q(2022, 3), h2, true},
		{"whole year in a half", tracking.Period{Kind: tracking.PeriodYear, Year: 2022}, h2, false},
		{"quarter 5", q(2022, 5), y2022, false},
		{"half 3", tracking.Period{Kind: tracking.PeriodHalfYear, Year: 2022, Number: 3}, y2022, false},
		{"whole is no report period", tracking.Period{Kind: tracking.PeriodWhole, Year: 2022}, whole, false},
	}
	for _, tt := range tests {
		err := tracking.CheckReportPeriod(tt.p, tt.o, 2021, 2025)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestNewReportingObligationDueDates(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	d := tracking.Document{ID: "doc", IssuerUnitID: "ubnd", PeriodStartYear: 2024, PeriodEndYear: 2024, Status: tracking.StatusIssued}
	n := 0
	newID := func() string { n++; return fmt.Sprint(n) }
	tests := []struct {
		cycle  tracking.ReportingCycle
		offset int
		want   []string // due days of the first reporter
	}{
		{tracking.CycleQuarterly, 0, []string{"2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"}},
		// "Before the 15th of the last month of the quarter".
		{tracking.CycleQuarterly, -15, []string{"2024-03-16", "2024-06-15", "2024-09-15", "2024-12-16"}},
		{tracking.CycleHalfYearly, 10, []string{"2024-07-10", "2025-01-10"}},
		{tracking.CycleYearly, -16, []string{"2024-12-15"}},
	}
	for _, tt := range tests {
		o, dues, err := tracking.NewReportingObligation(d, tracking.ReportingObligation{
			Cycle: tt.cycle, RecipientUnitID: "SNV", ReporterUnitIDs: []string{"a", "b"}, DueOffsetDays: tt.offset,
		}, "u", time.Now(), newID)
		if err != nil {
			t.Fatal(err)
		}
		if o.RecipientUnitID != "snv" || len(dues) != 2*len(tt.want) {
			t.Fatalf("%s %d: obligation %+v with %d dues", tt.cycle, tt.offset, o, len(dues))
		}
		var got []string
		for _, r := range dues {
			if r.UnitID != "a" {
				continue
			}
			local := r.Due.In(ict)
			if local.Hour() != 23 || local.Minute() != 59 {
				t.Errorf("due %v is not the end of a local day", local)
			}
			got = append(got, local.Format(time.DateOnly))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s %d: due %v, want %v", tt.cycle, tt.offset, got, tt.want)
		}
	}
	_, _, err := tracking.NewReportingObligation(d, tracking.ReportingObligation{Cycle: "weekly", ReporterUnitIDs: []string{"a", "a"}, DueOffsetDays: 90}, "u", time.Now(), newID)
	ves, ok := tracking.AsValidation(err)
	if !ok || len(ves) != 4 {
		t.Errorf("invalid obligation: %v, want cycle, recipient, duplicate reporter and offset", err)
	}
	d.Status = tracking.StatusSuperseded
	if _, _, err := tracking.NewReportingObligation(d, tracking.ReportingObligation{Cycle: tracking.CycleYearly, RecipientUnitID: "x", ReporterUnitIDs: []string{"a"}}, "u", time.Now(), newID); err == nil {
		t.Error("obligation on a superseded document accepted")
	}
}

func TestDueReportLate(t *testing.T) {
	due := time.Date(2024, 4, 15, 16, 59, 59, 0, time.UTC)
	r := tracking.DueReport{Due: due, State: tracking.DueReportOpen}
	if r.Late(due) || !r.Late(due.Add(time.Second)) {
		t.Error("open report: late only after the due time")
	}
	if err := r.Submit("  Báo cáo quý I  ", tracking.Actor{UnitID: "a"}, due.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !r.Late(due) || r.Narrative != "Báo cáo quý I" {
		t.Errorf("submitted an hour late: late=%v narrative=%q", r.Late(due), r.Narrative)
	}
	if err := r.Submit("again", tracking.Actor{}, due); err != tracking.ErrAlreadySubmitted {
		t.Errorf("second submission = %v", err)
	}
}
