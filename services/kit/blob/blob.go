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
