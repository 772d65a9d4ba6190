package importer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// ErrInvalidTiming is wrapped by every error of ParseTiming. Its text is Vietnamese because
// the import shows it to the person who wrote the table.
var ErrInvalidTiming = errors.New("thời gian không hợp lệ")

// Years outside this range are typing mistakes in a reform plan, not real deadlines; the
// upper bound is the contract's (Timing.year ≤ 2200).
const (
	minYear = 1900
	maxYear = 2200
)

// The patterns run on vntext.Fold of the phrase, so case and diacritics do not matter and
// "Trước", "TRƯỚC" and "truoc" read the same. lead is the optional preposition in front of
// a time: "trước ngày", "đến ngày", "chậm nhất", "hoàn thành trong".
const lead = `^(?:(?:truoc|den|cham nhat|han|hoan thanh|trong|tu)\s+)*`

var (
	dateRe      = regexp.MustCompile(lead + `(?:ngay\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$`)
	dateWordsRe = regexp.MustCompile(lead + `ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})$`)
	monthRe     = regexp.MustCompile(lead + `thang\s+(\d{1,2})\s*(?:/|-|nam)\s*(\d{4})$`)
	quarterRe   = regexp.MustCompile(lead + `quy\s+([a-z]+|\d+)\s*(?:/|-|nam)\s*(\d{4})$`)
	yearRe      = regexp.MustCompile(lead + `(?:nam\s+)?(\d{4})$`)
	rangeRe     = regexp.MustCompile(lead + `(?:giai doan\s+)?(?:nam\s+)?(\d{4})\s*(?:-|den|toi)\s*(?:nam\s+)?(\d{4})$`)
	// anyDateRe finds dates inside conditional text, which must still be real days.
	anyDateRe = regexp.MustCompile(`(\d{1,2})/(\d{1,2})/(\d{4})`)
)

// ParseTiming reads a start or completion phrase of a plan as written in Vietnamese and
// returns its reading with Text set to the phrase (NFC, white space collapsed):
//
//   - a day: "trước ngày 30/11/2018", "đến ngày 31/12/2018", "Trước 30/6/2021", "30/11/2018",
//     "ngày 30 tháng 11 năm 2018" → TimingDate; a month "Tháng 6/2021" is read as its last
//     day, the same rule the domain applies to quarters and years;
//   - a quarter: "Quý IV/2018", "quý 4/2018", "Quý I năm 2021" → TimingQuarter;
//   - a year or a range: "2020", "Năm 2020", "2021 - 2025", "Giai đoạn 2021-2025" → TimingYear;
//   - "Hằng năm" (also spelled "Hàng năm") → TimingYearly; "Thường xuyên" → TimingContinuous;
//   - any other phrase with words of its own ("Theo hướng dẫn của Bộ Nội vụ", "Theo quy định
//     của pháp luật") → TimingConditional, kept verbatim.
//
// A phrase that has the shape of a time but is not a real one ("31/02/2020", "Quý V/2020",
// "2025 - 2021", "Năm 20201") is an error wrapping ErrInvalidTiming rather than conditional
// text: a typo must reach a person, not hide as a condition nobody computes. So is an empty
// phrase and conditional text quoting a day that does not exist.
func ParseTiming(text string) (tracking.Timing, error) {
	verbatim := collapse(text)
	if verbatim == "" {
		return tracking.Timing{}, fmt.Errorf("%w: chưa ghi thời gian", ErrInvalidTiming)
	}
	t := tracking.Timing{Text: verbatim}
	key := normaliseDashes(strings.TrimRight(vntext.Fold(verbatim), ".;, "))

	if m := dateRe.FindStringSubmatch(key); m != nil {
		return readDate(t, m[1], m[2], m[3])
	}
	if m := dateWordsRe.FindStringSubmatch(key); m != nil {
		return readDate(t, m[1], m[2], m[3])
	}
	if m := monthRe.FindStringSubmatch(key); m != nil {
		month, _ := strconv.Atoi(m[1])
		year, err := readYear(m[2])
		if err != nil {
			return tracking.Timing{}, err
		}
		if month < 1 || month > 12 {
			return tracking.Timing{}, fmt.Errorf("%w: tháng %d không có trong lịch", ErrInvalidTiming, month)
		}
		// A month is met by its last day: the day before the next month's first, or 31/12.
		last := vntime.YearEnd(year)
		if month < 12 {
			next, err := vntime.NewDate(year, time.Month(month+1), 1)
			if err != nil {
				return tracking.Timing{}, fmt.Errorf("%w: %w", ErrInvalidTiming, err)
			}
			last = next.AddDays(-1)
		}
		t.Kind = tracking.TimingDate
		t.Date = last
		return t, nil
	}
	if m := quarterRe.FindStringSubmatch(key); m != nil {
		q, ok := quarterNumber(m[1])
		if !ok {
			return tracking.Timing{}, fmt.Errorf("%w: quý %s không có, quý phải từ I đến IV", ErrInvalidTiming, strings.ToUpper(m[1]))
		}
		year, err := readYear(m[2])
		if err != nil {
			return tracking.Timing{}, err
		}
		t.Kind, t.Quarter, t.Year = tracking.TimingQuarter, q, year
		return t, nil
	}
	if m := yearRe.FindStringSubmatch(key); m != nil {
		year, err := readYear(m[1])
		if err != nil {
			return tracking.Timing{}, err
		}
		t.Kind, t.Year = tracking.TimingYear, year
		return t, nil
	}
	if m := rangeRe.FindStringSubmatch(key); m != nil {
		from, err := readYear(m[1])
		if err != nil {
			return tracking.Timing{}, err
		}
		to, err := readYear(m[2])
		if err != nil {
			return tracking.Timing{}, err
		}
		if to < from {
			return tracking.Timing{}, fmt.Errorf("%w: năm kết thúc %d trước năm bắt đầu %d", ErrInvalidTiming, to, from)
		}
		t.Kind, t.Year = tracking.TimingYear, from
		if to != from {
			t.EndYear = to
		}
		return t, nil
	}

	w := words(verbatim)
	switch w {
	case "hang nam", "moi nam", "dinh ky hang nam", "thuc hien hang nam":
		// "Hằng năm" and the variant "Hàng năm" fold to the same words.
		t.Kind = tracking.TimingYearly
		return t, nil
	case "thuong xuyen", "lien tuc", "thuong xuyen lien tuc", "thuc hien thuong xuyen":
		t.Kind = tracking.TimingContinuous
		return t, nil
	}
	if !hasOwnWords(w) {
		return tracking.Timing{}, fmt.Errorf("%w: không đọc được “%s” là ngày, quý, năm hay điều kiện", ErrInvalidTiming, verbatim)
	}
	// Conditional text may quote a day ("sau ngày 30/6/2021 theo hướng dẫn …"); a day that
	// does not exist is a typo even there.
	for _, m := range anyDateRe.FindAllStringSubmatch(key, -1) {
		if _, err := readDate(t, m[1], m[2], m[3]); err != nil {
			return tracking.Timing{}, err
		}
	}
	t.Kind = tracking.TimingConditional
	return t, nil
}

