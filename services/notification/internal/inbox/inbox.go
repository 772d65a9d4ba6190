// Package inbox is the domain of the notification service's in-app inbox: the items a unit
// finds in its inbox and the Vietnamese messages that tell it what happened.
//
// It imports nothing of the platform but the shared Vietnamese date helpers.
package inbox

import (
	"errors"
	"time"
)

// Sentinels classify domain errors; transports choose status codes from them alone.
var (
	// ErrNotFound means the thing asked for does not exist (or is not the caller's to see).
	ErrNotFound = errors.New("not found")
)

// Error is a classified domain error with the Vietnamese sentence a person reads.
type Error struct {
	// Kind is one of the sentinels above.
	Kind error
	// Message is shown to people, so it is Vietnamese and names no internals.
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel so errors.Is classifies the error.
func (e *Error) Unwrap() error { return e.Kind }

// ErrItemNotFound is returned when no inbox item has the id asked for.
var ErrItemNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy thông báo"}

// Item is one message in a unit's inbox.
type Item struct {
	// ID is assigned when the item is created.
	ID string
	// UnitID is the unit whose inbox holds the item; empty for an item addressed to a user.
	UnitID string
	// UserID is the user the item is addressed to; empty for a unit's item.
	UserID string
	// EventID is the id (Nats-Msg-Id) of the event that caused the item; with UnitID it
	// identifies the item, so a redelivered event cannot add a second one.
	EventID string
	// EventType is the event's subject, e.g. "tasktracking.v1.task.assigned".
	EventType string
	// Title is the short Vietnamese title.
	Title string
	// Body is the Vietnamese message.
	Body string
	// Link is the path into the portal, e.g. "/nhiem-vu/<task id>".
	Link string
	// Urgent items reach the inbox whatever the preferences.
	Urgent bool
	// ReadTime is when the item was read; zero while unread.
	ReadTime time.Time
	// CreateTime is when the item was created.
	CreateTime time.Time
}

// Unread reports whether the item has not been read.
func (it Item) Unread() bool { return it.ReadTime.IsZero() }
