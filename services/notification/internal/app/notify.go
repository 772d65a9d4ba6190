package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// User is a directory user as notifications need it.
type User struct {
	ID, UnitID, Email, Name string
}

// Directory resolves recipients: the users of units and roles, and who answers for a unit
// on a date. directory.Client implements it over gRPC.
type Directory interface {
	// UsersOfUnits returns the active users of each unit.
	UsersOfUnits(ctx context.Context, unitIDs []string) (map[string][]User, error)
	// RoleUsers returns the active users holding role ("secretariat", "leadership").
	RoleUsers(ctx context.Context, role string) ([]User, error)
	// ResponsibleHead returns the user who answers for the unit on day; "" when the post was
	// vacant or held by someone without a user account.
	ResponsibleHead(ctx context.Context, unitID string, day vntime.Date) (string, error)
	// User returns one user; ok is false when there is none.
	User(ctx context.Context, id string) (u User, ok bool, err error)
}

// TxStore is the store bound to the transaction consuming an event: everything an event
// causes commits with its processed-event record, or not at all.
type TxStore interface {
	ItemWriter
	// AddDeliveries inserts deliveries, skipping any whose (event, channel, recipient) exists.
	AddDeliveries(ctx context.Context, ds []notice.Delivery) (int, error)
	// Modes returns the explicit preference modes of users for event: user → channel → mode.
	Modes(ctx context.Context, userIDs []string, event string) (map[string]map[string]string, error)
	// Subscriptions returns the active webhook subscriptions.
	Subscriptions(ctx context.Context) ([]notice.Subscription, error)
	// Watch starts an escalation watch unless one with its key exists.
	Watch(ctx context.Context, w Watch) error
	// React ends the waiting watch with key.
	React(ctx context.Context, key string, at time.Time) error
}

// Watch is an escalation watch: the message the secretariat gets when nobody reacts by Due.
type Watch struct {
	Key, SourceEventID, EventType string
	Message                       notice.Message
	Due, Since                    time.Time
}

// Event is one event to notify about.
type Event struct {
	// ID is the event id, Type its subject.
	ID, Type string
	// Facts are what it tells.
	Facts notice.Facts
	// JSON is the event as agency systems receive it (protojson).
	JSON []byte
	// Trace carries the producer's trace for this event's log line when events are handled
	// in a batch (whose context has the batch's span); nil means the call's context.
	Trace context.Context
}

// ErrDirectory wraps failures of the directory, which are transient: the event is retried.
var ErrDirectory = errors.New("directory unavailable")

// Options tune notifications.
type Options struct {
	// PortalBaseURL prefixes portal links in e-mails.
	PortalBaseURL string
	// EscalateAfter is how long an explanation request or an overdue task may go without a
	// reaction before the secretariat is told.
	EscalateAfter time.Duration
}

// recipientUser is a user to tell, with the role wording of the audience naming them.
type recipientUser struct {
	User
	role string
}

// Notify applies the rule of ev in tx: inbox items, e-mails, webhook calls and escalation
// watches. An event without a rule changes nothing.
func (s *Service) Notify(ctx context.Context, tx TxStore, ev Event) error {
	return s.NotifyBatch(ctx, tx, []Event{ev})
}

