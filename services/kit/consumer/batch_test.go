package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/consumer"
)

// TestBatchModeAppliesEachEventOnce publishes events before the consumer starts, so they
// arrive in batches, with a repeated id among them and one event the handler rejects: every
// good event takes effect once, the bad one alone is dead-lettered, and a batch really held
// several messages.
func TestBatchModeAppliesEachEventOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for i := range 40 {
		id := fmt.Sprintf("e%02d", i)
		e.publish(t, id, "body-"+id)
		if i != 17 {
			want = append(want, id+":body-"+id)
		}
	}
	e.publish(t, "e05", "body-e05") // within JetStream's dedup window: dropped; harmless either way
	var c calls
	maxBatch := 0
	e.run(t, consumer.Config{BatchSize: 16, HandleBatch: func(ctx context.Context, tx pgx.Tx, ms []consumer.Message) error {
		maxBatch = max(maxBatch, len(ms))
		for _, m := range ms {
			if m.ID == "e17" {
				return consumer.GiveUp(errors.New("poison"))
			}
		}
		for _, m := range ms {
			c.add(m)
			if err := insertEffect(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	}})
	e.waitSettled(t)
	if diff := cmp.Diff(want, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if dl := e.deadLetters(t); len(dl) != 1 || dl[0].EventID != "e17" {
		t.Errorf("dead letters %v, want e17 only", dl)
	}
	if maxBatch < 2 {
		t.Errorf("largest batch %d: batch mode never batched", maxBatch)
	}
	var processed int
	if err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM processed_events WHERE consumer = $1", durable).Scan(&processed); err != nil {
		t.Fatal(err)
	}
	if processed != 39 {
		t.Errorf("processed_events rows = %d, want 39", processed)
	}
}
