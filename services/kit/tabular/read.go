// Package tabular reads and writes the tables people exchange with the platform: CSV
// (UTF-8, with or without the byte-order mark Excel writes) and XLSX workbooks. Reading is
// bounded (rows, unzipped size) and refuses text that is not UTF-8, naming the row of the
// first bad byte, so that a file saved in a legacy Vietnamese code page (TCVN3, VNI,
// Windows-1258) is refused instead of imported as mojibake. Writing streams rows, so a
// large export does not hold a whole worksheet model in memory.
//
// Every service keeps its own wording around these errors: the causes are typed so that a
// caller can say, in its own sentence, what went wrong.
package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Default limits of a read; Options overrides them.
const (
	// DefaultMaxRows bounds the rows of a table. The platform's imports (plan appendices,
	// responsibility matrices, results, survey scores, criteria sets) are far below it.
	DefaultMaxRows = 100_000
	// DefaultMaxUnzipped bounds what an XLSX read unzips, so a small compressed upload
	// cannot exhaust memory or disk.
	DefaultMaxUnzipped = 256 << 20
)

// ErrUnreadable is wrapped by every error of ReadCSV and ReadXLSX: the bytes are not a table
// that can be read, as opposed to a table with problems in its cells.
var ErrUnreadable = errors.New("không đọc được bảng")

// ErrNoSheet is the cause when a workbook has no sheet to read (none at all, or none
// visible when hidden sheets are skipped).
var ErrNoSheet = errors.New("tệp không có trang tính nào")

// ErrTooManyRows matches (errors.Is) a TooManyRowsError.
var ErrTooManyRows = errors.New("bảng có quá nhiều dòng")

// TooManyRowsError is the cause when a table is longer than Options.MaxRows.
type TooManyRowsError struct {
	// Max is the limit that was exceeded.
	Max int
}

func (e *TooManyRowsError) Error() string { return fmt.Sprintf("bảng có hơn %d dòng", e.Max) }

// Is makes errors.Is(err, ErrTooManyRows) true.
func (e *TooManyRowsError) Is(target error) bool { return target == ErrTooManyRows }

// NotUTF8Error is the cause when a CSV file is not UTF-8.
type NotUTF8Error struct {
	// Line is the 1-based line of the first byte that is not UTF-8.
	Line int
}

func (e *NotUTF8Error) Error() string {
	return fmt.Sprintf("tệp không phải mã UTF-8 (lỗi mã ký tự ở dòng %d); hãy lưu lại tệp dưới dạng CSV UTF-8", e.Line)
}

// ReadError is an error of ReadCSV or ReadXLSX. Its text is ErrUnreadable's followed by the
// cause's; errors.Is matches both ErrUnreadable and the cause.
type ReadError struct {
	// Err is the cause: a *csv.ParseError, a zip or XML error of the workbook, ErrNoSheet,
	// a *TooManyRowsError or a *NotUTF8Error.
	Err error
}

func (e *ReadError) Error() string { return ErrUnreadable.Error() + ": " + e.Err.Error() }

// Unwrap returns ErrUnreadable and the cause.
func (e *ReadError) Unwrap() []error { return []error{ErrUnreadable, e.Err} }

// Cause returns the cause of a ReadError, or err itself when it is not one. Services that
// word the failure in their own sentence use it to keep the technical detail.
func Cause(err error) error {
	var re *ReadError
	if errors.As(err, &re) {
		return re.Err
	}
	return err
}

// Options shape a read. The zero value reads with the default limits, keeps the rows
// encoding/csv returns, and takes the first visible sheet's formatted values.
type Options struct {
	// MaxRows bounds the rows read (a blank line in the middle counts); 0 means
	// DefaultMaxRows.
	MaxRows int
	// MaxUnzipped bounds what an XLSX read unzips, in bytes; 0 means DefaultMaxUnzipped.
	MaxUnzipped int64
	// KeepBlankLines makes ReadCSV return blank lines, which encoding/csv drops, as empty
	// rows, so that row i of the result is row i+1 as a spreadsheet shows the file and
	// problems point at the right row.
	KeepBlankLines bool
	// LazyQuotes lets a quote appear in an unquoted cell, as people type them
	// (encoding/csv's LazyQuotes).
	LazyQuotes bool
	// RawValues makes ReadXLSX return cells as stored rather than as formatted: a score
	// formatted to one decimal keeps its second. A number formatted as a percent is the
	// exception: it is stored as a fraction (0.8532) but means, and is shown as, 85.32%,
	// so it is returned as the exact percent with its sign ("85.32%"), never "0.8532".
	RawValues bool
	// HiddenSheets makes ReadXLSX read the workbook's first sheet even when it is hidden;
	// by default it reads the first sheet a person sees.
	HiddenSheets bool
}