// NotifyBatch applies the rules of several events in tx, writing all their inbox items and
// deliveries in one statement each.
func (s *Service) NotifyBatch(ctx context.Context, tx TxStore, evs []Event) error {
	var (
		items  []inbox.Item
		ds     []notice.Delivery
		subs   []notice.Subscription
		subsOK bool
	)
	now := s.now()
	for _, ev := range evs {
		rule, ok := s.rules.For(ev.Type)
		if !ok {
			continue
		}
		if rule.Reaction != "" {
			if err := tx.React(ctx, rule.Reaction+":"+watchID(rule.Reaction, ev.Facts), now); err != nil {
				return fmt.Errorf("record reaction to %s: %w", ev.ID, err)
			}
			continue
		}
		if !subsOK {
			var err error
			if subs, err = tx.Subscriptions(ctx); err != nil {
				return err
			}
			subsOK = true
		}
		evItems, evDs, err := s.plan(ctx, tx, rule, ev, subs, now)
		if err != nil {
			return err
		}
		items, ds = append(items, evItems...), append(ds, evDs...)
		if rule.Escalate != "" {
			m, err := notice.Render(ev.Type, notice.ChannelInbox, ev.Facts, notice.Recipient{}, s.opts.PortalBaseURL)
			if err != nil {
				return err
			}
			w := Watch{Key: rule.Escalate + ":" + watchID(rule.Escalate, ev.Facts), SourceEventID: ev.ID, EventType: ev.Type,
				Message: m, Due: now.Add(s.opts.EscalateAfter), Since: now}
			if err := tx.Watch(ctx, w); err != nil {
				return fmt.Errorf("event %s: %w", ev.ID, err)
			}
		}
		logCtx := ctx
		if ev.Trace != nil {
			logCtx = ev.Trace
		}
		s.log.InfoContext(logCtx, "event notified",
			slog.String("event_id", ev.ID), slog.String("event_type", ev.Type),
			slog.Int("inbox_items", len(evItems)), slog.Int("deliveries", len(evDs)))
	}
	if _, err := tx.AddItems(ctx, items); err != nil {
		return fmt.Errorf("%d events: %w", len(evs), err)
	}
	if _, err := tx.AddDeliveries(ctx, ds); err != nil {
		return fmt.Errorf("%d events: %w", len(evs), err)
	}
	return nil
}

// plan returns the inbox items and deliveries one event causes.
func (s *Service) plan(ctx context.Context, tx TxStore, rule notice.Rule, ev Event, subs []notice.Subscription, now time.Time) ([]inbox.Item, []notice.Delivery, error) {
	units := rule.Units(ev.Facts)
	users, err := s.users(ctx, rule, ev.Facts, units, now)
	if err != nil {
		return nil, nil, err
	}
	var userIDs []string
	for _, u := range users {
		userIDs = append(userIDs, u.ID)
	}
	modes, err := tx.Modes(ctx, userIDs, ev.Type)
	if err != nil {
		return nil, nil, err
	}
	var items []inbox.Item
	for _, r := range units {
		m, err := notice.Render(ev.Type, notice.ChannelInbox, ev.Facts, r, s.opts.PortalBaseURL)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, inbox.Item{ID: s.newID(), UnitID: r.UnitID, EventID: ev.ID, EventType: ev.Type,
			Title: m.Title, Body: m.Body, Link: m.Link, Urgent: rule.Urgent, CreateTime: now})
	}
	var ds []notice.Delivery
	for _, u := range users {
		r := notice.Recipient{UserID: u.ID, UnitID: u.UnitID, Role: u.role}
		// A unit's users read the unit's item; users named directly get their own.
		if mode := modes[u.ID][notice.ChannelInbox]; u.direct && (rule.Urgent || mode != notice.ModeOff) {
			m, err := notice.Render(ev.Type, notice.ChannelInbox, ev.Facts, r, s.opts.PortalBaseURL)
			if err != nil {
				return nil, nil, err
			}
			items = append(items, inbox.Item{ID: s.newID(), UserID: u.ID, EventID: ev.ID, EventType: ev.Type,
				Title: m.Title, Body: m.Body, Link: m.Link, Urgent: rule.Urgent, CreateTime: now})
		}
		if u.Email == "" {
			continue
		}
		state := notice.StatePending
		switch modes[u.ID][notice.ChannelEmail] {
		case notice.ModeOff:
			continue
		case notice.ModeDigest:
			if !rule.Urgent {
				state = notice.StateDigest
			}
		}
		m, err := notice.Render(ev.Type, notice.ChannelEmail, ev.Facts, r, s.opts.PortalBaseURL)
		if err != nil {
			return nil, nil, err
		}
		ds = append(ds, notice.Delivery{ID: s.newID(), EventID: ev.ID, EventType: ev.Type, Channel: notice.ChannelEmail,
			Recipient: strings.ToLower(u.Email), Subject: m.Title, Body: []byte(m.Body), State: state,
			NextAttempt: now, CreateTime: now})
	}
	for _, sub := range subs {
		if !sub.Wants(ev.Type) {
			continue
		}
		ds = append(ds, notice.Delivery{ID: s.newID(), EventID: ev.ID, EventType: ev.Type, Channel: notice.ChannelWebhook,
			Recipient: sub.ID, Body: webhookBody(ev), State: notice.StatePending, NextAttempt: now, CreateTime: now})
	}
	return items, ds, nil
}

