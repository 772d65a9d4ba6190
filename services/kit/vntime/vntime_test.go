package vntime

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		parse   func(string) (Date, error)
		in      string
		want    Date
		wantErr bool
	}{
		{"iso", ParseISO, "2020-05-20", Date{2020, time.May, 20}, false},
		{"iso leap day", ParseISO, "2024-02-29", Date{2024, time.February, 29}, false},
		{"iso not leap", ParseISO, "2023-02-29", Date{}, true},
		{"iso vn form", ParseISO, "20/05/2020", Date{}, true},
		{"iso unpadded", ParseISO, "2020-5-20", Date{}, true},
		{"vn padded", ParseVN, "20/05/2020", Date{2020, time.May, 20}, false},
		{"vn unpadded", ParseVN, "20/5/2020", Date{2020, time.May, 20}, false},
		{"vn single digits", ParseVN, "1/1/2021", Date{2021, time.January, 1}, false},
		{"vn spaces trimmed", ParseVN, " 31/12/2025 ", Date{2025, time.December, 31}, false},
		{"vn 31 april", ParseVN, "31/04/2020", Date{}, true},
		{"vn month 13", ParseVN, "01/13/2020", Date{}, true},
		{"vn two-digit year", ParseVN, "20/05/20", Date{}, true},
		{"vn iso form", ParseVN, "2020-05-20", Date{}, true},
		{"vn sign", ParseVN, "+1/05/2020", Date{}, true},
		{"vn three-digit day", ParseVN, "020/05/2020", Date{}, true},
		{"vn empty", ParseVN, "", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidDate) {
					t.Fatalf("parse(%q) error = %v, want ErrInvalidDate", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	d := Date{2020, time.May, 2}
	if got, want := d.ISO(), "2020-05-02"; got != want {
		t.Errorf("ISO() = %q, want %q", got, want)
	}
	if got, want := d.VN(), "02/05/2020"; got != want {
		t.Errorf("VN() = %q, want %q", got, want)
	}
	back, err := ParseVN(d.VN())
	if err != nil || back != d {
		t.Errorf("ParseVN(VN()) = %v, %v; want %v", back, err, d)
	}
}

func TestEndOfDay(t *testing.T) {
	d := Date{2020, time.May, 20}
	end := d.EndOfDay()
	// 20/05/2020 24:00 in UTC+7 is 17:00 UTC the same day.
	want := time.Date(2020, time.May, 20, 16, 59, 59, 999999999, time.UTC)
	if !end.Equal(want) {
		t.Errorf("EndOfDay() = %v, want %v", end.UTC(), want)
	}
	if got := DateOf(end); got != d {
		t.Errorf("DateOf(EndOfDay()) = %v, want %v", got, d)
	}
	if got := DateOf(end.Add(time.Nanosecond)); got != d.AddDays(1) {
		t.Errorf("one ns after EndOfDay is %v, want %v", got, d.AddDays(1))
	}
	if got, want := d.Start(), time.Date(2020, time.May, 19, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Start() = %v, want %v", got.UTC(), want)
	}
}

func TestTodayUsesLocalZone(t *testing.T) {
	tests := []struct {
		utc  time.Time
		want Date
	}{
		{time.Date(2024, time.December, 31, 16, 59, 0, 0, time.UTC), Date{2024, time.December, 31}},
		{time.Date(2024, time.December, 31, 17, 0, 0, 0, time.UTC), Date{2025, time.January, 1}},
	}
	for _, tt := range tests {
		if got := Today(tt.utc); got != tt.want {
			t.Errorf("Today(%v) = %v, want %v", tt.utc, got, tt.want)
		}
	}
	if name, off := time.Now().In(Location).Zone(); name != "ICT" || off != 7*3600 {
		t.Errorf("Location zone = %s %d, want ICT 25200", name, off)
	}
}

func TestArithmeticAndOrder(t *testing.T) {
	d := Date{2024, time.February, 28}
	tests := []struct {
		n    int
		want Date
	}{
		{1, Date{2024, time.February, 29}},
		{2, Date{2024, time.March, 1}},
		{-59, Date{2023, time.December, 31}},
		{0, d},
	}
	for _, tt := range tests {
		if got := d.AddDays(tt.n); got != tt.want {
			t.Errorf("AddDays(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	a, b := Date{2024, time.March, 1}, Date{2024, time.February, 29}
	if !b.Before(a) || !a.After(b) || a.Compare(b) != 1 || b.Compare(a) != -1 || a.Compare(a) != 0 {
		t.Errorf("order of %v and %v is wrong", a, b)
	}
	if (Date{2023, time.December, 31}).Compare(Date{2024, time.January, 1}) != -1 {
		t.Error("year must dominate the comparison")
	}
}

func TestPeriodEnds(t *testing.T) {
	tests := []struct {
		year, q int
		want    Date
	}{
		{2025, 1, Date{2025, time.March, 31}},
		{2025, 2, Date{2025, time.June, 30}},
		{2025, 3, Date{2025, time.September, 30}},
		{2025, 4, Date{2025, time.December, 31}},
		{2025, 5, Date{2026, time.March, 31}},
		{2025, 0, Date{2024, time.December, 31}},
	}
	for _, tt := range tests {
		if got := QuarterEnd(tt.year, tt.q); got != tt.want {
			t.Errorf("QuarterEnd(%d, %d) = %v, want %v", tt.year, tt.q, got, tt.want)
		}
	}
	if got, want := YearEnd(2025), (Date{2025, time.December, 31}); got != want {
		t.Errorf("YearEnd = %v, want %v", got, want)
	}
	if q := (Date{2025, time.September, 30}).Quarter(); q != 3 {
		t.Errorf("Quarter() = %d, want 3", q)
	}
}

func TestJSON(t *testing.T) {
	type doc struct {
		Due  Date `json:"due"`
		None Date `json:"none"`
	}
	b, err := json.Marshal(doc{Due: Date{2025, time.June, 30}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"due":"2025-06-30","none":""}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc{Due: Date{2025, time.June, 30}}, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"due":"30/06/2025"}`), &back); !errors.Is(err, ErrInvalidDate) {
		t.Errorf("Unmarshal VN form error = %v, want ErrInvalidDate", err)
	}
}
