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
	// Modes returns the explicit preference modes of users for the event types:
	// user → event type → channel → mode.
	Modes(ctx context.Context, userIDs, eventTypes []string) (map[string]map[string]map[string]string, error)
	// CopyNew writes the items (ids as AddItems gives them) and deliveries of events new
	// in this transaction, failing (rather than skipping) if one exists already.
	CopyNew(ctx context.Context, items []inbox.Item, ds []notice.Delivery) error
	// Subscriptions returns the active webhook subscriptions.
	Subscriptions(ctx context.Context) ([]notice.Subscription, error)
	// Watches applies a batch's escalation watches and reactions, one statement each:
	// first it ends the waiting watches of the reacted keys, then it starts the watches
	// whose keys have none yet, each in its Reacted state (app.watchPlan keeps the events'
	// order).
	Watches(ctx context.Context, reacted []string, started []Watch, at time.Time) error
}

// Watch is an escalation watch: the message the secretariat gets when nobody reacts by Due.
type Watch struct {
	Key, SourceEventID, EventType string
	Message                       notice.Message
	Due, Since                    time.Time
	// Reacted starts the watch already ended: a later event of the same batch reacted.
	Reacted bool
}

// watchPlan collects a batch's watches and reactions in event order, so that they can be
// written in two statements with the effect of one per event: a reaction ends a watch that
// was waiting before the batch (whatever its place in the batch), and a watch the batch
// starts only if a reaction comes after it.
type watchPlan struct {
	reacted []string // keys reacted to, each once
	started []Watch  // the first watch of each key
	seenR   map[string]bool
	byKey   map[string]int // index in started
}

func (p *watchPlan) watch(w Watch) {
	if _, ok := p.byKey[w.Key]; ok {
		return // a watch whose key exists starts nothing
	}
	if p.byKey == nil {
		p.byKey = map[string]int{}
	}
	p.byKey[w.Key] = len(p.started)
	p.started = append(p.started, w)
}

func (p *watchPlan) react(key string) {
	if i, ok := p.byKey[key]; ok {
		p.started[i].Reacted = true
	}
	if !p.seenR[key] {
		if p.seenR == nil {
			p.seenR = map[string]bool{}
		}
		p.seenR[key] = true
		p.reacted = append(p.reacted, key)
	}
}

// Event is one event to notify about.
type Event struct {
	// ID is the event id, Type its subject.
	ID, Type string
	// Facts are what it tells.
	Facts notice.Facts
	// JSON is the event as agency systems receive it (protojson); when nil, JSONFunc makes it,
	// so an event no agency system subscribes to is never marshalled.
	JSON     []byte
	JSONFunc func() []byte
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
// watches. An event without a rule changes nothing. What the event already caused (it was
// handled before) is not written again.
func (s *Service) Notify(ctx context.Context, tx TxStore, ev Event) error {
	return s.notify(ctx, tx, []Event{ev}, false)
}

// NotifyBatch applies the rules of several events in tx, which must be new: recorded as
// processed for the first time in tx (kit/consumer's batch mode). Their inbox items and
// deliveries are copied in (TxStore.CopyNew); should one exist after all, the call fails
// and the caller handles the events one by one with Notify.
func (s *Service) NotifyBatch(ctx context.Context, tx TxStore, evs []Event) error {
	return s.notify(ctx, tx, evs, true)
}

// planned is an event whose recipients are resolved.
type planned struct {
	ev    Event
	rule  notice.Rule
	units []notice.Recipient
	users []recipientUserEntry
}

// notify resolves the recipients of every event first, then reads the preferences of all
// their users in one query, renders each distinct message once, and writes everything in
// one statement (or one COPY) per table: a batch costs a handful of round trips, not a few
// per event.
func (s *Service) notify(ctx context.Context, tx TxStore, evs []Event, fresh bool) error {
	var (
		todo    []planned
		watches watchPlan
		subs    []notice.Subscription
		subsOK  bool
		userIDs []string
		types   []string
		seenU   = map[string]bool{}
		seenT   = map[string]bool{}
	)
	now := s.now()
	for _, ev := range evs {
		rule, ok := s.rules.For(ev.Type)
		if !ok {
			continue
		}
		// Reactions and watches keep the order of the events: a reaction ends only a watch
		// started before it.
		if rule.Reaction != "" {
			watches.react(rule.Reaction + ":" + watchID(rule.Reaction, ev.Facts))
			continue
		}
		if !subsOK {
			var err error
			if subs, err = tx.Subscriptions(ctx); err != nil {
				return err
			}
			subsOK = true
		}
		units := rule.Units(ev.Facts)
		users, err := s.users(ctx, rule, ev.Facts, units, now)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !seenU[u.ID] {
				seenU[u.ID] = true
				userIDs = append(userIDs, u.ID)
			}
		}
		if len(users) > 0 && !seenT[ev.Type] {
			seenT[ev.Type] = true
			types = append(types, ev.Type)
		}
		todo = append(todo, planned{ev: ev, rule: rule, units: units, users: users})
		if rule.Escalate != "" {
			m, err := notice.Render(ev.Type, notice.ChannelInbox, ev.Facts, notice.Recipient{}, s.opts.PortalBaseURL)
			if err != nil {
				return err
			}
			watches.watch(Watch{Key: rule.Escalate + ":" + watchID(rule.Escalate, ev.Facts), SourceEventID: ev.ID, EventType: ev.Type,
				Message: m, Due: now.Add(s.opts.EscalateAfter), Since: now})
		}
	}
	if len(watches.reacted)+len(watches.started) > 0 {
		if err := tx.Watches(ctx, watches.reacted, watches.started, now); err != nil {
			return fmt.Errorf("%d events: %w", len(evs), err)
		}
	}
	modes, err := tx.Modes(ctx, userIDs, types)
	if err != nil {
		return err
	}
	var (
		items []inbox.Item
		ds    []notice.Delivery
	)
	for _, p := range todo {
		evItems, evDs, err := s.plan(p, modes, subs, now)
		if err != nil {
			return err
		}
		items, ds = append(items, evItems...), append(ds, evDs...)
		logCtx := ctx
		if p.ev.Trace != nil {
			logCtx = p.ev.Trace
		}
		s.log.InfoContext(logCtx, "event notified",
			slog.String("event_id", p.ev.ID), slog.String("event_type", p.ev.Type),
			slog.Int("inbox_items", len(evItems)), slog.Int("deliveries", len(evDs)))
	}
	if fresh {
		if err := tx.CopyNew(ctx, items, ds); err != nil {
			return fmt.Errorf("%d events: %w", len(evs), err)
		}
		return nil
	}
	if _, err := tx.AddItems(ctx, items); err != nil {
		return fmt.Errorf("%d events: %w", len(evs), err)
	}
	if _, err := tx.AddDeliveries(ctx, ds); err != nil {
		return fmt.Errorf("%d events: %w", len(evs), err)
	}
	return nil
}

