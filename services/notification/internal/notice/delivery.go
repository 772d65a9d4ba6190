package notice

import (
	"math/rand/v2"
	"time"
)

// Delivery states.
const (
	StatePending = "pending"
	// StateSending is a delivery claimed for sending: committed before the send, so a crash
	// between the send and its record is seen (outcome unknown), never silently resent.
	StateSending  = "sending"
	StateSent     = "sent"
	StateDead     = "dead"
	StateDigest   = "digest"
	StateDigested = "digested"
)

// OutcomeUnknown is the outcome logged for an attempt whose process died mid-send.
const OutcomeUnknown = "unknown"

// Preference modes.
const (
	ModeImmediate = "immediate"
	ModeDigest    = "digest"
	ModeOff       = "off"
)

// Delivery is one e-mail or webhook call to make. (EventID, Channel, Recipient) identifies
// it: an event reaches a recipient on a channel once.
type Delivery struct {
	ID, EventID, EventType string
	// Channel is ChannelEmail or ChannelWebhook.
	Channel string
	// Recipient is the e-mail address or the webhook subscription id.
	Recipient string
	// Subject of an e-mail; Body the e-mail text or the webhook's JSON.
	Subject string
	Body    []byte
	// State is one of the State constants.
	State     string
	Attempts  int
	LastError string
	// NextAttempt is when it is due.
	NextAttempt time.Time
	CreateTime  time.Time
}

// Subscription is an agency system's webhook.
type Subscription struct {
	ID, Name, URL, Secret string
	// EventTypes filter the events sent; empty means all.
	EventTypes []string
	Active     bool
	CreateTime time.Time
}

// Wants reports whether the subscription takes events of type event.
func (s Subscription) Wants(event string) bool {
	if len(s.EventTypes) == 0 {
		return true
	}
	for _, e := range s.EventTypes {
		if e == event {
			return true
		}
	}
	return false
}

// Backoff returns the wait before attempt n+1 after n failed attempts: base doubled per
// attempt, capped at max, with full jitter over its upper half so that many failing
// deliveries do not retry in lockstep.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1)) // #nosec G404 -- jitter of retry delays, not a secret
}
