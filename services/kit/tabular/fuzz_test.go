package tabular_test

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/kit/tabular"
)

// FuzzReadCSV checks, for any bytes, that ReadCSV either returns an ErrUnreadable or rows
// within the bound whose every cell is UTF-8, and that a table it read comes back the same
// through CSV.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"TT,Nội dung\n1,Sở Nội vụ\n",
		"\uFEFFMã,Tên\n\n\"a\nb\",c\n",
		"a,\"b\"\"c\",d\r\n",
		"Ph\xf2ng\n",
		"x,5\" dài\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, keepBlank bool) {
		opt := tabular.Options{MaxRows: 50, KeepBlankLines: keepBlank}
		rows, err := tabular.ReadCSV(bytes.NewReader(data), opt)
		if !readWithinBounds(t, rows, err) {
			return
		}
		var nonBlank [][]string
		for _, row := range rows {
			for _, c := range row {
				if !utf8.ValidString(c) {
					t.Fatalf("cell %q is not UTF-8", c)
				}
			}
			// encoding/csv writes a lone empty cell as a blank line, which reading drops.
			if row != nil && (len(row) > 1 || row[0] != "") {
				nonBlank = append(nonBlank, row)
			}
		}
		if keepBlank || len(nonBlank) == 0 {
			return
		}
		b, err := tabular.CSV(nonBlank)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tabular.ReadCSV(bytes.NewReader(b), tabular.Options{MaxRows: 50})
		if err != nil {
			t.Fatalf("re-reading what CSV wrote: %v", err)
		}
		if len(back) != len(nonBlank) {
			t.Fatalf("round trip: %d rows, want %d", len(back), len(nonBlank))
		}
	})
}

// FuzzReadXLSX checks that ReadXLSX survives any bytes, including mutated workbooks: an
// error is ErrUnreadable, rows stay within the bound.
func FuzzReadXLSX(f *testing.F) {
	b, err := tabular.XLSX(tabular.Sheet{Name: "Phụ lục", Rows: [][]any{{"TT", "Nội dung"}, {1, "Rà soát"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(percentWorkbook(f))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, raw := range []bool{false, true} {
			rows, err := tabular.ReadXLSX(bytes.NewReader(data), tabular.Options{MaxRows: 50, MaxUnzipped: 1 << 20, RawValues: raw})
			readWithinBounds(t, rows, err)
		}
	})
}

// percentWorkbook is a seed whose cells are formatted as percents, so that the fuzzer
// mutates the styles RawValues looks up.
func percentWorkbook(f *testing.F) []byte {
	x := excelize.NewFile()
	defer x.Close()
	style, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00%")})
	if err != nil {
		f.Fatal(err)
	}
	if err := x.SetSheetRow("Sheet1", "A1", &[]any{"Chỉ số", 0.8532}); err != nil {
		f.Fatal(err)
	}
	if err := x.SetCellStyle("Sheet1", "B1", "B1", style); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// readWithinBounds fails unless a read either failed with ErrUnreadable or returned at most
// 50 rows; it reports whether there are rows to look at.
func readWithinBounds(t *testing.T, rows [][]string, err error) bool {
	t.Helper()
	if err != nil {
		if !errors.Is(err, tabular.ErrUnreadable) {
			t.Fatalf("err = %v, want ErrUnreadable", err)
		}
		return false
	}
	if len(rows) > 50 {
		t.Fatalf("%d rows, want at most 50", len(rows))
	}
	return true
}
