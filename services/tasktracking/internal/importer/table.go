package importer

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

// ErrUnreadableTable is wrapped by the errors of ReadCSV and ReadXLSX: the bytes are not a
// table at all, as opposed to a table with problems.
var ErrUnreadableTable = errors.New("không đọc được bảng")

// ErrTooManyRows is returned by ReadCSV and ReadXLSX for a table longer than maxTableRows;
// it wraps ErrUnreadableTable, and its text is a whole Vietnamese sentence a person can act on.
var ErrTooManyRows = fmt.Errorf("%w: bảng có hơn %d dòng", ErrUnreadableTable, maxTableRows)

// maxTableRows bounds what an import reads; a plan's appendix has tens of rows and the
// contract allows 1000 tasks per document, so more is a wrong file, not a plan.
const maxTableRows = 5000

// maxUnzippedXLSX bounds what ReadXLSX unzips, so a small compressed file cannot exhaust
// memory or disk.
const maxUnzippedXLSX = 256 << 20

// ReadCSV reads a comma-separated table (UTF-8, with or without the byte-order mark Excel
// writes) into rows of cells. Row i of the result is row i+1 as a spreadsheet shows the file:
// blank lines, which encoding/csv drops, come back as empty rows so that problems point at
// the right row.
func ReadCSV(r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadableTable, err)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	// A file saved in a legacy code page (TCVN3, VNI, Windows-1258) would otherwise import
	// as mojibake: task contents and unit names silently wrong. Refuse it, naming the row.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: tệp không phải mã UTF-8 (lỗi mã ký tự ở dòng %d); hãy lưu lại tệp dưới dạng CSV UTF-8", ErrUnreadableTable, invalidUTF8Line(data))
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	// nextLine is the line the next record starts on if no blank line comes first.
	nextLine := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreadableTable, err)
		}
		start, _ := cr.FieldPos(0)
		for ; nextLine < start; nextLine++ {
			rows = append(rows, nil)
		}
		last, _ := cr.FieldPos(len(rec) - 1)
		// A quoted cell may span lines; the record ends on the last one.
		nextLine = last + strings.Count(rec[len(rec)-1], "\n") + 1
		rows = append(rows, rec)
		if len(rows) > maxTableRows {
			return nil, ErrTooManyRows
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

// ReadXLSX reads the first visible sheet of an XLSX workbook into rows of cells as the
// sheet displays them (formatted values). Row i of the result is row i+1 of the sheet; a
// merged cell's value is in its top-left cell only, which is where a group heading spanning
// the table is read from.
func ReadXLSX(r io.Reader) ([][]string, error) {
	// A 5 MiB upload can unzip to gigabytes; no plan's appendix comes near this bound.
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxUnzippedXLSX})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadableTable, err)
	}
	defer f.Close()
	sheet := ""
	for _, name := range f.GetSheetList() {
		if visible, err := f.GetSheetVisible(name); err == nil && visible {
			sheet = name
			break
		}
	}
	if sheet == "" {
		return nil, fmt.Errorf("%w: tệp không có trang tính nào", ErrUnreadableTable)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadableTable, err)
	}
	if len(rows) > maxTableRows {
		return nil, ErrTooManyRows
	}
	return rows, nil
}
