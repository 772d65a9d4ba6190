// Package tabular reads and writes the tables people exchange with the secretariat: CSV
// (UTF-8, optional byte-order mark) and XLSX (first sheet). Both give and take plain
// records, header first, so the domain never sees a file format.
package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// ErrUnreadable means the bytes are not a table of the expected format.
var ErrUnreadable = errors.New("không đọc được tệp bảng")

// ReadCSV returns the records of a CSV table; rows may have different lengths.
func ReadCSV(b []byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: CSV: %w", ErrUnreadable, err)
	}
	return recs, nil
}

// WriteCSV returns records as CSV with a byte-order mark, so spreadsheet programs open the
// Vietnamese text as UTF-8.
func WriteCSV(records [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(records); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadXLSX returns the records of the first sheet of a workbook.
func ReadXLSX(b []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: XLSX: %w", ErrUnreadable, err)
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("%w: XLSX without sheets", ErrUnreadable)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("%w: XLSX: %w", ErrUnreadable, err)
	}
	return rows, nil
}

// Sheet is one named sheet of a workbook.
type Sheet struct {
	// Name is the sheet's tab name (at most 31 characters).
	Name string
	// Records are its rows, header first; the header is set bold.
	Records [][]string
}

// WriteXLSX returns a workbook with the sheets in order.
func WriteXLSX(sheets ...Sheet) ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	for i, s := range sheets {
		name := s.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		for r, rec := range s.Records {
			row := make([]any, len(rec))
			for c, v := range rec {
				row[c] = v
			}
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return nil, err
			}
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				return nil, err
			}
		}
		if len(s.Records) > 0 && len(s.Records[0]) > 0 {
			last, _ := excelize.CoordinatesToCellName(len(s.Records[0]), 1)
			if err := f.SetCellStyle(name, "A1", last, bold); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
