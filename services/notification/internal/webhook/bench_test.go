package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
	"github.com/parindex/platform/services/notification/internal/webhook"
)

// benchConfig is the production shape (WEBHOOK_CONCURRENCY 32, 2 per endpoint) with a short
// timeout so slow endpoints time out within the run.
var benchConfig = app.DispatcherConfig{
	Channel: notice.ChannelWebhook, Concurrency: 32, PerRecipient: 2, Timeout: time.Second,
	MaxAttempts: 8, BackoffBase: 200 * time.Millisecond, BackoffMax: 2 * time.Second, Poll: 20 * time.Millisecond,
}

// healthyLatencies queues perEndpoint deliveries to each of 100 endpoints, bad of which hang
// (half) or fail (half), runs a dispatcher, and returns the time from queueing to receipt of
// every delivery of the healthy endpoints.
func healthyLatencies(b *testing.B, bad, perEndpoint int) []time.Duration {
	pool := pgtest.NewPool(b, postgres.Migrations())
	store := postgres.New(pool)
	var (
		mu   sync.Mutex
		lats []time.Duration
	)
	queued := time.Now()
	stopHang := make(chan struct{})
	var ds []notice.Delivery
	for i := range 100 {
		var h http.HandlerFunc
		switch {
		case i < bad/2:
			h = func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-stopHang:
				case <-r.Context().Done():
				}
			}
		case i < bad:
			h = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }
		default:
			h = func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				lats = append(lats, time.Since(queued))
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}
		}
		srv := httptest.NewServer(h)
		b.Cleanup(srv.Close)
		id := uuid.NewString()
		if err := store.CreateSubscription(b.Context(), notice.Subscription{ID: id, Name: id, URL: srv.URL, Secret: "s", CreateTime: queued}); err != nil {
			b.Fatal(err)
		}
		for range perEndpoint {
			ds = append(ds, notice.Delivery{ID: uuid.NewString(), EventID: uuid.NewString(), EventType: "tasktracking.v1.task.assigned",
				Channel: notice.ChannelWebhook, Recipient: id, Body: []byte(`{"event_type":"tasktracking.v1.task.assigned"}`),
				State: notice.StatePending, NextAttempt: queued, CreateTime: queued})
		}
	}
	if _, err := store.AddDeliveries(b.Context(), ds); err != nil {
		b.Fatal(err)
	}
	queued = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Dispatch(ctx, store, webhook.New(store, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, time.Now),
			benchConfig, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	}()
	want := (100 - bad) * perEndpoint
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(lats)
		mu.Unlock()
		if n >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d healthy deliveries after 60 s", n, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stopHang)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(lats)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	return ds[int(float64(len(ds)-1)*p)]
}

// BenchmarkWebhooks100Endpoints delivers 10 events to each of 100 endpoints, 10 of which hang
// or fail, and compares the healthy endpoints' delivery latency with a run in which all 100
// are healthy (same process, same run). p95_vs_all_healthy near 1 means the bad endpoints
// do not delay the others.
func BenchmarkWebhooks100Endpoints(b *testing.B) {
	var withBad, allHealthy []time.Duration
	for b.Loop() {
		allHealthy = append(allHealthy, healthyLatencies(b, 0, 10)...)
		withBad = append(withBad, healthyLatencies(b, 10, 10)...)
	}
	p50b, p95b := percentile(withBad, 0.5), percentile(withBad, 0.95)
	p50h, p95h := percentile(allHealthy, 0.5), percentile(allHealthy, 0.95)
	b.ReportMetric(float64(p50b.Milliseconds()), "healthy_p50_ms")
	b.ReportMetric(float64(p95b.Milliseconds()), "healthy_p95_ms")
	b.ReportMetric(float64(p95h.Milliseconds()), "all_healthy_p95_ms")
	b.ReportMetric(float64(p50b)/float64(p50h), "p50_vs_all_healthy")
	b.ReportMetric(float64(p95b)/float64(p95h), "p95_vs_all_healthy")
}
