package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SweptBlobs is the blob store as the orphan sweep needs it (kit/blob.FS).
type SweptBlobs interface {
	// Walk calls fn with every stored content's key and last write time.
	Walk(ctx context.Context, fn func(key string, written time.Time) error) error
	// RemoveStale removes key's content if it was last written before cutoff.
	RemoveStale(ctx context.Context, key string, cutoff time.Time) (bool, error)
	// RemoveStaleTemp removes unfinished uploads last written before cutoff.
	RemoveStaleTemp(cutoff time.Time) (int, error)
}

// BlobRefs tells which blob keys stored rows reference.
type BlobRefs interface {
	// ReferencedBlobs returns those of keys that an evidence row references.
	ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error)
}

// DefaultBlobGrace is how old an unreferenced content must be before the sweep removes it.
// An upload writes its content first and commits its evidence row a moment later; a day is
// far beyond any upload, so no content is removed on its way to being referenced.
const DefaultBlobGrace = 24 * time.Hour

// sweepBatch is how many keys one reference query checks.
const sweepBatch = 500

// BlobSweep removes evidence contents that no evidence row references, once they are older
// than the grace period: those of uploads whose row never committed (a refused or failed
// insert, a crash between the two writes), and unfinished uploads left in the store.
type BlobSweep struct {
	blobs    SweptBlobs
	refs     BlobRefs
	log      *slog.Logger
	clock    func() time.Time
	grace    time.Duration
	interval time.Duration
}

// NewBlobSweep returns a sweep of blobs against refs, every interval, removing what is older
// than grace (≤ 0: DefaultBlobGrace) by clock.
func NewBlobSweep(blobs SweptBlobs, refs BlobRefs, log *slog.Logger, clock func() time.Time, grace, interval time.Duration) *BlobSweep {
	if grace <= 0 {
		grace = DefaultBlobGrace
	}
	return &BlobSweep{blobs: blobs, refs: refs, log: log, clock: clock, grace: grace, interval: interval}
}

// BlobSweepCounts is what a sweep did.
type BlobSweepCounts struct {
	// Checked is how many contents were old enough to be checked; Removed how many of them
	// nothing referenced and were removed; Temp how many unfinished uploads were removed.
	Checked, Removed, Temp int
}

// Pass makes one sweep.
func (s *BlobSweep) Pass(ctx context.Context) (BlobSweepCounts, error) {
	var c BlobSweepCounts
	cutoff := s.clock().Add(-s.grace)
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		used, err := s.refs.ReferencedBlobs(ctx, batch)
		if err != nil {
			return err
		}
		for _, key := range batch {
			if used[key] {
				continue
			}
			// RemoveStale looks at the write time again: content stored anew since the walk
			// (an upload of the same bytes, about to be referenced) stays.
			gone, err := s.blobs.RemoveStale(ctx, key, cutoff)
			if err != nil {
				return err
			}
			if gone {
				c.Removed++
			}
		}
		batch = batch[:0]
		return nil
	}
	err := s.blobs.Walk(ctx, func(key string, written time.Time) error {
		if !written.Before(cutoff) {
			return nil
		}
		c.Checked++
		batch = append(batch, key)
		if len(batch) == sweepBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return c, fmt.Errorf("blob sweep: %w", err)
	}
	if c.Temp, err = s.blobs.RemoveStaleTemp(cutoff); err != nil {
		return c, fmt.Errorf("blob sweep: %w", err)
	}
	if c.Removed > 0 || c.Temp > 0 {
		s.log.InfoContext(ctx, "orphan evidence contents removed", slog.Int("checked", c.Checked),
			slog.Int("removed", c.Removed), slog.Int("unfinished_uploads", c.Temp))
	}
	return c, nil
}

// Run sweeps at once and then every interval until ctx ends, and returns nil. A failed sweep
// is logged and tried again at the next tick: what it left is still unreferenced.
func (s *BlobSweep) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Pass(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.ErrorContext(ctx, "blob sweep failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
