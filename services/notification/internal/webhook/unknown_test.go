package webhook_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
	"github.com/parindex/platform/services/notification/internal/webhook"
)

// diesAfterSend is the store of a dispatcher whose process dies right after a send: the
// call went out, its outcome is never recorded.
type diesAfterSend struct {
	*postgres.Store
	died chan struct{}
}

func (s *diesAfterSend) Finish(context.Context, notice.Delivery, time.Time, app.Attempt) error {
	close(s.died)
	return errors.New("process killed")
}

// TestCrashBetweenCallAndRecordResendsWithSameDeliveryID: a dispatcher dies after its call
// reached the receiver and before recording it. The restarted one (after the lease) finds
// the delivery 'sending', logs the attempt as of unknown outcome and calls again with the
// same delivery id, which the receiver drops as a repeat.
func TestCrashBetweenCallAndRecordResendsWithSameDeliveryID(t *testing.T) {
	f := newFixture(t)
	r := newReceiver(t, "s")
	sub := f.subscribe(t, r, 1)
	cfg := testConfig
	cfg.ResendUnknown = app.UnknownPolicy(notice.ChannelWebhook)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	crashed := &diesAfterSend{Store: f.store, died: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Dispatch(ctx, crashed, webhook.New(f.store, &http.Client{}, time.Now), cfg, log, time.Now)
	}()
	<-crashed.died
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.states(t, sub); got[notice.StateSending] != 1 {
		t.Fatalf("states after the crash %v, want the delivery 'sending'", got)
	}

	// The restarted dispatcher runs after the dead one's lease has ended.
	later := func() time.Time { return time.Now().Add(time.Hour) }
	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		done <- app.Dispatch(ctx, f.store, webhook.New(f.store, &http.Client{}, time.Now), cfg, log, later)
	}()
	waitUntil(t, "sent after the restart", func() bool { return f.states(t, sub)[notice.StateSent] == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	calls := r.calls
	r.mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("calls per delivery id %v, want one id", calls)
	}
	for id, n := range calls {
		if n != 2 {
			t.Errorf("delivery %s called %d times, want 2 (the lost answer, then the resend with the same id)", id, n)
		}
		as, err := f.store.Attempts(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 2 || as[0].Outcome != notice.OutcomeUnknown || as[1].Outcome != notice.StateSent {
			t.Errorf("attempts %+v, want unknown then sent", as)
		}
	}
}