// readDate sets t to the day d/m/y, or reports a day missing from the calendar.
func readDate(t tracking.Timing, d, m, y string) (tracking.Timing, error) {
	day, _ := strconv.Atoi(d)
	month, _ := strconv.Atoi(m)
	year, err := readYear(y)
	if err != nil {
		return tracking.Timing{}, err
	}
	date, err := vntime.NewDate(year, time.Month(month), day)
	if err != nil {
		return tracking.Timing{}, fmt.Errorf("%w: ngày %s/%s/%s không có trong lịch", ErrInvalidTiming, d, m, y)
	}
	t.Kind, t.Date = tracking.TimingDate, date
	return t, nil
}

// readYear parses a four-digit year and keeps it in the plausible range.
func readYear(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < minYear || y > maxYear {
		return 0, fmt.Errorf("%w: năm %s nằm ngoài khoảng %d–%d", ErrInvalidTiming, s, minYear, maxYear)
	}
	return y, nil
}

// quarterNumber reads a quarter written in Roman (I–IV, as documents do) or Arabic digits.
func quarterNumber(s string) (int, bool) {
	switch s {
	case "i", "1":
		return 1, true
	case "ii", "2":
		return 2, true
	case "iii", "3":
		return 3, true
	case "iv", "4":
		return 4, true
	}
	return 0, false
}

// normaliseDashes turns the en and em dashes word processors put in "2021 – 2025" into '-'.
func normaliseDashes(s string) string {
	return strings.NewReplacer("–", "-", "—", "-", "‐", "-", "−", "-").Replace(s)
}

// hasOwnWords reports whether the words of a phrase include any beyond the vocabulary of
// times (prepositions, "ngày", "quý", "năm", Roman numerals). A phrase made only of that
// vocabulary and numbers was meant as a time, so failing to read it is an error; one with
// words of its own ("theo hướng dẫn …") is a condition.
func hasOwnWords(w string) bool {
	for _, tok := range strings.Fields(w) {
		if strings.Trim(tok, "0123456789") == "" {
			continue
		}
		switch tok {
		case "truoc", "den", "ngay", "thang", "nam", "quy", "han", "cham", "nhat", "trong",
			"hoan", "thanh", "tu", "giai", "doan", "toi", "i", "ii", "iii", "iv", "v", "vi", "x":
			continue
		}
		return true
	}
	return false
}
