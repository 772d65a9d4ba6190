package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
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

// TestBatchModeReplayAppliesNothingTwice recreates the durable consumer after its events
// were applied: JetStream delivers the whole stream again as first deliveries, and only
// the events published since take effect; the replayed ones are recognised in
// processed_events and acknowledged, and batches after the replay are applied normally.
func TestBatchModeReplayAppliesNothingTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var c calls
	cfg := consumer.Config{BatchSize: 8, HandleBatch: func(ctx context.Context, tx pgx.Tx, ms []consumer.Message) error {
		for _, m := range ms {
			c.add(m)
		}
		return insertEffects(ctx, tx, ms)
	}}
	want := e.publishRange(t, "r", 0, 20)
	stop := e.run(t, cfg)
	e.waitSettled(t)
	stop()
	if err := e.js.DeleteConsumer(t.Context(), natsx.StreamName(producer), durable); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.publishRange(t, "r", 20, 30)...)
	e.run(t, cfg)
	e.waitSettled(t)
	want = append(want, e.publishRange(t, "r", 30, 40)...) // after the replay
	e.waitSettled(t)
	if diff := cmp.Diff(want, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if n := len(c.get()); n != 40 {
		t.Errorf("handler saw %d events, want 40", n)
	}
}

// TestBatchModeShutdownGivesBackWhatItFetched stops a batch consumer while messages it has
// fetched ahead wait behind a slow batch: they are given back, so the next run applies all
// of them at once instead of after AckWait (an hour here), and none twice.
func TestBatchModeShutdownGivesBackWhatItFetched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := e.publishRange(t, "s", 0, 100)
	started := make(chan struct{}, 1)
	slow := consumer.Config{AckWait: time.Hour, BatchSize: 10, HandleBatch: func(ctx context.Context, tx pgx.Tx, ms []consumer.Message) error {
		select {
		case started <- struct{}{}:
		default:
		}
		time.Sleep(50 * time.Millisecond)
		return insertEffects(ctx, tx, ms)
	}}
	stop := e.run(t, slow)
	<-started
	stop()
	if got := len(e.effects(t)); got == 0 || got == 100 {
		t.Fatalf("%d events applied before the stop; want some, not all", got)
	}
	fast := consumer.Config{AckWait: time.Hour, BatchSize: 10, HandleBatch: insertEffects}
	e.run(t, fast)
	e.waitSettled(t)
	if diff := cmp.Diff(want, e.effects(t)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

// insertEffects is a batch handler's database effect.
func insertEffects(ctx context.Context, tx pgx.Tx, ms []consumer.Message) error {
	for _, m := range ms {
		if err := insertEffect(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// publishRange publishes events prefix+from … prefix+(to-1), each with the body
// "body-<id>", and returns the effects they should have.
func (e *env) publishRange(t *testing.T, prefix string, from, to int) []string {
	t.Helper()
	var want []string
	for i := from; i < to; i++ {
		id := fmt.Sprintf("%s%03d", prefix, i)
		e.publish(t, id, "body-"+id)
		want = append(want, id+":body-"+id)
	}
	return want
}