func (o Options) maxRows() int {
	if o.MaxRows > 0 {
		return o.MaxRows
	}
	return DefaultMaxRows
}

func (o Options) maxUnzipped() int64 {
	if o.MaxUnzipped > 0 {
		return o.MaxUnzipped
	}
	return DefaultMaxUnzipped
}

// bom is the UTF-8 byte-order mark Excel writes at the start of a "CSV UTF-8" file.
const bom = "\uFEFF"

// ReadCSV reads a comma-separated table into rows of cells; rows may have different lengths.
func ReadCSV(r io.Reader, opt Options) ([][]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &ReadError{Err: err}
	}
	data = bytes.TrimPrefix(data, []byte(bom))
	// A file saved in a legacy code page would otherwise import as mojibake: names and
	// contents silently wrong. Refuse it, naming the row.
	if !utf8.Valid(data) {
		return nil, &ReadError{Err: &NotUTF8Error{Line: invalidUTF8Line(data)}}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = opt.LazyQuotes
	limit := opt.maxRows()
	var rows [][]string
	// nextLine is the line the next record starts on if no blank line comes first.
	nextLine := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ReadError{Err: err}
		}
		if opt.KeepBlankLines {
			start, _ := cr.FieldPos(0)
			for ; nextLine < start && len(rows) <= limit; nextLine++ {
				rows = append(rows, nil)
			}
			last, _ := cr.FieldPos(len(rec) - 1)
			// A quoted cell may span lines; the record ends on the last one.
			nextLine = last + strings.Count(rec[len(rec)-1], "\n") + 1
		}
		rows = append(rows, rec)
		if len(rows) > limit {
			return nil, &ReadError{Err: &TooManyRowsError{Max: limit}}
		}
	}
	return rows, nil
}

// invalidUTF8Line returns the 1-based line of the first byte that is not UTF-8.
func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// ReadXLSX reads one sheet of an XLSX workbook (see Options.HiddenSheets) into rows of cells.
// Row i of the result is row i+1 of the sheet; trailing empty cells and rows are left out,
// as excelize's GetRows does; a merged cell's value is in its top-left cell only.
func ReadXLSX(r io.Reader, opt Options) ([][]string, error) {
	// A 5 MiB upload can unzip to gigabytes.
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: opt.maxUnzipped()})
	if err != nil {
		return nil, &ReadError{Err: err}
	}
	defer func() { _ = f.Close() }()
	sheet := SheetToRead(f, opt)
	if sheet == "" {
		return nil, &ReadError{Err: ErrNoSheet}
	}
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, &ReadError{Err: err}
	}
	defer func() { _ = it.Close() }()
	// The loop is excelize's GetRows with the row bound checked as it goes, so a sheet
	// with a million rows is refused before it is held in memory.
	maxRows := opt.maxRows()
	var rows [][]string
	cur, last := 0, 0
	for it.Next() {
		cur++
		row, err := it.Columns(excelize.Options{RawCellValue: opt.RawValues})
		if err != nil {
			break
		}
		if len(row) == 0 {
			continue
		}
		if cur > maxRows {
			return nil, &ReadError{Err: &TooManyRowsError{Max: maxRows}}
		}
		if blank := cur - last - 1; blank > 0 {
			rows = append(rows, make([][]string, blank)...)
		}
		rows = append(rows, row)
		last = cur
	}
	if err := it.Close(); err != nil {
		return nil, &ReadError{Err: err}
	}
	if opt.RawValues {
		if err := rawPercents(f, sheet, rows); err != nil {
			return nil, &ReadError{Err: err}
		}
	}
	return rows, nil
}

