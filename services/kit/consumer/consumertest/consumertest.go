// Package consumertest holds the measuring helpers of consumer benchmarks: the raw
// JetStream rate a consumer is compared with, and the time a durable consumer takes to
// work through a number of events.
package consumertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
)

// RawConsume pulls the last n messages of producer's stream through a fresh durable
// consumer, acknowledging each and doing nothing else, and returns how many it got: the
// baseline a consumer's rate is a fraction of.
func RawConsume(tb testing.TB, ctx context.Context, js jetstream.JetStream, producer string, n int) int {
	tb.Helper()
	s, err := js.Stream(ctx, natsx.StreamName(producer))
	if err != nil {
		tb.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	startSeq := info.State.LastSeq - uint64(n) + 1 // #nosec G115 -- n is a benchmark's small positive count
	c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: fmt.Sprintf("raw-%d", startSeq), AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: startSeq,
	})
	if err != nil {
		tb.Fatal(err)
	}
	got := 0
	for got < n {
		batch, err := c.Fetch(min(500, n-got), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		for msg := range batch.Messages() {
			if err := msg.Ack(); err != nil {
				tb.Fatal(err)
			}
			got++
		}
		if batch.Error() != nil {
			tb.Fatal(batch.Error())
		}
	}
	return got
}

// RunUntil runs the durable consumer cfg until it has recorded n more processed events and
// returns how long that took. It connects to the NATS server at url itself, as a process
// does: closing the connection afterwards withdraws the pull requests still open on the
// server, which would otherwise swallow the next round's first messages until AckWait. The
// durable consumer outlives the run, so each round reads only its own messages.
func RunUntil(tb testing.TB, ctx context.Context, url string, cfg consumer.Config, n int) time.Duration {
	tb.Helper()
	const countSQL = `SELECT count(*) FROM processed_events WHERE consumer = $1`
	var before int
	if err := cfg.Pool.QueryRow(ctx, countSQL, cfg.Durable).Scan(&before); err != nil {
		tb.Fatal(err)
	}
	nc, js, err := natsx.Connect(ctx, url, cfg.Durable)
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	cfg.JS = js
	start := time.Now()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(cctx, cfg) }()
	for {
		var got int
		if err := cfg.Pool.QueryRow(ctx, countSQL, cfg.Durable).Scan(&got); err != nil {
			tb.Fatal(err)
		}
		if got-before >= n {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	return took
}

// Publish publishes n messages made by msg, each with a new event id, and waits until
// JetStream has stored them all.
func Publish(tb testing.TB, js jetstream.JetStream, n int, msg func(i int) *nats.Msg) {
	tb.Helper()
	acks := make([]jetstream.PubAckFuture, 0, n)
	for i := range n {
		f, err := js.PublishMsgAsync(msg(i), jetstream.WithMsgID(uuid.NewString()))
		if err != nil {
			tb.Fatal(err)
		}
		acks = append(acks, f)
	}
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			tb.Fatal(err)
		}
	}
}
