package consumer_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/consumer/consumertest"
	"github.com/parindex/platform/services/kit/natsx"
)

// BenchmarkNoOpFloor measures kit/consumer with handlers that do nothing, so only its own
// work is timed (fetch, processed-event record, commit, ack), against the raw JetStream rate
// of the same messages (pull, ack; nothing else) measured in the same run. batch_of_raw is
// batch mode's rate as a fraction of raw, single_of_raw the one-message-at-a-time mode's.
func BenchmarkNoOpFloor(b *testing.B) {
	// Rounds of a few thousand events, each timed raw then through kit/consumer, so that the
	// load of a shared machine falls on both alike; -benchtime 5x or more for a steady
	// figure. A round is long enough that starting a durable consumer (a few ms) is a small
	// part of it. The one-by-one mode is ten times slower, so it gets a tenth of the events,
	// on a subject of its own.
	const events, singleEvents = 5000, 500
	e := newEnv(b)
	ctx := context.Background()
	if _, err := natsx.EnsureStream(ctx, e.js, producer); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	batch := consumer.Config{Pool: e.pool, Stream: producer, Durable: "bench-batch", Log: log,
		FilterSubjects: []string{subject}, BatchSize: 1024,
		HandleBatch: func(context.Context, pgx.Tx, []consumer.Message) error { return nil }}
	single := consumer.Config{Pool: e.pool, Stream: producer, Durable: "bench-single", Log: log,
		FilterSubjects: []string{singleSubject},
		Handle:         func(context.Context, pgx.Tx, consumer.Message) error { return nil }}
	body := make([]byte, 300) // about a TaskAssigned event
	var raw, batchT, singleT time.Duration
	for b.Loop() {
		b.StopTimer()
		consumertest.Publish(b, e.js, events+singleEvents, func(i int) *nats.Msg {
			if i < singleEvents {
				return &nats.Msg{Subject: singleSubject, Data: body, Header: nats.Header{}}
			}
			return &nats.Msg{Subject: subject, Data: body, Header: nats.Header{}}
		})
		b.StartTimer()

		start := time.Now()
		if n := consumertest.RawConsume(b, ctx, e.js, producer, events); n != events {
			b.Fatalf("raw consumed %d", n)
		}
		raw += time.Since(start)
		batchT += consumertest.RunUntil(b, ctx, e.url, batch, events)
		singleT += consumertest.RunUntil(b, ctx, e.url, single, singleEvents)
	}
	n := float64(events * b.N)
	rawRate, batchRate := n/raw.Seconds(), n/batchT.Seconds()
	singleRate := float64(singleEvents*b.N) / singleT.Seconds()
	b.ReportMetric(rawRate, "raw_events/s")
	b.ReportMetric(batchRate, "batch_events/s")
	b.ReportMetric(singleRate, "single_events/s")
	b.ReportMetric(batchRate/rawRate, "batch_of_raw")
	b.ReportMetric(singleRate/rawRate, "single_of_raw")
}

// singleSubject carries the one-by-one mode's events.
const singleSubject = "tasktracking.v1.task.updated"
