package tabular_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/kit/tabular"
)

func TestReadCSVBOMAndVietnamese(t *testing.T) {
	in := "\uFEFFMã,Tên đơn vị\n01,Sở Nội vụ\n02,\"Ủy ban nhân dân, huyện\"\n"
	got, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Mã", "Tên đơn vị"}, {"01", "Sở Nội vụ"}, {"02", "Ủy ban nhân dân, huyện"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestReadCSVBlankLines(t *testing.T) {
	in := "a,b\n\n\"x\ny\",z\n\nc\n"
	dropped, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}, {"x\ny", "z"}, {"c"}}, dropped); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	// Row i is line i+1: the quoted cell spans lines 3–4, so "c" is on line 6.
	kept, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{KeepBlankLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}, nil, {"x\ny", "z"}, nil, {"c"}}, kept, cmp.Comparer(func(a, b []string) bool {
		return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
	})); diff != "" {
		t.Errorf("KeepBlankLines (-want +got):\n%s", diff)
	}
}

func TestReadCSVRefusesNonUTF8NamingTheRow(t *testing.T) {
	// "Phòng" in Windows-1258 has the byte 0xF2 for ò.
	in := []byte("TT,Nội dung\n1,Sở Tư pháp\n2,Ph\xf2ng\n")
	_, err := tabular.ReadCSV(bytes.NewReader(in), tabular.Options{})
	var nu *tabular.NotUTF8Error
	if !errors.Is(err, tabular.ErrUnreadable) || !errors.As(err, &nu) || nu.Line != 3 {
		t.Fatalf("err = %v, want ErrUnreadable with NotUTF8Error on line 3", err)
	}
	want := "không đọc được bảng: tệp không phải mã UTF-8 (lỗi mã ký tự ở dòng 3); hãy lưu lại tệp dưới dạng CSV UTF-8"
	if err.Error() != want {
		t.Errorf("text = %q, want %q", err.Error(), want)
	}
}

func TestReadCSVRowLimit(t *testing.T) {
	in := strings.Repeat("x\n", 10)
	if _, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{MaxRows: 10}); err != nil {
		t.Fatalf("10 rows with MaxRows 10: %v", err)
	}
	_, err := tabular.ReadCSV(strings.NewReader(in+"y\n"), tabular.Options{MaxRows: 10})
	if !errors.Is(err, tabular.ErrTooManyRows) || !errors.Is(err, tabular.ErrUnreadable) {
		t.Fatalf("11 rows: err = %v, want ErrTooManyRows", err)
	}
	if err.Error() != "không đọc được bảng: bảng có hơn 10 dòng" {
		t.Errorf("text = %q", err.Error())
	}
	// Blank lines count when they are kept: they are rows a person sees.
	_, err = tabular.ReadCSV(strings.NewReader("a\n"+strings.Repeat("\n", 20)+"b\n"), tabular.Options{MaxRows: 10, KeepBlankLines: true})
	if !errors.Is(err, tabular.ErrTooManyRows) {
		t.Fatalf("blank lines kept: err = %v, want ErrTooManyRows", err)
	}
}

func TestReadCSVQuotes(t *testing.T) {
	in := "a,5\" dài\n"
	if _, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{}); !errors.Is(err, tabular.ErrUnreadable) {
		t.Errorf("strict quotes: err = %v, want ErrUnreadable", err)
	}
	got, err := tabular.ReadCSV(strings.NewReader(in), tabular.Options{LazyQuotes: true})
	if err != nil || len(got) != 1 || got[0][1] != "5\" dài" {
		t.Errorf("lazy quotes: %q, %v", got, err)
	}
	// Cause gives the csv error for a service that words the failure itself.
	_, err = tabular.ReadCSV(strings.NewReader(in), tabular.Options{})
	if c := tabular.Cause(err); c == err || !strings.Contains(c.Error(), "quote") {
		t.Errorf("Cause = %v", c)
	}
}

// workbook builds an XLSX with the given sheets (name → rows); hidden names are hidden.
func workbook(t *testing.T, sheets []string, rows map[string][][]any, hidden ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range hidden {
		// The active sheet cannot be hidden: make the last one active.
		f.SetActiveSheet(len(sheets) - 1)
		if err := f.SetSheetVisible(name, false); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSXSheetChoice(t *testing.T) {
	b := workbook(t, []string{"Ẩn", "Phụ lục"}, map[string][][]any{
		"Ẩn":      {{"bí mật"}},
		"Phụ lục": {{"TT", "Nội dung"}, {}, {1, "Rà soát thủ tục hành chính"}},
	}, "Ẩn")
	got, err := tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"TT", "Nội dung"}, nil, {"1", "Rà soát thủ tục hành chính"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first visible sheet (-want +got):\n%s", diff)
	}
	got, err = tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{HiddenSheets: true})
	if err != nil || len(got) != 1 || got[0][0] != "bí mật" {
		t.Errorf("HiddenSheets: %q, %v", got, err)
	}
}

