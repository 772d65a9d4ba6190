package postgres_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/blob"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// TestBlobSweepRemovesOrphans: after the grace period the sweep removes contents no
// evidence row references (an upload whose row never committed) and unfinished uploads, and
// keeps referenced contents however old, and orphans still within the grace period.
func TestBlobSweepRemovesOrphans(t *testing.T) {
	store, _ := newStore(t)
	ctx := t.Context()
	dir := t.TempDir()
	blobs, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := newDocument(t, "56/KH-UBND", "Kế hoạch", "2020-05-20", task("III.3", []string{unitSNV}))
	occs := occurrences(d)
	if err := store.CreateDocument(ctx, d, occs); err != nil {
		t.Fatal(err)
	}
	put := func(content string) blob.Info {
		t.Helper()
		info, err := blobs.Put(ctx, bytes.NewReader([]byte(content)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	used, orphan, young := put("Báo cáo quý I"), put("Tệp tải lên dở, hàng không được ghi"), put("Tệp vừa tải lên")
	if err := store.AddEvidence(ctx, tracking.Evidence{
		ID: uuid.NewString(), OccurrenceID: occs[0].ID, UnitID: unitSNV, FileName: "bao-cao.txt", MediaType: "text/plain",
		Size: used.Size, SHA256: used.SHA256, BlobKey: used.Key, UploadedBy: tracking.Actor{Subject: "u", UnitID: unitSNV},
		CreateTime: time.Now().Truncate(time.Microsecond),
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	twoDaysAgo := now.Add(-48 * time.Hour)
	for _, key := range []string{used.Key, orphan.Key} {
		if err := os.Chtimes(filepath.Join(dir, key[:2], key), twoDaysAgo, twoDaysAgo); err != nil {
			t.Fatal(err)
		}
	}
	unfinished := filepath.Join(dir, "tmp", "put-123")
	if err := os.WriteFile(unfinished, []byte("nửa chừng"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(unfinished, twoDaysAgo, twoDaysAgo); err != nil {
		t.Fatal(err)
	}

	sweep := app.NewBlobSweep(blobs, store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now }, 24*time.Hour, time.Hour)
	c, err := sweep.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c != (app.BlobSweepCounts{Checked: 2, Removed: 1, Temp: 1}) {
		t.Errorf("sweep = %+v, want 2 checked, 1 removed, 1 unfinished upload", c)
	}
	for key, want := range map[string]bool{used.Key: true, orphan.Key: false, young.Key: true} {
		rc, err := blobs.Open(ctx, key)
		if err == nil {
			_ = rc.Close()
		}
		if got := err == nil; got != want {
			t.Errorf("content %s… present = %v, want %v", key[:8], got, want)
		}
	}
	if _, err := os.Stat(unfinished); !os.IsNotExist(err) {
		t.Errorf("unfinished upload still there: %v", err)
	}

	// Within the grace period the orphan stays; once past it, it goes.
	sweep = app.NewBlobSweep(blobs, store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now.Add(23 * time.Hour) }, 24*time.Hour, time.Hour)
	if c, err := sweep.Pass(ctx); err != nil || c.Removed != 0 {
		t.Errorf("sweep within the grace period = %+v, %v; want nothing removed", c, err)
	}
	sweep = app.NewBlobSweep(blobs, store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now.Add(25 * time.Hour) }, 24*time.Hour, time.Hour)
	if c, err := sweep.Pass(ctx); err != nil || c.Removed != 1 {
		t.Errorf("sweep past the grace period = %+v, %v; want the young orphan removed", c, err)
	}
}
