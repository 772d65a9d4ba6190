package importer

import (
	"io"

	"github.com/parindex/platform/services/kit/tabular"
)

// ErrUnreadableTable is wrapped by the errors of ReadCSV and ReadXLSX: the bytes are not a
// table at all, as opposed to a table with problems.
var ErrUnreadableTable = tabular.ErrUnreadable

// ErrTooManyRows matches (errors.Is) the error of ReadCSV and ReadXLSX for a table longer
// than maxTableRows; that error wraps ErrUnreadableTable, and its text is a whole Vietnamese
// sentence a person can act on.
var ErrTooManyRows = tabular.ErrTooManyRows

// maxTableRows bounds what an import reads; a plan's appendix has tens of rows and the
// contract allows 1000 tasks per document, so more is a wrong file, not a plan.
const maxTableRows = 5000

// ReadCSV reads a comma-separated table (UTF-8, with or without the byte-order mark Excel
// writes) into rows of cells, refusing a file that is not UTF-8 with the row of the first
// bad byte. Row i of the result is row i+1 as a spreadsheet shows the file: blank lines,
// which encoding/csv drops, come back as empty rows so that problems point at the right row.
func ReadCSV(r io.Reader) ([][]string, error) {
	return tabular.ReadCSV(r, tabular.Options{MaxRows: maxTableRows, KeepBlankLines: true, LazyQuotes: true})
}

// ReadXLSX reads the first visible sheet of an XLSX workbook into rows of cells as the
// sheet displays them (formatted values). Row i of the result is row i+1 of the sheet; a
// merged cell's value is in its top-left cell only, which is where a group heading spanning
// the table is read from.
func ReadXLSX(r io.Reader) ([][]string, error) {
	return tabular.ReadXLSX(r, tabular.Options{MaxRows: maxTableRows})
}
