package importer_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parindex/platform/services/tasktracking/internal/importer"
)

// FuzzAppendixImport feeds arbitrary files through the appendix importer (CSV reader, then
// the table parser with the demo directory's matcher). An importer faces files people
// exported from PDFs and spreadsheets: whatever arrives, it must answer with rows and
// problems or a clear error, never panic, and every problem must point at a row.
func FuzzAppendixImport(f *testing.F) {
	if b, err := os.ReadFile(fixture); err == nil {
		f.Add(b)
	}
	f.Add([]byte("STT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian bắt đầu,Thời gian hoàn thành\n1,Rà soát TTHC,Sở Nội vụ,Sở Tư pháp,2021,Quý IV/2021\n"))
	f.Add([]byte("\ufeffSTT;Nội dung\n\"1\";\"x\n"))
	m := demoMatcher(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := importer.ReadCSV(bytes.NewReader(data))
		if err != nil {
			return // refused as a whole with a reason: fine
		}
		res, err := importer.ParseAppendix(rows, m)
		if err != nil {
			if !errors.Is(err, importer.ErrNoHeader) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, p := range res.Problems {
			if p.Row <= 0 || !utf8.ValidString(p.Message) || p.Message == "" {
				t.Fatalf("problem without a row or a readable message: %+v", p)
			}
		}
	})
}

// FuzzParseTiming: any deadline phrase parses or is refused with an error, never a panic.
func FuzzParseTiming(f *testing.F) {
	for _, s := range []string{"trước ngày 30/11/2018", "Quý IV/2018", "Hằng năm", "Thường xuyên", "2020", "2021 - 2025", "Theo hướng dẫn của Bộ Nội vụ", "31/02/2020", "Quý 0/2019"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = importer.ParseTiming(s)
	})
}

// A CSV saved in a legacy Vietnamese code page is refused with the row of the first bad
// byte, rather than imported as mojibake (found by FuzzAppendixImport).
func TestReadCSVRefusesNonUTF8(t *testing.T) {
	_, err := importer.ReadCSV(bytes.NewReader([]byte("TT,Nội dung\n1,Ph\x9fng\n")))
	if !errors.Is(err, importer.ErrUnreadableTable) || !strings.Contains(err.Error(), "dòng 2") {
		t.Fatalf("err = %v, want ErrUnreadableTable naming row 2", err)
	}
}
