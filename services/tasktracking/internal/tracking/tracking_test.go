package tracking_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func date(t *testing.T, iso string) vntime.Date {
	t.Helper()
	d, err := vntime.ParseISO(iso)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ict is UTC+7, written out here rather than taken from vntime so the test checks the
// package against an independent statement of the convention.
var ict = time.FixedZone("UTC+7", 7*3600)

// endOf is the last nanosecond of the local day y-m-d.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999999999, ict)
}

func TestTimingDue(t *testing.T) {
	tests := []struct {
		name   string
		timing tracking.Timing
		want   time.Time
		wantOK bool
	}{
		{
			name:   "date, 000 trước ngày 30/11/2018",
			timing: tracking.Timing{Kind: tracking.TimingDate, Date: date(t, "2018-11-30"), Text: "Trước ngày 30/11/2018"},
			want:   endOf(2018, time.November, 30), wantOK: true,
		},
		{
			name:   "quarter IV/2018",
			timing: tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018, Text: "Quý IV/2018"},
			want:   endOf(2018, time.December, 31), wantOK: true,
		},
		{
			name:   "quarter I of a leap year",
			timing: tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 1, Year: 2020},
			want:   endOf(2020, time.March, 31), wantOK: true,
		},
		{
			name:   "quarter II",
			timing: tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 2, Year: 2021},
			want:   endOf(2021, time.June, 30), wantOK: true,
		},
		{
			name:   "single year 2020",
			timing: tracking.Timing{Kind: tracking.TimingYear, Year: 2020, Text: "2020"},
			want:   endOf(2020, time.December, 31), wantOK: true,
		},
		{
			name:   "range 2021 - 2025",
			timing: tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "2021 - 2025"},
			want:   endOf(2025, time.December, 31), wantOK: true,
		},
		{name: "yearly", timing: tracking.Timing{Kind: tracking.TimingYearly, Text: "Hằng năm"}},
		{name: "continuous", timing: tracking.Timing{Kind: tracking.TimingContinuous, Text: "Thường xuyên"}},
		{name: "conditional", timing: tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ"}},
		{name: "none", timing: tracking.Timing{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.timing.Due()
			if ok != tt.wantOK {
				t.Fatalf("Due() ok = %v, want %v", ok, tt.wantOK)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Due() = %v, want %v", got, tt.want)
			}
			// The instant in UTC is 17:00 minus a nanosecond the same day: the end of the
			// local day is not the end of the UTC day.
			if ok && got.UTC().Hour() != 16 {
				t.Errorf("Due() in UTC = %v, want 16:59:59.999999999", got.UTC())
			}
		})
	}
}

// validDraft is a document shaped like the appendix of Plan 56/KH-UBND (seed 001).
func validDraft(t *testing.T) tracking.Document {
	t.Helper()
	return tracking.Document{
		Number:          "56/KH-UBND",
		Kind:            tracking.KindPlan,
		IssuerUnitID:    "0190a1b2-0000-7000-8000-000000000001",
		SignedOn:        date(t, "2020-05-20"),
		Title:           "Kế hoạch cải cách hành chính giai đoạn 2021 - 2025",
		PeriodStartYear: 2021,
		PeriodEndYear:   2025,
		Tasks: []tracking.Task{
			{
				Code:               "III.3",
				Group:              tracking.GroupProcedures,
				Content:            "Rà soát, đơn giản hóa thủ tục hành chính",
				LeadUnitIDs:        []string{"0190a1b2-0000-7000-8000-000000000002"},
				CooperatingUnitIDs: []string{"0190a1b2-0000-7000-8000-000000000003", "0190a1b2-0000-7000-8000-000000000004"},
				Start:              tracking.Timing{Kind: tracking.TimingYear, Year: 2021, Text: "2021"},
				Deadline:           tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "2021 - 2025"},
				CriteriaCodes:      []string{"3.1.2"},
			},
			{
				Code:        "1.1.d",
				Content:     "Báo cáo kết quả",
				LeadUnitIDs: []string{"0190a1b2-0000-7000-8000-000000000003"},
				Deadline:    tracking.Timing{Kind: tracking.TimingContinuous, Text: "Thường xuyên"},
			},
		},
	}
}

func sequentialIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("id-%d", n)
	}
}

func TestNewDocumentSetsIDsAndNormalises(t *testing.T) {
	draft := validDraft(t)
	// "Kế hoạch" typed on a machine that sends decomposed (NFD) text.
	draft.Title = "Ke\u0302\u0301 hoa\u0323ch  "
	draft.Number = " 56/KH-UBND "
	draft.Tasks[0].Deadline.Text = " 2021 - 2025 "
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)

	got, err := tracking.NewDocument(draft, "user-1", now, sequentialIDs())
	if err != nil {
		t.Fatalf("NewDocument: %v", err)
	}
	if got.Title != "Kế hoạch" {
		t.Errorf("Title = %q, want NFC %q", got.Title, "Kế hoạch")
	}
	if got.Number != "56/KH-UBND" {
		t.Errorf("Number = %q, want trimmed", got.Number)
	}
	if got.Tasks[0].Deadline.Text != " 2021 - 2025 " {
		t.Errorf("deadline text = %q, want verbatim", got.Tasks[0].Deadline.Text)
	}
	if got.ID != "id-1" || got.Tasks[0].ID != "id-2" || got.Tasks[1].ID != "id-3" {
		t.Errorf("ids = %s, %s, %s; want id-1..3", got.ID, got.Tasks[0].ID, got.Tasks[1].ID)
	}
	for _, task := range got.Tasks {
		if task.DocumentID != got.ID || !task.CreateTime.Equal(now) {
			t.Errorf("task %s: document %q, created %v", task.Code, task.DocumentID, task.CreateTime)
		}
	}
	if got.Status != tracking.StatusIssued || got.CreatedBy != "user-1" || !got.CreateTime.Equal(now) {
		t.Errorf("status %q, created by %q at %v", got.Status, got.CreatedBy, got.CreateTime)
	}
	// The draft passed in is not changed: callers may retry with it.
	if draft.Tasks[0].ID != "" {
		t.Error("NewDocument changed the draft's tasks")
	}
}

