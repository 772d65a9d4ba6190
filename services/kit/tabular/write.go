package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// MediaTypeXLSX is the media type of an XLSX workbook.
const MediaTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// WriteCSV writes records as CSV preceded by a byte-order mark: without it Excel reads the
// file in the machine's code page and the diacritics come out garbled.
func WriteCSV(w io.Writer, records [][]string) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	return cw.WriteAll(records) // WriteAll flushes and returns the writer's error
}

// CSV returns records as CSV with a byte-order mark (see WriteCSV).
func CSV(records [][]string) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, records); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SheetOptions shape a sheet of a workbook.
type SheetOptions struct {
	// BoldHeader sets the sheet's first row bold.
	BoldHeader bool
	// Widths sets column widths (in characters) by 1-based column number.
	Widths map[int]float64
}

// XLSXWriter writes a workbook sheet by sheet and row by row through excelize's stream
// writer, which keeps a bounded part of a sheet in memory and spills the rest to a
// temporary file. Cells are written as given: a string stays text ("3.10" is not turned into
// a number and keeps its Vietnamese exactly), numbers stay numbers a spreadsheet can sum.
// Use: AddSheet, WriteRow…, (AddSheet, WriteRow…)…, WriteTo or Bytes, Close.
type XLSXWriter struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	sheets int
	row    int // rows written to the current sheet
	bold   int // style of the header row; 0 when the sheet has none
}

// NewXLSXWriter returns an empty workbook writer; Close releases its temporary files.
func NewXLSXWriter() *XLSXWriter {
	return &XLSXWriter{f: excelize.NewFile()}
}

// ErrNoSheetStarted is returned by WriteRow before AddSheet.
var ErrNoSheetStarted = errors.New("tabular: WriteRow before AddSheet")

// AddSheet ends the current sheet, if any, and starts a sheet named name (at most 31
// characters, no : \ / ? * [ ]).
func (w *XLSXWriter) AddSheet(name string, opt SheetOptions) error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.sheets == 0 {
		// A new workbook has one empty sheet; the first sheet takes its place.
		if err := w.f.SetSheetName(w.f.GetSheetName(0), name); err != nil {
			return err
		}
	} else if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	// The stream writer takes widths before the first row.
	for col, width := range opt.Widths {
		if err := sw.SetColWidth(col, col, width); err != nil {
			return err
		}
	}
	w.bold = 0
	if opt.BoldHeader {
		if w.bold, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
			return err
		}
	}
	w.sw, w.sheets, w.row = sw, w.sheets+1, 0
	return nil
}

// WriteRow appends a row to the current sheet. A cell is a string, a number (int…, float…),
// a bool, a time.Time, nil (empty) or an excelize.Cell.
func (w *XLSXWriter) WriteRow(cells []any) error {
	if w.sw == nil {
		return ErrNoSheetStarted
	}
	w.row++
	cell, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return err
	}
	var opts []excelize.RowOpts
	if w.row == 1 && w.bold != 0 {
		opts = append(opts, excelize.RowOpts{StyleID: w.bold})
	}
	if err := w.sw.SetRow(cell, cells, opts...); err != nil {
		return fmt.Errorf("row %d: %w", w.row, err)
	}
	return nil
}

func (w *XLSXWriter) flush() error {
	if w.sw == nil {
		return nil
	}
	sw := w.sw
	w.sw = nil
	return sw.Flush()
}

// WriteTo ends the current sheet and writes the workbook to out.
func (w *XLSXWriter) WriteTo(out io.Writer) (int64, error) {
	if err := w.flush(); err != nil {
		return 0, err
	}
	return w.f.WriteTo(out)
}

// Bytes ends the current sheet and returns the workbook.
func (w *XLSXWriter) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Close releases the workbook's temporary files.
func (w *XLSXWriter) Close() error { return w.f.Close() }

// Sheet is a whole sheet for XLSX.
type Sheet struct {
	// Name is the sheet's tab name.
	Name string
	// Rows are its rows, cells as WriteRow takes them.
	Rows [][]any
	SheetOptions
}

// XLSX returns a workbook of the sheets, in order.
func XLSX(sheets ...Sheet) ([]byte, error) {
	w := NewXLSXWriter()
	defer func() { _ = w.Close() }()
	for _, s := range sheets {
		if err := w.AddSheet(s.Name, s.SheetOptions); err != nil {
			return nil, err
		}
		for _, row := range s.Rows {
			if err := w.WriteRow(row); err != nil {
				return nil, err
			}
		}
	}
	return w.Bytes()
}

// Strings returns text records as rows for Sheet.Rows.
func Strings(records [][]string) [][]any {
	rows := make([][]any, len(records))
	for i, rec := range records {
		rows[i] = make([]any, len(rec))
		for j, c := range rec {
			rows[i][j] = c
		}
	}
	return rows
}
