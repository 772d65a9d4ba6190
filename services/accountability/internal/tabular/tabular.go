// Package tabular reads and writes the tables people exchange with the secretariat: CSV
// (UTF-8, optional byte-order mark) and XLSX (first sheet). Both give and take plain
// records, header first, so the domain never sees a file format. The reading and writing
// are kit/tabular's; this package keeps accountability's wording of the errors.
package tabular

import (
	"bytes"
	"errors"
	"fmt"

	kit "github.com/parindex/platform/services/kit/tabular"
)

// ErrUnreadable means the bytes are not a table of the expected format.
var ErrUnreadable = errors.New("không đọc được tệp bảng")

// ReadCSV returns the records of a CSV table; rows may have different lengths. A file that
// is not UTF-8 is refused, naming the line of the first bad byte.
func ReadCSV(b []byte) ([][]string, error) {
	recs, err := kit.ReadCSV(bytes.NewReader(b), kit.Options{})
	if err != nil {
		return nil, fmt.Errorf("%w: CSV: %w", ErrUnreadable, kit.Cause(err))
	}
	return recs, nil
}

// WriteCSV returns records as CSV with a byte-order mark, so spreadsheet programs open the
// Vietnamese text as UTF-8.
func WriteCSV(records [][]string) ([]byte, error) {
	return kit.CSV(records)
}

// ReadXLSX returns the records of the first sheet of a workbook.
func ReadXLSX(b []byte) ([][]string, error) {
	rows, err := kit.ReadXLSX(bytes.NewReader(b), kit.Options{HiddenSheets: true})
	if errors.Is(err, kit.ErrNoSheet) {
		return nil, fmt.Errorf("%w: XLSX without sheets", ErrUnreadable)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: XLSX: %w", ErrUnreadable, kit.Cause(err))
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
	out := make([]kit.Sheet, len(sheets))
	for i, s := range sheets {
		out[i] = kit.Sheet{Name: s.Name, Rows: kit.Strings(s.Records), SheetOptions: kit.SheetOptions{BoldHeader: true}}
	}
	return kit.XLSX(out...)
}
