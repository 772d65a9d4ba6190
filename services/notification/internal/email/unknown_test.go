package email_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/email"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

// diesAfterSend is the store of a dispatcher whose process dies right after a send: the
// e-mail went out, its outcome is never recorded.
type diesAfterSend struct {
	*postgres.Store
	died chan struct{}
}

func (s *diesAfterSend) Finish(context.Context, notice.Delivery, time.Time, app.Attempt) error {
	close(s.died)
	return errors.New("process killed")
}

// TestCrashBetweenSendAndRecordIsNotResent: a dispatcher dies after the relay accepted an
// e-mail and before recording it. The restarted one (after the lease) does not send it
// again: the delivery is a dead letter of unknown outcome, with the attempt logged, until
// the operator replays it.
func TestCrashBetweenSendAndRecordIsNotResent(t *testing.T) {
	ms := startMailServer(t)
	pool := pgtest.NewPool(t, postgres.Migrations())
	store := postgres.New(pool)
	d := delivery
	d.ID, d.EventID = uuid.NewString(), uuid.NewString()
	d.State, d.NextAttempt, d.CreateTime = notice.StatePending, time.Now(), time.Now()
	if _, err := store.AddDeliveries(t.Context(), []notice.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	cfg := app.DispatcherConfig{
		Channel: notice.ChannelEmail, Concurrency: 2, PerRecipient: 1, Timeout: 5 * time.Second, MaxAttempts: 4,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Poll: 10 * time.Millisecond,
		ResendUnknown: app.UnknownPolicy(notice.ChannelEmail),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dispatch := func(st app.DeliveryStore, now func() time.Time, until func() bool) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- app.Dispatch(ctx, st, email.New(ms.config(), time.Now), cfg, log, now) }()
		deadline := time.Now().Add(20 * time.Second)
		for !until() {
			if time.Now().After(deadline) {
				t.Fatal("dispatcher: condition not met after 20 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	state := func() (s, lastErr string) {
		t.Helper()
		if err := pool.QueryRow(t.Context(), `SELECT state, last_error FROM deliveries WHERE id = $1`, d.ID).Scan(&s, &lastErr); err != nil {
			t.Fatal(err)
		}
		return s, lastErr
	}

	crashed := &diesAfterSend{Store: store, died: make(chan struct{})}
	dispatch(crashed, time.Now, func() bool {
		select {
		case <-crashed.died:
			return true
		default:
			return false
		}
	})
	if s, _ := state(); s != notice.StateSending {
		t.Fatalf("state after the crash %q, want sending", s)
	}

	later := func() time.Time { return time.Now().Add(time.Hour) }
	dispatch(store, later, func() bool { s, _ := state(); return s == notice.StateDead })
	// A few more rounds of the restarted dispatcher: still not sent again.
	dispatch(store, later, func() bool { time.Sleep(100 * time.Millisecond); return true })
	if n := len(ms.received()); n != 1 {
		t.Fatalf("%d e-mails received, want 1: one of unknown outcome must not be sent again unasked", n)
	}
	_, lastErr := state()
	if !strings.HasPrefix(lastErr, "Không rõ kết quả") {
		t.Errorf("last error %q, want the unknown outcome explained", lastErr)
	}
	dead, err := store.DeadDeliveries(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != d.ID {
		t.Fatalf("dead letters %v, want the delivery of unknown outcome", dead)
	}
	as, err := store.Attempts(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Outcome != notice.OutcomeUnknown {
		t.Errorf("attempts %+v, want one of unknown outcome", as)
	}

	// The operator checked and replays it: it goes out again, under the same Message-ID.
	if _, err := store.Replay(t.Context(), d.ID, later()); err != nil {
		t.Fatal(err)
	}
	dispatch(store, later, func() bool { s, _ := state(); return s == notice.StateSent })
	mails := ms.received()
	if len(mails) != 2 {
		t.Fatalf("%d e-mails after the replay, want 2", len(mails))
	}
	wantID := "Message-ID: <" + d.ID + "@par-index>"
	for _, m := range mails {
		if !strings.Contains(string(m.data), wantID) {
			t.Errorf("e-mail without %q", wantID)
		}
	}
}