func TestNewDocumentRejects(t *testing.T) {
	const (
		lead = "0190a1b2-0000-7000-8000-000000000002"
		coop = "0190a1b2-0000-7000-8000-000000000003"
	)
	tests := []struct {
		name   string
		change func(d *tracking.Document)
		want   []string // fields reported
	}{
		{
			name:   "missing header fields",
			change: func(d *tracking.Document) { d.Number, d.Title, d.Kind, d.SignedOn = " ", "", "", vntime.Date{} },
			want:   []string{"number", "kind", "signed_on", "title"},
		},
		{
			name:   "period ends before it starts",
			change: func(d *tracking.Document) { d.PeriodEndYear = 2020 },
			want:   []string{"period_end_year"},
		},
		{
			name:   "duplicate task code",
			change: func(d *tracking.Document) { d.Tasks[1].Code = " III.3" },
			want:   []string{"tasks[1].code"},
		},
		{
			name:   "no lead unit",
			change: func(d *tracking.Document) { d.Tasks[1].LeadUnitIDs = nil },
			want:   []string{"tasks[1].lead_unit_ids"},
		},
		{
			name: "lead also cooperating, in another case",
			change: func(d *tracking.Document) {
				d.Tasks[0].CooperatingUnitIDs = []string{coop, strings.ToUpper(lead)}
			},
			want: []string{"tasks[0].cooperating_unit_ids[1]"},
		},
		{
			name:   "duplicate lead",
			change: func(d *tracking.Document) { d.Tasks[1].LeadUnitIDs = []string{coop, coop} },
			want:   []string{"tasks[1].lead_unit_ids[1]"},
		},
		{
			name:   "no deadline",
			change: func(d *tracking.Document) { d.Tasks[0].Deadline = tracking.Timing{} },
			want:   []string{"tasks[0].deadline"},
		},
		{
			name:   "date deadline without a date",
			change: func(d *tracking.Document) { d.Tasks[0].Deadline = tracking.Timing{Kind: tracking.TimingDate} },
			want:   []string{"tasks[0].deadline.date"},
		},
		{
			name: "quarter out of range and no year",
			change: func(d *tracking.Document) {
				d.Tasks[0].Deadline = tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 5}
			},
			want: []string{"tasks[0].deadline.quarter", "tasks[0].deadline.year"},
		},
		{
			name: "year range backwards",
			change: func(d *tracking.Document) {
				d.Tasks[0].Deadline = tracking.Timing{Kind: tracking.TimingYear, Year: 2025, EndYear: 2021}
			},
			want: []string{"tasks[0].deadline.end_year"},
		},
		{
			name: "year without a year",
			change: func(d *tracking.Document) {
				d.Tasks[0].Deadline = tracking.Timing{Kind: tracking.TimingYear}
			},
			want: []string{"tasks[0].deadline.year"},
		},
		{
			name: "continuous with a date",
			change: func(d *tracking.Document) {
				d.Tasks[1].Deadline.Date = date(t, "2020-01-01")
				d.Tasks[1].Deadline.Year = 2020
			},
			want: []string{"tasks[1].deadline.date", "tasks[1].deadline.year"},
		},
		{
			name: "date with a quarter",
			change: func(d *tracking.Document) {
				d.Tasks[0].Start = tracking.Timing{Kind: tracking.TimingDate, Date: date(t, "2021-01-01"), Quarter: 1}
			},
			want: []string{"tasks[0].start.quarter"},
		},
		{
			name: "conditional without its words",
			change: func(d *tracking.Document) {
				d.Tasks[1].Deadline = tracking.Timing{Kind: tracking.TimingConditional}
			},
			want: []string{"tasks[1].deadline.text"},
		},
		{
			name:   "unknown timing kind",
			change: func(d *tracking.Document) { d.Tasks[1].Deadline.Kind = "weekly" },
			want:   []string{"tasks[1].deadline.kind"},
		},
		{
			name:   "bad criterion code",
			change: func(d *tracking.Document) { d.Tasks[0].CriteriaCodes = []string{"3..1"} },
			want:   []string{"tasks[0].criteria_codes[0]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDraft(t)
			tt.change(&d)
			_, err := tracking.NewDocument(d, "u", time.Now(), sequentialIDs())
			ves, ok := tracking.AsValidation(err)
			if !ok {
				t.Fatalf("NewDocument error = %v, want ValidationErrors", err)
			}
			var got []string
			for _, ve := range ves {
				if ve.Reason == "" {
					t.Errorf("%s: empty reason", ve.Field)
				}
				got = append(got, ve.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckUnits(t *testing.T) {
	d := validDraft(t)
	known := map[string]bool{
		"0190a1b2-0000-7000-8000-000000000001": true,
		"0190a1b2-0000-7000-8000-000000000002": true,
	}
	if got, want := len(d.UnitIDs()), 4; got != want {
		t.Errorf("UnitIDs() has %d ids, want %d distinct", got, want)
	}
	err := d.CheckUnits(func(id string) bool { return known[id] })
	ves, ok := tracking.AsValidation(err)
	if !ok {
		t.Fatalf("CheckUnits = %v, want ValidationErrors", err)
	}
	var got []string
	for _, ve := range ves {
		got = append(got, ve.Field)
	}
	want := []string{
		"tasks[0].cooperating_unit_ids[0]",
		"tasks[0].cooperating_unit_ids[1]",
		"tasks[1].lead_unit_ids[0]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if err := d.CheckUnits(func(string) bool { return true }); err != nil {
		t.Errorf("CheckUnits with every unit known = %v", err)
	}
}
