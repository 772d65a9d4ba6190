package blob_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parindex/platform/services/kit/blob"
)

func TestFS(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Báo cáo kết quả cải cách hành chính quý I/2024")
	sum := sha256.Sum256(content)

	info, err := s.Put(t.Context(), bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != hex.EncodeToString(sum[:]) || info.Size != int64(len(content)) || info.SHA256 != sum {
		t.Errorf("Put = %+v", info)
	}
	// The same content again is the same key and one file.
	again, err := s.Put(t.Context(), bytes.NewReader(content), 1<<20)
	if err != nil || again != info {
		t.Errorf("second Put = %+v, %v", again, err)
	}
	rc, err := s.Open(t.Context(), info.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	_ = rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("Open read %q", got)
	}

	// One byte over the limit keeps nothing, not even a temp file.
	if _, err := s.Put(t.Context(), strings.NewReader("0123456789"), 9); !errors.Is(err, blob.ErrTooLarge) {
		t.Errorf("Put over the limit = %v, want ErrTooLarge", err)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	files := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if !d.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Errorf("%d files stored, want 1", files)
	}

	for _, key := range []string{hex.EncodeToString(make([]byte, 32)), "../../etc/passwd", "", strings.ToUpper(info.Key)} {
		if _, err := s.Open(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", key, err)
		}
	}
}
