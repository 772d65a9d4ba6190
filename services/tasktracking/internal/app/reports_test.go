package app_test

import (
	"bytes"
	"testing"

	"github.com/parindex/platform/services/tasktracking/internal/app"
)

func TestEvidenceMediaType(t *testing.T) {
	zip := []byte("PK\x03\x04rest")
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 20)...)
	tests := []struct {
		name, file, declared string
		head                 []byte
		want                 string
		ok                   bool
	}{
		{"pdf", "a.pdf", "", []byte("%PDF-1.7\n"), "application/pdf", true},
		{"pdf named .docx stays pdf", "a.docx", "", []byte("%PDF-1.7\n"), "application/pdf", true},
		{"png", "a.png", "", []byte("\x89PNG\r\n\x1a\n"), "image/png", true},
		{"docx", "Kế hoạch.DOCX", "", zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", true},
		{"xlsx by declared type", "bang", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", zip, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true},
		{"plain zip", "hs.zip", "", zip, "application/zip", true},
		{"legacy doc", "a.doc", "", ole, "application/msword", true},
		{"OLE container without an Office name", "a.bin", "", ole, "", false},
		{"OLE named .docx", "a.docx", "", ole, "", false},
		{"zip named .doc", "a.doc", "", zip, "", false},
		{"csv", "a.csv", "", []byte("a,b\n1,2\n"), "text/csv", true},
		{"text", "a.txt", "", []byte("Báo cáo"), "text/plain", true},
		{"executable named pdf", "a.pdf", "application/pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"), "", false},
		{"html", "a.pdf", "", []byte("<html><script>"), "", false},
	}
	for _, tt := range tests {
		got, ok := app.EvidenceMediaType(tt.head, tt.file, tt.declared)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: %q %v, want %q %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
