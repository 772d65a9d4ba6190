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
	// formatted to one decimal keeps its second.
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
	sheet := ""
	for _, name := range f.GetSheetList() {
		if opt.HiddenSheets {
			sheet = name
			break
		}
		if visible, err := f.GetSheetVisible(name); err == nil && visible {
			sheet = name
			break
		}
	}
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
	return rows, nil
}
