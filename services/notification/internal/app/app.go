// Package app holds the use cases of the notification service on one Service type, with the
// ports it needs: a Store for reading and marking inbox items, and an ItemWriter bound to
// the transaction in which an event is consumed.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parindex/platform/services/notification/internal/inbox"
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
}

// ItemWriter adds inbox items within the transaction of the event that causes them.
type ItemWriter interface {
	// AddItems inserts items, skipping any whose (event, unit) is already there, and
	// returns how many were added.
	AddItems(ctx context.Context, items []inbox.Item) (added int, err error)
}

// ItemFilter selects a page of a unit's inbox.
type ItemFilter struct {
	// UnitID is the unit whose inbox is read.
	UnitID string
	// UnreadOnly keeps unread items.
	UnreadOnly bool
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
	log   *slog.Logger
	now   func() time.Time
	newID func() string
}

// New returns a Service. now and newID are the clock and the id generator (UUIDs in
// production), passed in so tests can fix them.
func New(store Store, log *slog.Logger, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, log: log, now: now, newID: newID}
}

// DeliverTaskAssigned puts one item per assigned unit in the units' inboxes, through w (the
// consuming transaction), for the event eventID.
func (s *Service) DeliverTaskAssigned(ctx context.Context, w ItemWriter, eventID string, a inbox.Assignment) error {
	items, err := inbox.ItemsForAssignment(a, eventID, s.now(), s.newID)
	if err != nil {
		return err
	}
	added, err := w.AddItems(ctx, items)
	if err != nil {
		return fmt.Errorf("deliver task %s of event %s: %w", a.TaskID, eventID, err)
	}
	s.log.InfoContext(ctx, "task assignment delivered to inboxes",
		slog.String("event_id", eventID), slog.String("task_id", a.TaskID),
		slog.String("task_code", a.TaskCode), slog.String("document_number", a.DocumentNumber),
		slog.Int("units", len(items)), slog.Int("items_added", added))
	return nil
}

// UnitItems returns one page of a unit's inbox.
func (s *Service) UnitItems(ctx context.Context, f ItemFilter) (ItemPage, error) {
	p, err := s.store.UnitItems(ctx, f)
	if err != nil {
		return ItemPage{}, fmt.Errorf("list inbox of unit %s: %w", f.UnitID, err)
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
