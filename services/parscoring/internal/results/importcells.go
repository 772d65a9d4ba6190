package results

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// This file reads the cells of a published table the way the Ministry and provinces write
// them: Vietnamese headers over one or two rows under a title, a row of column numbers,
// comma decimals, percent signs, non-breaking spaces, field codes written "Lĩnh vực 1" or
// "II", ranks written "04/63", and notes or national averages after the data. A variant is
// read only when it has one meaning; otherwise the row and column are reported.

// cleanCell removes what a spreadsheet or a word processor adds around a value: byte-order
// marks, zero-width spaces and any Unicode space (the non-breaking U+00A0 and narrow U+202F
// of copied web tables), and collapses inner runs of spaces to one.
func cleanCell(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\uFEFF' || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060':
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// figure is a number read from a cell.
type figure struct {
	value   methodology.Points
	percent bool // written with a trailing "%"
}

// errFigure is a cell that is not a figure, with the reason in Vietnamese.
type errFigure string

func (e errFigure) Error() string { return string(e) }

// parseFigure reads a score or an index written "85.32", "85,32", "85,32 %", "−0,5" or as
// an XLSX cell stores a two-decimal number (85.319999999999993). A comma is a decimal
// separator when it has at most two digits after it; "85,325" (three digits: decimals or
// thousands?) and a number with both a comma and a dot are refused as ambiguous, and so are
// more than two written decimals (rounding them would change a published figure).
func parseFigure(raw string) (figure, error) {
	s := strings.ReplaceAll(cleanCell(raw), " ", "")
	var f figure
	if s == "" {
		return f, errFigure("ô trống: cần ghi số điểm")
	}
	s = strings.NewReplacer("\u2212", "-", "\u2013", "-").Replace(s) // minus sign, en dash
	if rest, ok := strings.CutSuffix(s, "%"); ok {
		s, f.percent = rest, true
	}
	if strings.Contains(s, ",") {
		whole, frac, _ := strings.Cut(s, ",")
		switch {
		case strings.Contains(s, "."):
			return f, errFigure(fmt.Sprintf("số %q có cả dấu phẩy và dấu chấm: không rõ đâu là dấu thập phân", raw))
		case strings.Contains(frac, ","):
			return f, errFigure(fmt.Sprintf("số %q có nhiều dấu phẩy", raw))
		case len(frac) == 3 && digitsOnly(frac):
			return f, errFigure(fmt.Sprintf("số %q có ba chữ số sau dấu phẩy: không rõ là phần thập phân hay dấu phân cách hàng nghìn", raw))
		}
		s = whole + "." + frac
	}
	p, err := methodology.ParsePoints(s)
	if err == nil {
		f.value = p
		return f, nil
	}
	// An XLSX cell keeps a typed 85.32 as the nearest double, which may print with 15 or
	// more digits. Such a value is read back to its two decimals; a value that really has
	// more (85.325) is not.
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) >= 12 {
		if v, perr := strconv.ParseFloat(s, 64); perr == nil && math.Abs(v*100-math.Round(v*100)) < 1e-6 {
			if p, err := methodology.ParsePoints(strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64)); err == nil {
				f.value = p
				return f, nil
			}
		}
	}
	return f, errFigure(methodology.ErrBadPoints.Error())
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// rankPattern reads "4", "04", "thứ 4", "4/63", "04 / 63", or an XLSX integer stored as
// "4.0".
var rankPattern = regexp.MustCompile(`^(?:thu ?)?0*([0-9]+)(?:\.0+)?(?: ?/ ?0*([0-9]+))?$`)

// parseRank reads a rank cell; of is the group size when written "4/63", else 0. An empty
// cell is no rank.
func parseRank(raw string) (rank, of int, err error) {
	s := vntext.Fold(cleanCell(raw))
	if s == "" {
		return 0, 0, nil
	}
	m := rankPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("not a rank: %q", raw)
	}
	rank, err = strconv.Atoi(m[1])
	if err != nil || rank <= 0 || rank > 100000 {
		return 0, 0, fmt.Errorf("not a rank: %q", raw)
	}
	if m[2] != "" {
		if of, err = strconv.Atoi(m[2]); err != nil || of <= 0 || of > 100000 {
			return 0, 0, fmt.Errorf("not a rank: %q", raw)
		}
	}
	return rank, of, nil
}

