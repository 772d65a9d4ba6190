// Package app holds the use cases of the notification service on one Service type, with the
// ports it needs: a Store for reading and marking inbox items and managing deliveries, a
// TxStore bound to the transaction in which an event is consumed, and the Directory that
// resolves recipients.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Store reads and updates inbox items. postgres.Store implements it.
type Store interface {
	// UnitItems returns one page of a unit's inbox, newest first, with its unread count.
	UnitItems(ctx context.Context, f ItemFilter) (ItemPage, error)
	// Item returns one item, or inbox.ErrItemNotFound.
	Item(ctx context.Context, id string) (inbox.Item, error)
	// MarkRead sets the item's read time to at unless it is already read, and returns the
	// item; inbox.ErrItemNotFound when there is none.
	MarkRead(ctx context.Context, id string, at time.Time) (inbox.Item, error)
	// ItemsAfter returns a user's (own and unit's) items created after a position, oldest
	// first.
	ItemsAfter(ctx context.Context, userID, unitID string, createTime time.Time, id string, limit int) ([]inbox.Item, error)
	// Subscriptions returns the active webhook subscriptions.
	Subscriptions(ctx context.Context) ([]notice.Subscription, error)
	// CreateSubscription stores a subscription.
	CreateSubscription(ctx context.Context, sub notice.Subscription) error
	// DeactivateSubscription stops one; ErrNotFound-kind error when unknown.
	DeactivateSubscription(ctx context.Context, id string) error
	// DeadDeliveries returns dead deliveries, newest first.
	DeadDeliveries(ctx context.Context, limit int) ([]notice.Delivery, error)
	// Replay makes a dead delivery pending again.
	Replay(ctx context.Context, id string, now time.Time) (notice.Delivery, error)
	// Attempts returns a delivery's logged attempts.
	Attempts(ctx context.Context, id string) ([]Attempt, error)
	// Preferences and SetPreferences read and replace a user's choices.
	Preferences(ctx context.Context, userID string) ([]Preference, error)
	SetPreferences(ctx context.Context, userID string, ps []Preference) error
}

// ItemWriter adds inbox items within the transaction of the event that causes them.
type ItemWriter interface {
	// AddItems inserts items, skipping any whose (event, unit or user) is already there, and
	// returns how many were added. Items without an id get one from the store, derived from
	// event and recipient so that a repeat is recognised (set on return); leave ID empty.
	AddItems(ctx context.Context, items []inbox.Item) (added int, err error)
}

// ItemFilter selects a page of an inbox.
type ItemFilter struct {
	// UnitID is the unit whose inbox is read. With UserID set too, the inbox is the user's:
	// items addressed to the user and the items of the user's unit.
	UnitID string
	// UserID selects the user's inbox.
	UserID string
	// UnreadOnly keeps unread items; UrgentOnly urgent ones; EventType one type.
	UnreadOnly bool
	UrgentOnly bool
	EventType  string
	// PageSize is the requested page size (0 for the default); PageToken continues a list.
	PageSize  int32
	PageToken string
}

// ItemPage is one page of an inbox.
type ItemPage struct {
	// Items are newest first.
	Items []inbox.Item
	// NextPageToken continues the list; "" on the last page.
	NextPageToken string
	// UnreadCount counts the unread items of the whole inbox.
	UnreadCount int
}

// Service runs the use cases.
type Service struct {
	store Store
	dir   Directory
	rules *notice.Rules
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	newID func() string
}

// New returns a Service resolving recipients through dir and applying rules. now and newID
// are the clock and the id generator (UUIDs in production), passed in so tests can fix them.
func New(store Store, dir Directory, rules *notice.Rules, opts Options, log *slog.Logger, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, dir: dir, rules: rules, opts: opts, log: log, now: now, newID: newID}
}

// Rules returns the rules the service applies.
func (s *Service) Rules() *notice.Rules { return s.rules }

// UnitItems returns one page of a unit's (or, with UserID, a user's) inbox.
func (s *Service) UnitItems(ctx context.Context, f ItemFilter) (ItemPage, error) {
	p, err := s.store.UnitItems(ctx, f)
	if err != nil {
		return ItemPage{}, fmt.Errorf("list inbox of unit %s user %s: %w", f.UnitID, f.UserID, err)
	}
	return p, nil
}

// Item returns one inbox item.
func (s *Service) Item(ctx context.Context, id string) (inbox.Item, error) {
	it, err := s.store.Item(ctx, id)
	if err != nil {
		return inbox.Item{}, fmt.Errorf("get inbox item %s: %w", id, err)
	}
	return it, nil
}

// MarkRead marks an item read; marking it again keeps the first read time.
func (s *Service) MarkRead(ctx context.Context, id string) (inbox.Item, error) {
	it, err := s.store.MarkRead(ctx, id, s.now())
	if err != nil {
		return inbox.Item{}, fmt.Errorf("mark inbox item %s read: %w", id, err)
	}
	return it, nil
}

// InboxSignals tells watchers that items may have arrived for recipients (user or unit
// ids), in every replica. postgres.InboxSignals implements it over LISTEN/NOTIFY.
type InboxSignals interface {
	// Watch returns a channel that receives when items of the recipients may have arrived,
	// and a func that stops the watch.
	Watch(recipients ...string) (<-chan struct{}, func())
}

// WatchInbox sends the user's new inbox items (own and unit's), created from now on, to
// send until ctx ends or send fails. It reads the store when signals say items may have
// arrived (pushed from the transaction's commit), and every poll regardless, the fallback
// for notifications lost while the listener reconnects, or for no signals at all (nil).
func (s *Service) WatchInbox(ctx context.Context, userID, unitID string, signals InboxSignals, poll time.Duration, send func(inbox.Item) error) error {
	var wake <-chan struct{}
	if signals != nil {
		ch, stop := signals.Watch(userID, unitID)
		defer stop()
		wake = ch
	}
	after, afterID := s.now(), ""
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		items, err := s.store.ItemsAfter(ctx, userID, unitID, after, afterID, 100)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch inbox of %s: %w", userID, err)
		}
		for _, it := range items {
			if err := send(it); err != nil {
				return err
			}
			after, afterID = it.CreateTime, it.ID
		}
		if len(items) == 100 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}
