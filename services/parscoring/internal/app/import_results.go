package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/kit/tabular"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// FileFormat is the format of an imported file.
type FileFormat int

// The formats ImportResults reads.
const (
	FormatCSV FileFormat = iota + 1
	FormatXLSX
)

// ImportCommand is an import of published results.
type ImportCommand struct {
	Year          int
	CriteriaSetID string
	Decision      string
	UnitID        string
	SubjectCode   string
	Format        FileFormat
	Content       []byte
	DryRun        bool
}

// ImportOutcome is what an import found and did.
type ImportOutcome struct {
	// Problems lists every problem; when not empty nothing was stored.
	Problems []results.Problem
	// Rows is the number of data rows read.
	Rows int
	// Snapshot is the stored snapshot; nil on a dry run or with problems.
	Snapshot *results.Snapshot
}

// Import reads results published by another body (the Ministry's provincial index) and,
// unless it is a dry run or a problem was found, freezes them as an imported snapshot with
// their events. Problems of the file are an outcome, not an error: the caller shows them
// all at once.
func (r *Results) Import(ctx context.Context, cmd ImportCommand) (ImportOutcome, error) {
	set, err := r.criteriaSet(ctx, cmd.CriteriaSetID)
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("import results: %w", err)
	}
	table, err := readTable(cmd.Format, cmd.Content)
	if err != nil {
		return ImportOutcome{Problems: []results.Problem{{Row: 0, Message: "không đọc được tệp: " + err.Error()}}}, nil
	}
	var out ImportOutcome
	snap, rows, problems := results.BuildImported(results.ImportInput{
		Year: cmd.Year, Set: set, Decision: cmd.Decision, UnitID: cmd.UnitID, SubjectCode: cmd.SubjectCode,
	}, table)
	out.Rows = rows
	if len(problems) > 0 || cmd.DryRun {
		out.Problems = problems
		return out, nil
	}
	if out.Snapshot, err = r.freeze(ctx, &snap, nil); err != nil {
		return ImportOutcome{}, fmt.Errorf("import results: %w", err)
	}
	return out, nil
}

// readTable returns the cells of a CSV file or of the first visible sheet of an XLSX workbook, in
// NFC so that Vietnamese headers and codes typed with combining marks match.
func readTable(format FileFormat, content []byte) ([][]string, error) {
	var (
		table [][]string
		err   error
	)
	switch format {
	case FormatCSV:
		// Blank lines kept, so that problems name the row a spreadsheet shows.
		if table, err = tabular.ReadCSV(bytes.NewReader(content), tabular.Options{KeepBlankLines: true, LazyQuotes: true}); err != nil {
			return nil, fmt.Errorf("CSV: %w", tabular.Cause(err))
		}
	case FormatXLSX:
		// Raw values: a score cell formatted to one decimal must not lose its second, and an
		// index cell formatted as a percent (stored 0.8532) reads "85.32%", which
		// results.parseFigure takes as 85.32 (as points only where the maximum is 100).
		// The first visible sheet: a hidden sheet is not the table a person sees.
		table, err = tabular.ReadXLSX(bytes.NewReader(content), xlsxOptions)
		if errors.Is(err, tabular.ErrNoSheet) {
			return nil, errors.New("XLSX: no sheet")
		}
		if err != nil {
			return nil, fmt.Errorf("XLSX: %w", tabular.Cause(err))
		}
		if err := fillMerged(table, content); err != nil {
			return nil, fmt.Errorf("XLSX: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown format %d", format)
	}
	for _, row := range table {
		for i := range row {
			row[i] = vntext.NFC(row[i])
		}
	}
	return table, nil
}

// xlsxOptions are the options of the XLSX read; fillMerged looks at the sheet they read.
var xlsxOptions = tabular.Options{RawValues: true}

// fillMerged copies the value of each merged range of the sheet ReadXLSX read (the first
// visible one) into every cell of the range. The Ministry's tables merge a province's name down over its
// field rows and a header down over two header rows; a reader sees the value in each cell,
// so the import does too.
func fillMerged(table [][]string, content []byte) error {
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{UnzipSizeLimit: tabular.DefaultMaxUnzipped})
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	sheet := tabular.SheetToRead(f, xlsxOptions)
	if sheet == "" {
		return nil
	}
	merged, err := f.GetMergeCells(sheet)
	if err != nil {
		return err
	}
	for _, m := range merged {
		c1, r1, err := excelize.CellNameToCoordinates(m.GetStartAxis())
		if err != nil {
			return err
		}
		c2, r2, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err != nil {
			return err
		}
		if r1 > len(table) {
			continue
		}
		v := cellAt(table, r1-1, c1-1)
		for r := r1; r <= min(r2, len(table)); r++ {
			for c := c1; c <= c2 && c <= tableMaxCols; c++ {
				row := table[r-1]
				for len(row) < c {
					row = append(row, "")
				}
				row[c-1] = v
				table[r-1] = row
			}
		}
	}
	return nil
}

// tableMaxCols bounds how far right a merged range is filled: no published table is wider,
// and a range merged across a whole row (A1:XFD1) must not make rows of 16,384 cells.
const tableMaxCols = 200

func cellAt(table [][]string, r, c int) string {
	if r < len(table) && c < len(table[r]) {
		return table[r][c]
	}
	return ""
}
