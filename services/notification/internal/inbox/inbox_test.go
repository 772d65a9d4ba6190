package inbox_test

import (
	"testing"
	"time"

	"github.com/parindex/platform/services/notification/internal/inbox"
)

var ict = time.FixedZone("UTC+7", 7*3600)

func TestDeadlineWording(t *testing.T) {
	tests := []struct {
		name string
		due  time.Time
		text string
		want string
	}{
		{name: "date whose phrase says more", due: time.Date(2018, 11, 30, 23, 59, 59, 0, ict), text: "Trước ngày 30/11/2018", want: "30/11/2018 (Trước ngày 30/11/2018)"},
		{name: "date given in UTC", due: time.Date(2018, 11, 30, 16, 59, 59, 0, time.UTC), want: "30/11/2018"},
		{name: "phrase equal to the date", due: time.Date(2025, 12, 31, 23, 0, 0, 0, ict), text: "31/12/2025", want: "31/12/2025"},
		{name: "no date: the phrase verbatim", text: "Thường xuyên", want: "Thường xuyên"},
		{name: "nothing", want: "không ghi thời hạn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inbox.Deadline(tt.due, tt.text); got != tt.want {
				t.Errorf("Deadline = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDocumentLabel(t *testing.T) {
	tests := map[string]string{
		"56/KH-UBND":     "Kế hoạch 56/KH-UBND",
		"3373/QĐ-UBND":   "Quyết định 3373/QĐ-UBND",
		"13/CT-UBND":     "Chỉ thị 13/CT-UBND",
		"05/CTr-UBND":    "Chương trình 05/CTr-UBND",
		"1722/UBND-TH":   "Văn bản 1722/UBND-TH",
		"no-slash":       "Văn bản no-slash",
		" 7/kh-snv ":     "Kế hoạch 7/kh-snv",
		"":               "văn bản",
		"12/BC-UBND-VX ": "Báo cáo 12/BC-UBND-VX",
	}
	for number, want := range tests {
		if got := inbox.DocumentLabel(number); got != want {
			t.Errorf("DocumentLabel(%q) = %q, want %q", number, got, want)
		}
	}
}
