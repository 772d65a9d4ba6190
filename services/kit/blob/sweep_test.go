package blob_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parindex/platform/services/kit/blob"
)

// TestFSSweep: Walk lists every content with its write time; RemoveStale removes a content
// written before the cutoff and leaves a fresher one (a Put of the same bytes refreshes
// it); RemoveStaleTemp removes only old unfinished uploads.
func TestFSSweep(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	put := func(content string) string {
		t.Helper()
		info, err := s.Put(ctx, bytes.NewReader([]byte(content)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return info.Key
	}
	old, fresh := put("biên bản cũ"), put("báo cáo mới")
	longAgo := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, old[:2], old), longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not a content"), 0o600); err != nil {
		t.Fatal(err)
	}

	var keys []string
	if err := s.Walk(ctx, func(key string, written time.Time) error {
		keys = append(keys, key)
		if key == old && !written.Equal(longAgo) {
			t.Errorf("Walk: %s written %v, want %v", key, written, longAgo)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{old, fresh}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("Walk = %v, want %v", keys, want)
	}

	cutoff := time.Now().Add(-24 * time.Hour)
	if gone, err := s.RemoveStale(ctx, fresh, cutoff); err != nil || gone {
		t.Errorf("RemoveStale(fresh) = %v, %v; want kept", gone, err)
	}
	if gone, err := s.RemoveStale(ctx, old, cutoff); err != nil || !gone {
		t.Errorf("RemoveStale(old) = %v, %v; want removed", gone, err)
	}
	if _, err := s.Open(ctx, old); err == nil {
		t.Error("old content still readable after RemoveStale")
	}
	if gone, err := s.RemoveStale(ctx, old, cutoff); err != nil || gone {
		t.Errorf("RemoveStale of a removed content = %v, %v; want nothing done", gone, err)
	}
	// Stored again, the same bytes are fresh and stay.
	if put("biên bản cũ") != old {
		t.Fatal("same content, another key")
	}
	if gone, err := s.RemoveStale(ctx, old, cutoff); err != nil || gone {
		t.Errorf("RemoveStale(old stored again) = %v, %v; want kept", gone, err)
	}

	tmpOld, tmpNew := filepath.Join(dir, "tmp", "put-1"), filepath.Join(dir, "tmp", "put-2")
	for _, p := range []string{tmpOld, tmpNew} {
		if err := os.WriteFile(p, []byte("nửa chừng"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(tmpOld, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveStaleTemp(cutoff); err != nil || n != 1 {
		t.Errorf("RemoveStaleTemp = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(tmpNew); err != nil {
		t.Errorf("a fresh unfinished upload was removed: %v", err)
	}
}
