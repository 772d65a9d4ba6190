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
	// SettleUnknown settles the deliveries of channel whose sender died mid-send (still
	// 'sending' after their lease): with resend, back to pending while attempts are left;
	// otherwise dead. It logs an 'unknown' attempt with detail for each.
	SettleUnknown(ctx context.Context, channel string, resend bool, maxAttempts int, detail string, now time.Time) (int, error)
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
	// ResendUnknown says what becomes of a delivery whose dispatcher died between sending
	// it and recording the outcome (found 'sending' after its lease): true sends it again
	// with the same delivery id; false moves it to the dead letters, outcome unknown, for an
	// operator to check and replay. See UnknownPolicy.
	ResendUnknown bool
}

// UnknownPolicy returns the ResendUnknown of channel, the trade-off made for each:
//
//   - webhook: resend. The call carries the same X-Par-Delivery-Id (and body) as the one
//     that may have arrived, and receivers are required to drop a delivery id they have
//     seen (docs of webhook.HeaderDeliveryID), so a resend costs them a lookup, while not
//     resending could lose an event an agency system acts on.
//   - email: do not resend. Mail clients do not reliably fold two messages with the same
//     Message-ID, so a resend may put a second copy before a person; the delivery goes to
//     the dead letters, outcome unknown, and the operator replays it after checking (the
//     item is in the recipient's in-app inbox regardless).
func UnknownPolicy(channel string) bool { return channel == notice.ChannelWebhook }

// unknownDetail is logged with the attempt, and shown to operators, for a send whose outcome
// is unknown.
func unknownDetail(resend bool) string {
	if resend {
		return "Không rõ kết quả: dịch vụ dừng giữa lúc gửi; gửi lại với cùng mã lượt gửi (X-Par-Delivery-Id)"
	}
	return "Không rõ kết quả: dịch vụ dừng giữa lúc gửi, thư có thể đã đến người nhận; kiểm tra trước khi gửi lại"
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
		if n, err := st.SettleUnknown(ctx, cfg.Channel, cfg.ResendUnknown, cfg.MaxAttempts, unknownDetail(cfg.ResendUnknown), now()); err != nil {
			if ctx.Err() == nil {
				log.WarnContext(ctx, "dispatcher: settling sends of unknown outcome failed", "channel", cfg.Channel, "err", err)
			}
		} else if n > 0 {
			log.WarnContext(ctx, "dispatcher: sends of unknown outcome found (a dispatcher died mid-send)",
				"channel", cfg.Channel, "deliveries", n, "resend", cfg.ResendUnknown)
		}
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
