package postgres

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// InboxChannel is the PostgreSQL notification channel on which new inbox items are
// announced (migration 004): the payload lists the recipients touched, or is empty for
// "anyone".
const InboxChannel = "inbox_items"

// InboxSignals listens on InboxChannel on one connection of its own and wakes the
// watchers of the recipients named, in every replica (a notification reaches all
// listening sessions). It implements app.InboxSignals.
type InboxSignals struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{} // recipient id → wake channels
}

// NewInboxSignals returns signals on pool; Run starts listening.
func NewInboxSignals(pool *pgxpool.Pool, log *slog.Logger) *InboxSignals {
	return &InboxSignals{pool: pool, log: log, watchers: map[string]map[chan struct{}]struct{}{}}
}

// Watch returns a channel woken (without blocking, a pending wake at most) when items of
// any of the recipients (user or unit ids) may have arrived, and a func to stop.
func (s *InboxSignals) Watch(recipients ...string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	for _, r := range recipients {
		if r == "" {
			continue
		}
		if s.watchers[r] == nil {
			s.watchers[r] = map[chan struct{}]struct{}{}
		}
		s.watchers[r][ch] = struct{}{}
	}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range recipients {
			delete(s.watchers[r], ch)
			if len(s.watchers[r]) == 0 {
				delete(s.watchers, r)
			}
		}
	}
}

// wake wakes the watchers of recipients; none named wakes all.
func (s *InboxSignals) wake(recipients []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	signal := func(ws map[chan struct{}]struct{}) {
		for ch := range ws {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	if len(recipients) == 0 {
		for _, ws := range s.watchers {
			signal(ws)
		}
		return
	}
	for _, r := range recipients {
		signal(s.watchers[r])
	}
}

// Run listens until ctx ends. A lost connection is taken again after retry; meanwhile, and
// after each reconnection, every watcher is woken, since notifications sent while nobody
// listened are lost (the watchers' poll fallback covers the gap too).
func (s *InboxSignals) Run(ctx context.Context, retry time.Duration) error {
	for ctx.Err() == nil {
		err := s.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		s.log.WarnContext(ctx, "inbox signals: listening failed; retrying", "err", err)
		s.wake(nil)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
	return nil
}

func (s *InboxSignals) listen(ctx context.Context) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The session holds a LISTEN: it never goes back to the pool.
	conn := pooled.Hijack()
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+InboxChannel); err != nil {
		return err
	}
	s.wake(nil) // anything written before LISTEN took effect
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == "" {
			s.wake(nil)
			continue
		}
		s.wake(strings.Split(n.Payload, ","))
	}
}
