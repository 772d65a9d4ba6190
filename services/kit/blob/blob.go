// Package blob stores file contents by their SHA-256 (content-addressed): the same bytes
// stored twice take the place of one, a key names exactly one content, and a reader can
// check what it got. Store is the interface services depend on; FS, the default, keeps the
// contents in a directory.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Sentinels of the store.
var (
	// ErrTooLarge means the content is longer than the limit given to Put.
	ErrTooLarge = errors.New("blob: content too large")
	// ErrNotFound means no content has the key.
	ErrNotFound = errors.New("blob: not found")
)

// Info describes stored content.
type Info struct {
	// Key names the content in the store: its SHA-256 in lower-case hex.
	Key string
	// Size is its length in bytes.
	Size int64
	// SHA256 is its digest.
	SHA256 [sha256.Size]byte
}

// Store keeps contents by key.
type Store interface {
	// Put reads r to the end and stores what it read, unless it is longer than maxBytes
	// (ErrTooLarge; nothing is kept). Storing content already present changes nothing.
	Put(ctx context.Context, r io.Reader, maxBytes int64) (Info, error)
	// Open returns the content of key, or ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// FS is a Store in a directory: content with key "ab12…" lives in "ab/ab12…", so no
// directory grows too large; uploads are written to "tmp/" first and renamed into place
// once complete and synced, so a reader never sees a partial content.
type FS struct {
	dir string
}

var _ Store = (*FS)(nil)

// NewFS returns a store in dir, creating it (and its tmp folder) when missing.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: empty directory")
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", dir, err)
	}
	return &FS{dir: dir}, nil
}

// Put stores the content of r.
func (s *FS) Put(ctx context.Context, r io.Reader, maxBytes int64) (Info, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: temp file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	// One byte past the limit tells "exactly the limit" from "too long".
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, maxBytes+1))
	if err != nil {
		return Info{}, fmt.Errorf("blob: write: %w", err)
	}
	if n > maxBytes {
		return Info{}, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: close: %w", err)
	}
	info := Info{Size: n}
	copy(info.SHA256[:], h.Sum(nil))
	info.Key = hex.EncodeToString(info.SHA256[:])
	final := s.path(info.Key)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob: create folder: %w", err)
	}
	// Same key, same bytes: a rename over an existing content replaces it with itself.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Info{}, fmt.Errorf("blob: rename: %w", err)
	}
	keep = true
	return info, nil
}

// Open returns the content of key.
func (s *FS) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return f, nil
}

func (s *FS) path(key string) string { return filepath.Join(s.dir, key[:2], key) }

// Walk calls fn with the key and last write time of every content stored, in no particular
// order, until fn returns an error (which Walk returns) or ctx ends. It is what a sweep of
// contents that nothing references any more starts from.
func (s *FS) Walk(ctx context.Context, fn func(key string, written time.Time) error) error {
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("blob: list: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue // tmp/ and anything not ours
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, shard.Name()))
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !validKey(e.Name()) || e.Name()[:2] != shard.Name() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return fmt.Errorf("blob: stat: %w", err)
			}
			if err := fn(e.Name(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

// RemoveStale removes the content of key if it was last written before cutoff, and reports
// whether it did. A Put of the same content racing with it wins: the content is first moved
// aside, and put back when what was moved turns out to be freshly written.
func (s *FS) RemoveStale(_ context.Context, key string, cutoff time.Time) (bool, error) {
	if !validKey(key) {
		return false, ErrNotFound
	}
	final := s.path(key)
	info, err := os.Stat(final)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: stat: %w", err)
	}
	if !info.ModTime().Before(cutoff) {
		return false, nil
	}
	aside := filepath.Join(s.dir, "tmp", "stale-"+key)
	if err := os.Rename(final, aside); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("blob: move aside: %w", err)
	}
	moved, err := os.Stat(aside)
	if err != nil {
		return false, fmt.Errorf("blob: stat: %w", err)
	}
	if !moved.ModTime().Before(cutoff) {
		// A Put renamed fresh content into place between the first look and the move: put
		// it back (unless yet another Put has, with the same bytes).
		if _, err := os.Stat(final); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(aside, final); err != nil {
				return false, fmt.Errorf("blob: put back: %w", err)
			}
			return false, nil
		}
		return false, os.Remove(aside)
	}
	if err := os.Remove(aside); err != nil {
		return false, fmt.Errorf("blob: remove: %w", err)
	}
	return true, nil
}

// RemoveStaleTemp removes the unfinished uploads (temporary files) last written before
// cutoff, left by a process that stopped in the middle of a Put, and returns how many.
func (s *FS) RemoveStaleTemp(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "tmp"))
	if err != nil {
		return 0, fmt.Errorf("blob: list tmp: %w", err)
	}
	n := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || e.IsDir() || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, "tmp", e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}

// validKey reports whether key is a lower-case hex SHA-256, so a key never names a path
// outside the store.
func validKey(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	return strings.Trim(key, "0123456789abcdef") == ""
}

// ctxReader stops reading when ctx ends, so an abandoned upload stops writing.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