// SheetToRead returns the name of the sheet ReadXLSX reads from f with opt: the first
// visible one, or the first one with Options.HiddenSheets; "" when there is none. A caller
// that reads more of the workbook (merged ranges, say) uses it to look at the same sheet.
func SheetToRead(f *excelize.File, opt Options) string {
	for _, name := range f.GetSheetList() {
		if opt.HiddenSheets {
			return name
		}
		if visible, err := f.GetSheetVisible(name); err == nil && visible {
			return name
		}
	}
	return ""
}

// rawPercents rewrites the raw value of each number cell formatted as a percent to the
// percent a person sees: 0.8532 becomes "85.32%".
//
// Why "85.32%" and not "85.32" or "0.8532": the stored fraction would be read as 0.8532
// points by an import, and a bare "85.32" would lose the one thing that tells a consumer
// the figure is a percent, not points. Consumers already read the "85,32%" people type
// (parscoring's results import takes a '%' figure as points only where the maximum is
// 100 and refuses it elsewhere), so the sign keeps the cell unambiguous. The digits are
// the stored value's shortest decimal shifted two places, not value×100 in floating
// point, so no float noise (85.32000000000001) and no rounding to the format's decimals
// (a "0%" cell keeps 85.32, as raw values keep a score's second decimal).
//
// Excelize's row iterator does not give a cell's style, so only when the workbook has a
// percent style at all are the number cells looked up, after the row bound was checked.
func rawPercents(f *excelize.File, sheet string, rows [][]string) error {
	percent := percentStyles(f)
	if len(percent) == 0 {
		return nil
	}
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			shifted, ok := percentDigits(v)
			if !ok {
				continue
			}
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return err
			}
			style, err := f.GetCellStyle(sheet, cell)
			if err != nil {
				return err
			}
			if !percent[style] {
				continue
			}
			// A text cell that looks like a number is shown as typed, whatever its format.
			if typ, err := f.GetCellType(sheet, cell); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
				continue
			}
			row[c] = shifted + "%"
		}
	}
	return nil
}

// percentStyles returns the cell style ids (indexes of cellXfs) whose number format is a
// percent: the built-in 9 ("0%") and 10 ("0.00%"), or a custom format with a '%' that is
// not literal text.
func percentStyles(f *excelize.File) map[int]bool {
	ss := f.Styles
	if ss == nil || ss.CellXfs == nil {
		return nil
	}
	custom := map[int]bool{}
	if ss.NumFmts != nil {
		for _, nf := range ss.NumFmts.NumFmt {
			if nf != nil && percentFormat(nf.FormatCode) {
				custom[nf.NumFmtID] = true
			}
		}
	}
	var styles map[int]bool
	for i, xf := range ss.CellXfs.Xf {
		if xf.NumFmtID == nil {
			continue
		}
		if id := *xf.NumFmtID; id == 9 || id == 10 || custom[id] {
			if styles == nil {
				styles = map[int]bool{}
			}
			styles[i] = true
		}
	}
	return styles
}

// percentFormat reports whether a number format code multiplies by 100: it has a '%'
// outside quoted text ("0.00\" %\""), brackets ([Red], [$-42A]) and the character after
// a backslash, '_' (a space as wide as it) or '*' (repeated to fill).
func percentFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '%':
			return true
		case '\\', '_', '*':
			i++
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			i += j + 1
		}
	}
	return false
}

// percentDigits returns a stored number multiplied by 100 as an exact decimal: the
// shortest decimal that reads back as the stored double (0.85319999999999996 → 0.8532)
// with its point moved two places (85.32). ok is false when v is not a finite number.
func percentDigits(v string) (string, bool) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return "", false
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", max(0, 2-len(frac)))
	whole = strings.TrimLeft(whole+frac[:2], "0")
	if whole == "" {
		whole = "0"
	}
	if frac = frac[2:]; frac != "" {
		whole += "." + frac
	}
	if whole == "0" {
		sign = ""
	}
	return sign + whole, true
}