func TestReadXLSXRawValues(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetCellFloat("Sheet1", "A1", 14.25, -1, 64); err != nil {
		t.Fatal(err)
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 176, CustomNumFmt: ptr("0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "A1", "A1", style); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	shown, err := tabular.ReadXLSX(bytes.NewReader(buf.Bytes()), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tabular.ReadXLSX(bytes.NewReader(buf.Bytes()), tabular.Options{RawValues: true})
	if err != nil {
		t.Fatal(err)
	}
	if shown[0][0] == "14.25" || raw[0][0] != "14.25" {
		t.Errorf("formatted %q, raw %q; want the format applied only without RawValues", shown[0][0], raw[0][0])
	}
}

func ptr[T any](v T) *T { return &v }

func TestReadXLSXLimits(t *testing.T) {
	rows := make([][]any, 11)
	for i := range rows {
		rows[i] = []any{i}
	}
	b := workbook(t, []string{"Sheet1"}, map[string][][]any{"Sheet1": rows})
	if _, err := tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{MaxRows: 11}); err != nil {
		t.Fatalf("11 rows with MaxRows 11: %v", err)
	}
	_, err := tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{MaxRows: 10})
	if !errors.Is(err, tabular.ErrTooManyRows) || err.Error() != "không đọc được bảng: bảng có hơn 10 dòng" {
		t.Errorf("11 rows with MaxRows 10: err = %v, want ErrTooManyRows", err)
	}
	// The unzip bound refuses a workbook that unzips to more than allowed.
	_, err = tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{MaxUnzipped: 1024})
	if !errors.Is(err, tabular.ErrUnreadable) || !errors.Is(err, excelize.ErrOptionsUnzipSizeLimit) && !strings.Contains(err.Error(), "size") {
		t.Errorf("MaxUnzipped 1 KiB: err = %v, want an unzip size error", err)
	}
}

func TestReadXLSXNotAWorkbook(t *testing.T) {
	_, err := tabular.ReadXLSX(strings.NewReader("TT,Nội dung\n"), tabular.Options{})
	if !errors.Is(err, tabular.ErrUnreadable) {
		t.Errorf("CSV as XLSX: err = %v, want ErrUnreadable", err)
	}
	// A zip that is not a workbook.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("hello.txt")
	_, _ = w.Write([]byte("xin chào"))
	_ = zw.Close()
	_, err = tabular.ReadXLSX(&buf, tabular.Options{})
	if !errors.Is(err, tabular.ErrUnreadable) {
		t.Errorf("zip without a workbook: err = %v, want ErrUnreadable", err)
	}
}

// The Ministry's index tables store 85.32% as 0.8532 in a cell formatted as a percent.
// Raw values keep what the cell means, the exact percent with its sign; a literal "%" in
// quotes, a text cell and an unformatted number stay as stored.
func TestReadXLSXPercentCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	builtin9, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		t.Fatal(err)
	}
	builtin10, err := f.NewStyle(&excelize.Style{NumFmt: 10})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00%")})
	if err != nil {
		t.Fatal(err)
	}
	literal, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`0.00" %"`)})
	if err != nil {
		t.Fatal(err)
	}
	cells := []struct {
		cell  string
		value any
		style int
		raw   string
	}{
		{"A1", 0.8532, builtin9, "85.32%"},
		{"B1", 0.8532, builtin10, "85.32%"},
		{"C1", 0.8532, custom, "85.32%"},
		{"D1", 1, custom, "100%"},
		{"E1", 0.00005, custom, "0.005%"},
		{"F1", -0.05, builtin10, "-5%"},
		{"G1", 0.7, builtin9, "70%"},
		{"H1", "0.5", custom, "0.5"},
		{"I1", 0.8532, literal, "0.8532"},
		{"J1", 14.25, 0, "14.25"},
	}
	for _, c := range cells {
		if err := f.SetCellValue("Sheet1", c.cell, c.value); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("Sheet1", c.cell, c.cell, c.style); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	raw, err := tabular.ReadXLSX(bytes.NewReader(buf.Bytes()), tabular.Options{RawValues: true})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(cells))
	for i, c := range cells {
		want[i] = c.raw
	}
	if diff := cmp.Diff([][]string{want}, raw); diff != "" {
		t.Errorf("raw values (-want +got):\n%s", diff)
	}
	shown, err := tabular.ReadXLSX(bytes.NewReader(buf.Bytes()), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Formatted values are what Excel shows, rounded to the format's decimals.
	if diff := cmp.Diff([]string{"85%", "85.32%", "85.32%"}, shown[0][:3]); diff != "" {
		t.Errorf("formatted values (-want +got):\n%s", diff)
	}
}
