package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// TestNoticePassReadsBacklogOnce: a pass over a backlog of overdue occurrences, in batches,
// reads each candidate about once, not again in every later batch
// (which made a backlog of a million occurrences take tens of minutes), and notices each
// exactly once.
func TestNoticePassReadsBacklogOnce(t *testing.T) {
	pool := pgtest.NewPool(t, Migrations())
	seedUnitLists(t, pool, 2000, 50) // 1,500 open, all overdue at now
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(pool)

	var read int64
	// Rows of occurrences the connection fetched through indexes and has not yet flushed
	// to the shared statistics: read before and after the batch, in its transaction.
	fetched := func(ctx context.Context, tx pgx.Tx) (int64, error) {
		var n int64
		err := tx.QueryRow(ctx, `SELECT COALESCE(sum(idx_tup_fetch), 0) FROM pg_stat_xact_user_tables
			WHERE relname = 'occurrences'`).Scan(&n)
		return n, err
	}
	counting := func(ctx context.Context, tx pgx.Tx, now time.Time, leads []time.Duration, leadSecs []int64, maxLead int64, batch int, after *noticeCursor) (app.NoticeCounts, error) {
		before, err := fetched(ctx, tx)
		if err != nil {
			return app.NoticeCounts{}, err
		}
		c, err := emitNoticeBatch(ctx, tx, now, leads, leadSecs, maxLead, batch, after)
		if err != nil {
			return c, err
		}
		n, err := fetched(ctx, tx)
		read += n - before
		return c, err
	}
	c, err := s.runNoticePass(t.Context(), app.NoticePass{Now: now, Leads: tracking.DefaultLeadTimes, Batch: 100}, counting)
	if err != nil {
		t.Fatal(err)
	}
	if c.Overdue != 1500 {
		t.Errorf("overdue notices = %d, want 1500", c.Overdue)
	}
	// Each candidate is read once by the walk, once by the update of its notice summary
	// and once per notice stored (the notice's foreign key check); re-walking the backlog
	// per batch read about twice as many.
	want := int64(2*c.Candidates + c.Overdue + c.DueSoon + c.Superseded)
	if read == 0 || read > want+want/10 {
		t.Errorf("the pass fetched %d occurrences for a backlog of 1500 in batches of 100; want about %d (each once, plus its notices' key checks)", read, want)
	}
	var notices int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM deadline_notices WHERE kind = 'overdue'`).Scan(&notices); err != nil || notices != 1500 {
		t.Errorf("overdue notices stored = %d (%v), want 1500", notices, err)
	}

	// The next pass finds the backlog noticed from the occurrences' notice summaries
	// (migration 010) without reading it: what it reads is what is left, here nothing.
	read = 0
	c, err = s.runNoticePass(t.Context(), app.NoticePass{Now: now.Add(time.Minute), Leads: tracking.DefaultLeadTimes, Batch: 100}, counting)
	if err != nil {
		t.Fatal(err)
	}
	if c != (app.NoticeCounts{}) || read != 0 {
		t.Errorf("a pass over a noticed backlog read %d occurrences and did %+v; want nothing", read, c)
	}
}
