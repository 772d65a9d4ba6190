package importer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/importer"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func day(t *testing.T, y int, m time.Month, d int) vntime.Date {
	t.Helper()
	date, err := vntime.NewDate(y, m, d)
	if err != nil {
		t.Fatal(err)
	}
	return date
}

func TestParseTiming(t *testing.T) {
	tests := []struct {
		text string
		want tracking.Timing
	}{
		// Days.
		{"trước ngày 30/11/2018", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2018, 11, 30), Text: "trước ngày 30/11/2018"}},
		{"đến ngày 31/12/2018", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2018, 12, 31), Text: "đến ngày 31/12/2018"}},
		{"Trước 30/6/2021", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2021, 6, 30), Text: "Trước 30/6/2021"}},
		{"30/11/2018", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2018, 11, 30), Text: "30/11/2018"}},
		{"TRƯỚC NGÀY 05/01/2020.", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2020, 1, 5), Text: "TRƯỚC NGÀY 05/01/2020."}},
		{"Chậm nhất ngày 29/02/2024", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2024, 2, 29), Text: "Chậm nhất ngày 29/02/2024"}},
		{"trước ngày 30 tháng 11 năm 2018", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2018, 11, 30), Text: "trước ngày 30 tháng 11 năm 2018"}},
		{"  trước\n ngày   30/11/2018 ", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2018, 11, 30), Text: "trước ngày 30/11/2018"}},
		// A month is read as its last day.
		{"Tháng 6/2021", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2021, 6, 30), Text: "Tháng 6/2021"}},
		{"tháng 12 năm 2020", tracking.Timing{Kind: tracking.TimingDate, Date: day(t, 2020, 12, 31), Text: "tháng 12 năm 2020"}},
		// Quarters.
		{"Quý IV/2018", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018, Text: "Quý IV/2018"}},
		{"quý 4/2018", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018, Text: "quý 4/2018"}},
		{"Quý I năm 2021", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 1, Year: 2021, Text: "Quý I năm 2021"}},
		{"Trong quý III/2020", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 3, Year: 2020, Text: "Trong quý III/2020"}},
		{"QUÝ II - 2019", tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 2, Year: 2019, Text: "QUÝ II - 2019"}},
		// Years and ranges.
		{"2020", tracking.Timing{Kind: tracking.TimingYear, Year: 2020, Text: "2020"}},
		{"Năm 2020", tracking.Timing{Kind: tracking.TimingYear, Year: 2020, Text: "Năm 2020"}},
		{"Trong năm 2020", tracking.Timing{Kind: tracking.TimingYear, Year: 2020, Text: "Trong năm 2020"}},
		{"2021 - 2025", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "2021 - 2025"}},
		{"2021-2025", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "2021-2025"}},
		{"2021 – 2025", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "2021 – 2025"}},
		{"Giai đoạn 2021-2025", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "Giai đoạn 2021-2025"}},
		{"Từ năm 2021 đến năm 2025", tracking.Timing{Kind: tracking.TimingYear, Year: 2021, EndYear: 2025, Text: "Từ năm 2021 đến năm 2025"}},
		{"2020 - 2020", tracking.Timing{Kind: tracking.TimingYear, Year: 2020, Text: "2020 - 2020"}},
		// Recurring.
		{"Hằng năm", tracking.Timing{Kind: tracking.TimingYearly, Text: "Hằng năm"}},
		{"Hàng năm", tracking.Timing{Kind: tracking.TimingYearly, Text: "Hàng năm"}},
		{"HẰNG NĂM", tracking.Timing{Kind: tracking.TimingYearly, Text: "HẰNG NĂM"}},
		{"Hằng\nnăm", tracking.Timing{Kind: tracking.TimingYearly, Text: "Hằng năm"}},
		{"Thường xuyên", tracking.Timing{Kind: tracking.TimingContinuous, Text: "Thường xuyên"}},
		{"thuong xuyen.", tracking.Timing{Kind: tracking.TimingContinuous, Text: "thuong xuyen."}},
		// Conditions, kept verbatim.
		{"Theo hướng dẫn của Bộ Nội vụ", tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ"}},
		{"Theo quy định của pháp luật", tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo quy định của pháp luật"}},
		{"Theo\nhướng dẫn của Bộ Nội vụ và Kế hoạch của UBND tỉnh", tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ và Kế hoạch của UBND tỉnh"}},
		{"Sau khi có Nghị định của Chính phủ", tracking.Timing{Kind: tracking.TimingConditional, Text: "Sau khi có Nghị định của Chính phủ"}},
		{"Sau ngày 30/6/2021 theo yêu cầu", tracking.Timing{Kind: tracking.TimingConditional, Text: "Sau ngày 30/6/2021 theo yêu cầu"}},
		// Decomposed input (as macOS writes it) is stored composed.
		{"Th\u01b0\u01a1\u0300ng xuye\u0302n", tracking.Timing{Kind: tracking.TimingContinuous, Text: "Thường xuyên"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := importer.ParseTiming(tt.text)
			if err != nil {
				t.Fatalf("ParseTiming(%q): %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTiming(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParseTimingRejectsMalformed(t *testing.T) {
	for _, text := range []string{
		"",
		"   ",
		"31/02/2020",
		"trước ngày 31/02/2020",
		"32/1/2020",
		"30/13/2020",
		"Quý V/2020",
		"quý 0/2020",
		"Quý IIII/2020",
		"2025 - 2021",
		"Giai đoạn 2025-2021",
		"Năm 20201",
		"1800",
		"30/11",
		"Tháng 13/2020",
		"Theo kế hoạch, trước 31/4/2021",
	} {
		t.Run(text, func(t *testing.T) {
			got, err := importer.ParseTiming(text)
			if !errors.Is(err, importer.ErrInvalidTiming) {
				t.Fatalf("ParseTiming(%q) = %+v, %v; want an error wrapping ErrInvalidTiming", text, got, err)
			}
		})
	}
}
