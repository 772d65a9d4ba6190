package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

// BenchmarkInboxWrite compares the ways of writing one consumer batch's inbox items (256
// task events, three units each) in one transaction: the unnest INSERT … ON CONFLICT DO
// NOTHING of the one-by-one path (the baseline), COPY into a staging table followed by
// INSERT … ON CONFLICT DO NOTHING, and COPY straight into the table (the batch path,
// postgres.Store.CopyNew). x_unnest is each way's time as a multiple of the baseline's in
// the same run.
func BenchmarkInboxWrite(b *testing.B) {
	pool := pgtest.NewPool(b, postgres.Migrations())
	ctx := b.Context()
	units := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	body := strings.Repeat("Rà soát, đơn giản hóa thủ tục hành chính; ", 8)
	batch := func() []inbox.Item {
		now := time.Now()
		var items []inbox.Item
		for range 256 {
			ev := uuid.NewString()
			for _, u := range units {
				items = append(items, inbox.Item{ID: uuid.Must(uuid.NewV7()).String(), UnitID: u, EventID: ev,
					EventType: "tasktracking.v1.task.assigned", Title: "Nhiệm vụ mới: III.3 — Kế hoạch 56/KH-UBND",
					Body: body, Link: "/nhiem-vu/" + ev, CreateTime: now})
			}
		}
		return items
	}
	cols := []string{"id", "unit_id", "user_id", "event_id", "event_type", "title", "body", "link", "urgent", "create_time"}
	rows := func(items []inbox.Item) pgx.CopyFromSource {
		return pgx.CopyFromSlice(len(items), func(i int) ([]any, error) {
			it := items[i]
			return []any{it.ID, it.UnitID, nil, it.EventID, it.EventType, it.Title, it.Body, it.Link, it.Urgent, it.CreateTime}, nil
		})
	}
	ways := []struct {
		name  string
		write func(tx pgx.Tx, items []inbox.Item) error
	}{
		{"unnest_on_conflict", func(tx pgx.Tx, items []inbox.Item) error {
			_, err := postgres.New(tx).AddItems(ctx, items)
			return err
		}},
		{"copy_staging_on_conflict", func(tx pgx.Tx, items []inbox.Item) error {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS inbox_stage (LIKE inbox_items) ON COMMIT DELETE ROWS`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"inbox_stage"}, cols, rows(items)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO inbox_items SELECT * FROM inbox_stage
				ON CONFLICT (event_id, unit_id, user_id) DO NOTHING`)
			return err
		}},
		{"copy_direct", func(tx pgx.Tx, items []inbox.Item) error {
			return postgres.New(tx).CopyNew(ctx, items, nil)
		}},
	}
	took := make([]time.Duration, len(ways))
	for b.Loop() {
		// Interleaved, so that the load of the machine weighs on every way alike.
		for i, w := range ways {
			items := batch()
			start := time.Now()
			if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return w.write(tx, items) }); err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
			took[i] += time.Since(start)
		}
	}
	for i, w := range ways {
		b.ReportMetric(float64(took[i].Microseconds())/float64(b.N)/1000, w.name+"_ms")
		b.ReportMetric(float64(took[i])/float64(took[0]), w.name+"_x_unnest")
	}
}
