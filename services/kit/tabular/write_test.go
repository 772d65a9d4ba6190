package tabular_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/kit/tabular"
)

func TestCSVRoundTrip(t *testing.T) {
	records := [][]string{{"Mã", "Tên", "Ghi chú"}, {"1.1", "Cải cách thể chế", "có \"dấu nháy\", dấu phẩy\nvà xuống dòng"}}
	b, err := tabular.CSV(records)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Errorf("CSV starts %q, want the byte-order mark", b[:3])
	}
	got, err := tabular.ReadCSV(bytes.NewReader(b), tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(records, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestXLSXRoundTripVietnamese(t *testing.T) {
	// Precomposed and combining forms both survive byte for byte; "3.10" stays text.
	combining := "Ho\u0300a Bi\u0300nh"
	b, err := tabular.XLSX(
		tabular.Sheet{Name: "Tổng quan", Rows: [][]any{{"Mã", "Tên lĩnh vực / tiêu chí", "Điểm"}, {"3.10", "Xây dựng và tổ chức thực hiện văn bản QPPL", 14.5}, {"", combining, 7}},
			SheetOptions: tabular.SheetOptions{BoldHeader: true, Widths: map[int]float64{2: 60}}},
		tabular.Sheet{Name: "Đề xuất xử lý, khen thưởng", Rows: tabular.Strings([][]string{{"Đơn vị", "Hình thức"}, {"Ủy ban nhân dân huyện Đắk Glong", "Khen thưởng"}})},
	)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if diff := cmp.Diff([]string{"Tổng quan", "Đề xuất xử lý, khen thưởng"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	rows, err := f.GetRows("Tổng quan")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Mã", "Tên lĩnh vực / tiêu chí", "Điểm"}, {"3.10", "Xây dựng và tổ chức thực hiện văn bản QPPL", "14.5"}, {"", combining, "7"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("sheet 1 (-want +got):\n%s", diff)
	}
	if typ, _ := f.GetCellType("Tổng quan", "A2"); typ == excelize.CellTypeNumber {
		t.Errorf("A2 is a number, want text: 3.10 must not become 3.1")
	}
	if typ, _ := f.GetCellType("Tổng quan", "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("C2 type %v, want a number a spreadsheet can sum", typ)
	}
	style, _ := f.GetCellStyle("Tổng quan", "B1")
	st, err := f.GetStyle(style)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header B1 not bold (style %d, %v)", style, err)
	}
	if style, _ := f.GetCellStyle("Tổng quan", "B2"); style != 0 {
		t.Errorf("B2 has style %d, want the default", style)
	}
	if w, _ := f.GetColWidth("Tổng quan", "B"); w != 60 {
		t.Errorf("column B width %v, want 60", w)
	}
	rows, err = f.GetRows("Đề xuất xử lý, khen thưởng")
	if err != nil || len(rows) != 2 || rows[1][0] != "Ủy ban nhân dân huyện Đắk Glong" {
		t.Errorf("sheet 2 = %q, %v", rows, err)
	}
	// The kit's own reader takes it back the same way.
	back, err := tabular.ReadXLSX(bytes.NewReader(b), tabular.Options{})
	if err != nil || len(back) != 3 || back[2][1] != combining {
		t.Errorf("ReadXLSX = %q, %v", back, err)
	}
}

func TestXLSXWriterErrors(t *testing.T) {
	w := tabular.NewXLSXWriter()
	defer w.Close()
	if err := w.WriteRow([]any{"x"}); err == nil {
		t.Error("WriteRow before AddSheet: want an error")
	}
	if err := w.AddSheet("tên [sai]", tabular.SheetOptions{}); err == nil {
		t.Error("sheet name with [ ]: want an error")
	}
	if err := w.AddSheet(strings.Repeat("dài", 11), tabular.SheetOptions{}); err == nil {
		t.Error("sheet name over 31 characters: want an error")
	}
}

// BenchmarkXLSX compares the stream writer with excelize's in-memory SetSheetRow, the
// way the services wrote workbooks before: report the ratio of the two ns/op and B/op.
func BenchmarkXLSX(b *testing.B) {
	rows := make([][]any, 20_000)
	for i := range rows {
		rows[i] = []any{i, "Ủy ban nhân dân xã Quảng Sơn", "Hoàn thành đúng hạn", 88.6, "Đạt"}
	}
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tabular.XLSX(tabular.Sheet{Name: "Thống kê", Rows: rows}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-SetSheetRow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f := excelize.NewFile()
			for i, row := range rows {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
					b.Fatal(err)
				}
			}
			var buf bytes.Buffer
			if err := f.Write(&buf); err != nil {
				b.Fatal(err)
			}
			_ = f.Close()
		}
	})
}
