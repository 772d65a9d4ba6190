package events_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/consumer/consumertest"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/natsx/natstest"
	"github.com/parindex/platform/services/kit/pg"
)

// BenchmarkFanOutResultsPublished publishes the results of 10,000 units: one event becomes
// 10,000 unit inbox items (plus the leadership's and secretariat's), through the directory
// and the rules, in the consumer's transaction. The baseline is a bare INSERT of 10,000
// rows into the same table in the same run; x_bare_insert is the cost as a multiple of it.
func BenchmarkFanOutResultsPublished(b *testing.B) {
	const units = 10000
	h, pool, dir := newHandlerDir(b)
	dir.AddUser(uuid.NewString(), uuid.NewString(), "lanhdao@tinh.gov.vn", "Lãnh đạo tỉnh", directoryv1.Role_ROLE_LEADERSHIP)
	dir.AddUser(uuid.NewString(), uuid.NewString(), "vanphong@tinh.gov.vn", "Sở Nội vụ", directoryv1.Role_ROLE_SECRETARIAT)
	ids := make([]string, units)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	ctx := context.Background()
	var bare, fan time.Duration
	for b.Loop() {
		// Baseline: the same number of rows, no rules, no directory, no templates.
		start := time.Now()
		ev := uuid.NewString()
		_, err := pool.Exec(ctx, `INSERT INTO inbox_items (id, unit_id, event_id, event_type, title, body, link, create_time)
			SELECT gen_random_uuid(), u, $2, 'parscoring.v1.results.published', 'Công bố kết quả', 'Nội dung', '/ket-qua/2024', now()
			FROM unnest($1::uuid[]) u`, ids, ev)
		if err != nil {
			b.Fatal(err)
		}
		bare += time.Since(start)

		data, err := proto.Marshal(&parscoringv1.ResultsPublished{SnapshotId: uuid.NewString(), Year: 2024,
			Decision: "Quyết định 123/QĐ-UBND", SubjectUnitIds: ids})
		if err != nil {
			b.Fatal(err)
		}
		m := consumer.Message{ID: uuid.NewString(), Subject: "parscoring.v1.results.published", Data: data, Deliveries: 1}
		start = time.Now()
		if err := pg.InTx(ctx, pool, func(tx pgx.Tx) error { return h.Handle(ctx, tx, m) }); err != nil {
			b.Fatal(err)
		}
		fan += time.Since(start)
	}
	b.ReportMetric(float64(fan.Milliseconds())/float64(b.N), "fanout_ms/op")
	b.ReportMetric(float64(bare.Milliseconds())/float64(b.N), "bare_insert_ms/op")
	b.ReportMetric(float64(fan)/float64(bare), "x_bare_insert")
}

// BenchmarkTaskEventStream measures a sustained stream of TaskAssigned events (three units
// each) through the notification-tasks durable consumer, against the raw JetStream rate of
// the same messages (pull, consume, ack; nothing else) measured in the same run.
// of_raw_rate is the consumer's throughput as a fraction of the raw rate. floor_of_raw is
// the same fraction for kit/consumer with a handler that does nothing (its transaction and
// processed-event record only): the most this consumer could reach on this machine.
// of_floor is the consumer's rate as a fraction of that floor.
func BenchmarkTaskEventStream(b *testing.B) {
	const events = 3000
	h, pool, _ := newHandlerCached(b, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := natstest.Start(b)
	nc, js, err := natsx.Connect(ctx, url, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	if _, err := natsx.EnsureStream(ctx, js, "tasktracking"); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	real := h.Consumers(pool, js, log)[0]
	floor := real
	floor.Durable = "bench-floor"
	floor.HandleBatch = func(context.Context, pgx.Tx, []consumer.Message) error { return nil }
	floor.Handle = nil
	units := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	var raw, floorT, cons time.Duration
	for b.Loop() {
		b.StopTimer()
		consumertest.Publish(b, js, events, func(int) *nats.Msg {
			data, _ := proto.Marshal(taskAssigned(units[0], units[1], units[2]))
			return &nats.Msg{Subject: EventTaskAssignedSubject, Data: data, Header: nats.Header{}}
		})
		b.StartTimer()

		// Raw: a fresh durable consumer over this round's messages.
		start := time.Now()
		rawN := consumertest.RawConsume(b, ctx, js, "tasktracking", events)
		raw += time.Since(start)
		if rawN != events {
			b.Fatalf("raw consumed %d", rawN)
		}
		floorT += consumertest.RunUntil(b, ctx, url, floor, events)
		cons += consumertest.RunUntil(b, ctx, url, real, events)
	}
	rawRate := float64(events*b.N) / raw.Seconds()
	floorRate := float64(events*b.N) / floorT.Seconds()
	consRate := float64(events*b.N) / cons.Seconds()
	b.ReportMetric(rawRate, "raw_events/s")
	b.ReportMetric(floorRate, "floor_events/s")
	b.ReportMetric(consRate, "notify_events/s")
	b.ReportMetric(floorRate/rawRate, "floor_of_raw")
	b.ReportMetric(consRate/rawRate, "of_raw_rate")
	// Both rates pay PostgreSQL for every event, raw does not: on a loaded machine this
	// ratio moves less than the two above.
	b.ReportMetric(consRate/floorRate, "of_floor")
}

// EventTaskAssignedSubject is the subject benchmarks publish on.
const EventTaskAssignedSubject = "tasktracking.v1.task.assigned"
