package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
	"github.com/parindex/platform/services/notification/internal/webhook"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// receiver is an agency system on loopback: it checks signatures and counts the calls per
// delivery id.
type receiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	calls  map[string]int // delivery id → calls answered 2xx
	tries  atomic.Int64
	bad    atomic.Int64 // calls with a wrong signature
	// fail answers 503 while it returns true.
	fail func(try int64) bool
	// block, when set, holds each call until it is closed.
	block chan struct{}
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{secret: secret, calls: map[string]int{}, fail: func(int64) bool { return false }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		try := r.tries.Add(1)
		if r.block != nil {
			select {
			case <-r.block:
			case <-req.Context().Done():
				return
			}
		}
		if !webhook.Verify(r.secret, req.Header.Get(webhook.HeaderSignature), req.Header.Get(webhook.HeaderTimestamp), body, time.Now(), 5*time.Minute) {
			r.bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.fail(try) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		r.calls[req.Header.Get(webhook.HeaderDeliveryID)]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) delivered() (ids, repeats int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.calls {
		ids++
		repeats += n - 1
	}
	return ids, repeats
}

type fixture struct {
	pool  *pgxpool.Pool
	store *postgres.Store
}

func newFixture(t *testing.T) *fixture {
	pool := pgtest.NewPool(t, postgres.Migrations())
	return &fixture{pool: pool, store: postgres.New(pool)}
}

// subscribe registers a receiver and queues n deliveries to it.
func (f *fixture) subscribe(t *testing.T, r *receiver, n int) string {
	t.Helper()
	id := uuid.NewString()
	if err := f.store.CreateSubscription(t.Context(), notice.Subscription{ID: id, Name: "Hệ thống " + id[:4], URL: r.URL,
		Secret: r.secret, CreateTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var ds []notice.Delivery
	for range n {
		ds = append(ds, notice.Delivery{ID: uuid.NewString(), EventID: uuid.NewString(), EventType: "tasktracking.v1.task.assigned",
			Channel: notice.ChannelWebhook, Recipient: id, Body: []byte(`{"event_type":"tasktracking.v1.task.assigned","data":{"note":"Nhiệm vụ"}}`),
			State: notice.StatePending, NextAttempt: time.Now(), CreateTime: time.Now()})
	}
	if _, err := f.store.AddDeliveries(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	return id
}

var testConfig = app.DispatcherConfig{
	Channel: notice.ChannelWebhook, Concurrency: 16, PerRecipient: 2, Timeout: 5 * time.Second,
	MaxAttempts: 3, BackoffBase: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond, Poll: 10 * time.Millisecond,
}

// run starts a dispatcher (a replica) until the test ends.
func (f *fixture) run(t *testing.T, cfg app.DispatcherConfig) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	sender := webhook.New(f.store, &http.Client{}, time.Now)
	go func() {
		done <- app.Dispatch(ctx, f.store, sender, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

func (f *fixture) states(t *testing.T, sub string) map[string]int {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), `SELECT state, count(*) FROM deliveries WHERE recipient = $1 GROUP BY state`, sub)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailingEndpointRecovers: a receiver failing twice then recovering gets every delivery
// exactly once, signed, and each attempt is logged with its outcome.
func TestFailingEndpointRecovers(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, "bí mật")
	r.fail = func(try int64) bool { return try <= 2 }
	sub := f.subscribe(t, r, 1)
	f.run(t, testConfig)
	waitUntil(t, "delivery sent", func() bool { return f.states(t, sub)[notice.StateSent] == 1 })
	if ids, repeats := r.delivered(); ids != 1 || repeats != 0 || r.bad.Load() != 0 {
		t.Errorf("delivered %d ids, %d repeats, %d bad signatures", ids, repeats, r.bad.Load())
	}
	var id string
	if err := f.pool.QueryRow(t.Context(), `SELECT id::text FROM deliveries WHERE recipient = $1`, sub).Scan(&id); err != nil {
		t.Fatal(err)
	}
	as, err := f.store.Attempts(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range as {
		outcomes = append(outcomes, a.Outcome+" "+a.Detail[:8])
	}
	if len(as) != 3 || as[0].Outcome != "failed" || as[1].Outcome != "failed" || as[2].Outcome != "sent" || as[2].Detail != "HTTP 204" {
		t.Errorf("attempts %v, want failed, failed, sent (HTTP 204)", outcomes)
	}
}

// TestDeadLetterAndReplay: a dead endpoint's delivery ends dead after MaxAttempts; once the
// endpoint is back, the operator's replay sends it once.
func TestDeadLetterAndReplay(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, "s")
	var down atomic.Bool
	down.Store(true)
	r.fail = func(int64) bool { return down.Load() }
	sub := f.subscribe(t, r, 1)
	f.run(t, testConfig)
	waitUntil(t, "delivery dead", func() bool { return f.states(t, sub)[notice.StateDead] == 1 })
	if got := r.tries.Load(); got != int64(testConfig.MaxAttempts) {
		t.Errorf("%d tries, want %d", got, testConfig.MaxAttempts)
	}
	dead, err := f.store.DeadDeliveries(t.Context(), 10)
	if err != nil || len(dead) != 1 || dead[0].LastError == "" {
		t.Fatalf("DeadDeliveries = %v, %v", dead, err)
	}
	down.Store(false)
	if _, err := f.store.Replay(t.Context(), dead[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "replayed delivery sent", func() bool { return f.states(t, sub)[notice.StateSent] == 1 })
	if ids, repeats := r.delivered(); ids != 1 || repeats != 0 {
		t.Errorf("delivered %d ids, %d repeats", ids, repeats)
	}
	if _, err := f.store.Replay(t.Context(), dead[0].ID, time.Now()); err == nil {
		t.Error("a sent delivery was replayed")
	}
}

// TestSlowEndpointDoesNotHoldOthers: while a slow endpoint holds every call it gets, the
// healthy endpoints receive all their deliveries.
func TestSlowEndpointDoesNotHoldOthers(t *testing.T) {
	f := newFixture(t)
	slow := newReceiver(t, "s")
	slow.block = make(chan struct{})
	f.subscribe(t, slow, 20)
	var healthy []*receiver
	for range 5 {
		r := newReceiver(t, "h")
		f.subscribe(t, r, 10)
		healthy = append(healthy, r)
	}
	f.run(t, testConfig)
	waitUntil(t, "healthy endpoints served while the slow one blocks", func() bool {
		for _, r := range healthy {
			if ids, _ := r.delivered(); ids != 10 {
				return false
			}
		}
		return true
	})
	if got := slow.tries.Load(); got > int64(testConfig.PerRecipient) {
		t.Errorf("the slow endpoint got %d concurrent calls, want at most %d", got, testConfig.PerRecipient)
	}
	close(slow.block)
}

// TestTwoReplicasSendOnce: two dispatchers on one database never call twice for one delivery.
func TestTwoReplicasSendOnce(t *testing.T) {
	f := newFixture(t)
	var rs []*receiver
	var subs []string
	for range 4 {
		r := newReceiver(t, "s")
		rs = append(rs, r)
		subs = append(subs, f.subscribe(t, r, 50))
	}
	f.run(t, testConfig)
	f.run(t, testConfig)
	waitUntil(t, "all sent", func() bool {
		n := 0
		for _, s := range subs {
			n += f.states(t, s)[notice.StateSent]
		}
		return n == 200
	})
	for _, r := range rs {
		if ids, repeats := r.delivered(); ids != 50 || repeats != 0 {
			t.Errorf("receiver got %d ids with %d repeats, want 50 and 0", ids, repeats)
		}
	}
}

// TestRestartMidDelivery stops a dispatcher while calls are in flight and starts another:
// the calls in hand finish and are recorded before the stop returns, and the new one sends
// the rest, each delivery once.
func TestRestartMidDelivery(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, "s")
	sub := f.subscribe(t, r, 30)
	slowdown := make(chan struct{})
	r.block = slowdown
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Dispatch(ctx, f.store, webhook.New(f.store, &http.Client{}, time.Now), testConfig,
			slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	}()
	waitUntil(t, "calls in flight", func() bool { return r.tries.Load() >= 1 })
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(slowdown) // the calls in hand complete during the stop
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sentAtStop := f.states(t, sub)[notice.StateSent]
	if sentAtStop == 0 || sentAtStop == 30 {
		t.Fatalf("%d of 30 sent when the first dispatcher stopped; want some, not all", sentAtStop)
	}
	f.run(t, testConfig)
	waitUntil(t, "all sent after the restart", func() bool { return f.states(t, sub)[notice.StateSent] == 30 })
	if ids, repeats := r.delivered(); ids != 30 || repeats != 0 {
		t.Errorf("delivered %d ids with %d repeats, want 30 and 0", ids, repeats)
	}
}