// watchID is the id an escalation watch of kind is keyed by in facts.
func watchID(kind string, f notice.Facts) string {
	if kind == "occurrence" {
		return f.OccurrenceID
	}
	return f.RecordID
}

// users resolves the users to tell: the users of the units (e-mail only), then the users
// the rule names directly (inbox and e-mail), each once.
func (s *Service) users(ctx context.Context, rule notice.Rule, f notice.Facts, units []notice.Recipient, now time.Time) ([]recipientUserEntry, error) {
	var out []recipientUserEntry
	seen := map[string]int{}
	add := func(u User, role string, direct bool) {
		if u.ID == "" {
			return
		}
		if i, ok := seen[u.ID]; ok {
			out[i].direct = out[i].direct || direct
			return
		}
		seen[u.ID] = len(out)
		out = append(out, recipientUserEntry{recipientUser: recipientUser{User: u, role: role}, direct: direct})
	}
	if rule.Wants(notice.AudHead) {
		id := f.HeadUserID
		if id == "" && f.UnitID != "" {
			var err error
			if id, err = s.dir.ResponsibleHead(ctx, f.UnitID, vntime.Today(now)); err != nil {
				return nil, fmt.Errorf("%w: head of %s: %w", ErrDirectory, f.UnitID, err)
			}
		}
		if id != "" {
			u, ok, err := s.dir.User(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("%w: user %s: %w", ErrDirectory, id, err)
			}
			if !ok {
				u = User{ID: id, UnitID: f.UnitID, Name: f.HeadName}
			}
			add(u, "người đứng đầu", true)
		}
	}
	for _, a := range []notice.Audience{notice.AudSecretariat, notice.AudLeadership} {
		if !rule.Wants(a) {
			continue
		}
		us, err := s.dir.RoleUsers(ctx, string(a))
		if err != nil {
			return nil, fmt.Errorf("%w: %s users: %w", ErrDirectory, a, err)
		}
		for _, u := range us {
			add(u, "", true)
		}
	}
	if len(units) > 0 {
		var ids []string
		for _, r := range units {
			ids = append(ids, r.UnitID)
		}
		byUnit, err := s.dir.UsersOfUnits(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("%w: users of units: %w", ErrDirectory, err)
		}
		for _, r := range units {
			for _, u := range byUnit[r.UnitID] {
				add(u, r.Role, false)
			}
		}
	}
	return out, nil
}

// recipientUserEntry is a user to tell; direct users also get an inbox item of their own.
type recipientUserEntry struct {
	recipientUser
	direct bool
}

// webhookBody is the JSON an agency system receives: the event's id, type and content.
func webhookBody(ev Event) []byte {
	data := ev.JSON
	if len(data) == 0 {
		data = []byte("{}")
	}
	b, _ := json.Marshal(struct {
		EventID   string          `json:"event_id"`
		EventType string          `json:"event_type"`
		Data      json.RawMessage `json:"data"`
	}{ev.ID, ev.Type, data})
	return b
}
