package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parindex/platform/services/notification/internal/notice"
)

// DeliveryStore is what the dispatcher needs from the store.
type DeliveryStore interface {
	// Claim leases up to limit due pending deliveries of channel, at most perRecipient of one
	// recipient, skipping the recipients in busy, counts the attempt and returns them. A leased delivery is not claimed again
	// until its lease ends, so replicas never send it twice at once.
	Claim(ctx context.Context, channel string, limit, perRecipient int, busy []string, lease time.Duration, now time.Time) ([]notice.Delivery, []time.Time, error)
	// Finish records the attempt and the delivery's new state, if the lease (the lease end
	// Claim returned) is still the caller's.
	Finish(ctx context.Context, d notice.Delivery, lease time.Time, a Attempt) error
	// Subscription returns a webhook subscription (active or not).
	Subscription(ctx context.Context, id string) (notice.Subscription, error)
}

// Attempt is one logged try.
type Attempt struct {
	// Outcome is "sent" or "failed".
	Outcome  string
	Detail   string
	Duration time.Duration
	At       time.Time
	// State and NextAttempt are where the delivery goes.
	State       string
	NextAttempt time.Time
}

// Sender sends one delivery; detail says what the other side answered.
type Sender interface {
	Send(ctx context.Context, d notice.Delivery) (detail string, err error)
}

// DispatcherConfig tunes one channel's dispatcher.
type DispatcherConfig struct {
	// Channel is notice.ChannelEmail or notice.ChannelWebhook.
	Channel string
	// Concurrency bounds sends in flight; PerRecipient bounds them per recipient (an
	// endpoint or address), so a slow recipient holds only its own slots.
	Concurrency, PerRecipient int
	// Timeout bounds one send; the lease is longer, so a send never outlives its lease.
	Timeout time.Duration
	// MaxAttempts bounds tries; then the delivery is dead (an operator may replay it).
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delays (exponential, with jitter).
	BackoffBase, BackoffMax time.Duration
	// Poll is how often due deliveries are looked for.
	Poll time.Duration
}

// Dispatch sends the channel's due deliveries until ctx ends, then waits for the sends in
// flight.
func Dispatch(ctx context.Context, st DeliveryStore, send Sender, cfg DispatcherConfig, log *slog.Logger, now func() time.Time) error {
	if cfg.Concurrency <= 0 || cfg.PerRecipient <= 0 || cfg.MaxAttempts <= 0 || cfg.Timeout <= 0 || cfg.Poll <= 0 {
		return errors.New("dispatcher: Concurrency, PerRecipient, MaxAttempts, Timeout and Poll must be positive")
	}
	lease := 2*cfg.Timeout + 5*time.Second
	var (
		mu       sync.Mutex
		inflight = map[string]int{}
		total    int
		wg       sync.WaitGroup
		wake     = make(chan struct{}, 1)
	)
	defer wg.Wait()
	ticker := time.NewTicker(cfg.Poll)
	defer ticker.Stop()
	for {
		mu.Lock()
		free := cfg.Concurrency - total
		var busy []string
		// A recipient with calls in flight is skipped, so it never has more than
		// PerRecipient: a slow endpoint holds only its own slots.
		for r := range inflight {
			busy = append(busy, r)
		}
		mu.Unlock()
		if free > 0 {
			ds, leases, err := st.Claim(ctx, cfg.Channel, free, cfg.PerRecipient, busy, lease, now())
			if err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "dispatcher: claim failed", "channel", cfg.Channel, "err", err)
			}
			for i, d := range ds {
				mu.Lock()
				inflight[d.Recipient]++
				total++
				mu.Unlock()
				wg.Go(func() {
					defer func() {
						mu.Lock()
						inflight[d.Recipient]--
						if inflight[d.Recipient] == 0 {
							delete(inflight, d.Recipient)
						}
						total--
						mu.Unlock()
						select {
						case wake <- struct{}{}:
						default:
						}
					}()
					deliver(context.WithoutCancel(ctx), st, send, cfg, log, now, d, leases[i])
				})
			}
			if len(ds) == free {
				continue // more may be due
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-wake:
		}
	}
}

// deliver makes one attempt and records it.
func deliver(ctx context.Context, st DeliveryStore, send Sender, cfg DispatcherConfig, log *slog.Logger, now func() time.Time, d notice.Delivery, lease time.Time) {
	start := now()
	sctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	detail, err := send.Send(sctx, d)
	cancel()
	a := Attempt{Outcome: notice.StateSent, Detail: detail, Duration: now().Sub(start), At: start, State: notice.StateSent}
	if err != nil {
		a.Outcome = "failed"
		a.Detail = err.Error()
		if detail != "" {
			a.Detail = detail + ": " + err.Error()
		}
		if d.Attempts >= cfg.MaxAttempts {
			a.State = notice.StateDead
		} else {
			a.State = notice.StatePending
			a.NextAttempt = now().Add(notice.Backoff(d.Attempts, cfg.BackoffBase, cfg.BackoffMax))
		}
	}
	if err := st.Finish(ctx, d, lease, a); err != nil {
		log.ErrorContext(ctx, "dispatcher: cannot record the attempt; the lease will run out and the delivery be retried",
			"delivery_id", d.ID, "err", err)
		return
	}
	log.InfoContext(ctx, "delivery attempt", slog.String("delivery_id", d.ID), slog.String("event_id", d.EventID),
		slog.String("channel", d.Channel), slog.String("recipient", d.Recipient), slog.Int("attempt", d.Attempts),
		slog.String("outcome", a.Outcome), slog.String("state", a.State), slog.String("detail", a.Detail),
		slog.Duration("duration", a.Duration))
}

// ErrNotReplayable is returned when a delivery to replay is not dead.
var ErrNotReplayable = fmt.Errorf("delivery is not dead")

// Preference is a user's choice for one event type on one channel.
type Preference struct {
	EventType, Channel, Mode string
}
