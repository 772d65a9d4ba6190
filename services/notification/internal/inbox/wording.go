package inbox

import (
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
)

// Deadline words a deadline for people: the local date as dd/mm/yyyy, followed by the phrase
// of the document when it says more than the date ("31/12/2018 (Quý IV/2018)"); the phrase
// alone when there is no date ("Thường xuyên").
func Deadline(due time.Time, text string) string {
	text = strings.TrimSpace(text)
	if due.IsZero() {
		if text == "" {
			return "không ghi thời hạn"
		}
		return text
	}
	date := vntime.DateOf(due).VN()
	if text == "" || text == date {
		return date
	}
	return date + " (" + text + ")"
}

// documentKinds names the kinds of documents by the abbreviation their numbers carry, from
// the table of abbreviations of Decree 30/2020/NĐ-CP on administrative documents (Appendix
// III): "56/KH-UBND" is a plan (Kế hoạch). A letter (công văn) has no abbreviation of its
// own ("1722/UBND-TH") and falls back to "Văn bản", as does anything not listed.
var documentKinds = map[string]string{
	"NQ":  "Nghị quyết",
	"QĐ":  "Quyết định",
	"CT":  "Chỉ thị",
	"QC":  "Quy chế",
	"QYĐ": "Quy định",
	"TB":  "Thông báo",
	"HD":  "Hướng dẫn",
	"CTR": "Chương trình",
	"KH":  "Kế hoạch",
	"PA":  "Phương án",
	"ĐA":  "Đề án",
	"BC":  "Báo cáo",
	"TTR": "Tờ trình",
	"CĐ":  "Công điện",
}

// DocumentLabel returns how a message names a document: its kind read from the number,
// then the number ("Kế hoạch 56/KH-UBND"; "Văn bản 1722/UBND-TH").
func DocumentLabel(number string) string {
	number = strings.TrimSpace(number)
	if number == "" {
		return "văn bản"
	}
	kind := "Văn bản"
	if _, after, ok := strings.Cut(number, "/"); ok {
		abbr, _, _ := strings.Cut(after, "-")
		if k, ok := documentKinds[strings.ToUpper(strings.TrimSpace(abbr))]; ok {
			kind = k
		}
	}
	return kind + " " + number
}