// nodePrefixes are the words a table may write before a node's code, folded, longest first.
var nodePrefixes = []string{"tieu chi thanh phan", "tieu chi", "linh vuc", "tctp", "tc", "lv"}

// nodeCodePattern is a code after its prefix: "1", "1.1", "1.1.2", "II", "II.3", with an
// optional closing dot and an optional name after ":", "-" or a dash.
var nodeCodePattern = regexp.MustCompile(`^([0-9]+|[ivxl]+)((?:\.[0-9]+)*)\.?(?:\s*[:\-–—]\s*.*)?$`)

// totalLabels are what a table writes in the node column of a total row, folded.
var totalLabels = map[string]bool{"tong": true, "tong diem": true, "tong cong": true, "tong so diem": true, "chi so": true}

// readNodeCode maps a node cell to a node code of the set: "" for a total row. ok is false
// when the cell names no node of the set; read is then the code it was read as.
func readNodeCode(raw string, has func(string) bool) (code, read string, ok bool) {
	s := cleanCell(raw)
	if s == "" || totalLabels[vntext.Fold(s)] {
		return "", "", true
	}
	if has(s) {
		return s, s, true
	}
	f := strings.ReplaceAll(vntext.Fold(s), ". ", ".")
	for _, p := range nodePrefixes {
		if rest, cut := strings.CutPrefix(f, p); cut {
			f = strings.TrimLeft(rest, " .")
			break
		}
	}
	m := nodeCodePattern.FindStringSubmatch(f)
	if m == nil {
		return "", s, false
	}
	head := m[1]
	if head[0] > '9' {
		n := romanValue(head)
		if n == 0 {
			return "", s, false
		}
		head = strconv.Itoa(n)
	}
	read = head + m[2]
	return read, read, has(read)
}

// romanValue is the value of a Roman numeral up to 89 written in canonical form (lower
// case), or 0 when it is not one: "iiii" or "vx" are not codes anybody means.
func romanValue(s string) int {
	for n := 1; n < 90; n++ {
		if roman(n) == s {
			return n
		}
	}
	return 0
}

func roman(n int) string {
	var b strings.Builder
	for _, d := range []struct {
		v int
		s string
	}{{50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}} {
		for n >= d.v {
			b.WriteString(d.s)
			n -= d.v
		}
	}
	return b.String()
}

// summaryLabels start the rows a published table adds after its data — totals, the national
// average, notes, sources — folded. Such a row is skipped when it carries no subject code.
var summaryLabels = []string{"tong cong", "tong so", "tong", "trung binh", "binh quan", "ca nuoc", "ghi chu", "chu thich", "nguon"}

// isSummaryRow reports whether a row's first non-empty cell opens with a summary label.
func isSummaryRow(row []string) bool {
	for _, c := range row {
		f := vntext.Fold(cleanCell(c))
		if f == "" {
			continue
		}
		for _, l := range summaryLabels {
			if f == l || strings.HasPrefix(f, l+" ") || strings.HasPrefix(f, l+":") {
				return true
			}
		}
		return false
	}
	return false
}

// columnNumberCell is "(1)", "(2)" … as Vietnamese tables number their columns.
var columnNumberCell = regexp.MustCompile(`^\(([0-9]+)\)$`)

// isColumnNumberRow reports whether a row only numbers the columns: every non-empty cell is
// "(n)", or the non-empty cells are exactly 1, 2, 3 … (at least three of them).
func isColumnNumberRow(row []string) bool {
	n, bracketed, plain := 0, true, true
	for _, c := range row {
		s := strings.ReplaceAll(cleanCell(c), " ", "")
		if s == "" {
			continue
		}
		n++
		if !columnNumberCell.MatchString(s) {
			bracketed = false
		}
		if s != strconv.Itoa(n) {
			plain = false
		}
	}
	return n > 0 && (bracketed || (plain && n >= 3))
}