// renderer renders the messages of one event, each (channel, role) once: the units of a
// fan-out share their wording.
type renderer struct {
	ev      Event
	baseURL string
	done    map[[2]string]notice.Message
}

func (r *renderer) render(channel string, to notice.Recipient) (notice.Message, error) {
	key := [2]string{channel, to.Role}
	if m, ok := r.done[key]; ok {
		return m, nil
	}
	m, err := notice.Render(r.ev.Type, channel, r.ev.Facts, to, r.baseURL)
	if err != nil {
		return notice.Message{}, err
	}
	if r.done == nil {
		r.done = map[[2]string]notice.Message{}
	}
	r.done[key] = m
	return m, nil
}

// plan returns the inbox items and deliveries one event causes, given the preferences
// (user → event type → channel → mode) and the active subscriptions.
func (s *Service) plan(p planned, modes map[string]map[string]map[string]string, subs []notice.Subscription, now time.Time) ([]inbox.Item, []notice.Delivery, error) {
	ev, rule := p.ev, p.rule
	rd := renderer{ev: ev, baseURL: s.opts.PortalBaseURL}
	var items []inbox.Item
	for _, r := range p.units {
		m, err := rd.render(notice.ChannelInbox, r)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, inbox.Item{UnitID: r.UnitID, EventID: ev.ID, EventType: ev.Type,
			Title: m.Title, Body: m.Body, Link: m.Link, Urgent: rule.Urgent, CreateTime: now})
	}
	var ds []notice.Delivery
	// Two users may share an address (a unit's mailbox): one e-mail per address and event.
	mailed := map[string]bool{}
	for _, u := range p.users {
		r := notice.Recipient{UserID: u.ID, UnitID: u.UnitID, Role: u.role}
		userModes := modes[u.ID][ev.Type]
		// A unit's users read the unit's item; users named directly get their own.
		if mode := userModes[notice.ChannelInbox]; u.direct && (rule.Urgent || mode != notice.ModeOff) {
			m, err := rd.render(notice.ChannelInbox, r)
			if err != nil {
				return nil, nil, err
			}
			items = append(items, inbox.Item{UserID: u.ID, EventID: ev.ID, EventType: ev.Type,
				Title: m.Title, Body: m.Body, Link: m.Link, Urgent: rule.Urgent, CreateTime: now})
		}
		addr := strings.ToLower(u.Email)
		if addr == "" || mailed[addr] {
			continue
		}
		state := notice.StatePending
		switch userModes[notice.ChannelEmail] {
		case notice.ModeOff:
			continue
		case notice.ModeDigest:
			if !rule.Urgent {
				state = notice.StateDigest
			}
		}
		mailed[addr] = true
		m, err := rd.render(notice.ChannelEmail, r)
		if err != nil {
			return nil, nil, err
		}
		ds = append(ds, notice.Delivery{ID: s.newID(), EventID: ev.ID, EventType: ev.Type, Channel: notice.ChannelEmail,
			Recipient: addr, Subject: m.Title, Body: []byte(m.Body), State: state,
			NextAttempt: now, CreateTime: now})
	}
	var body []byte
	for _, sub := range subs {
		if !sub.Wants(ev.Type) {
			continue
		}
		if body == nil {
			body = webhookBody(ev)
		}
		ds = append(ds, notice.Delivery{ID: s.newID(), EventID: ev.ID, EventType: ev.Type, Channel: notice.ChannelWebhook,
			Recipient: sub.ID, Body: body, State: notice.StatePending, NextAttempt: now, CreateTime: now})
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
	if data == nil && ev.JSONFunc != nil {
		data = ev.JSONFunc()
	}
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
