package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
)

var _ app.TxStore = (*Store)(nil)

// AddDeliveries inserts deliveries in one statement; one whose (event, channel, recipient)
// exists is skipped, so a replayed event sends nothing twice.
func (s *Store) AddDeliveries(ctx context.Context, ds []notice.Delivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	var (
		ids, events, types, channels, recipients, subjects, states []string
		bodies                                                     [][]byte
		next, created                                              []time.Time
	)
	for _, d := range ds {
		ids = append(ids, d.ID)
		events = append(events, d.EventID)
		types = append(types, d.EventType)
		channels = append(channels, d.Channel)
		recipients = append(recipients, d.Recipient)
		subjects = append(subjects, d.Subject)
		states = append(states, d.State)
		bodies = append(bodies, d.Body)
		next = append(next, d.NextAttempt)
		created = append(created, d.CreateTime)
	}
	tag, err := s.db.Exec(ctx, `
		INSERT INTO deliveries (id, event_id, event_type, channel, recipient, subject, state, body, next_attempt_time, create_time)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bytea[], $9::timestamptz[], $10::timestamptz[])
		ON CONFLICT ON CONSTRAINT deliveries_event_channel_recipient_key DO NOTHING`,
		ids, events, types, channels, recipients, subjects, states, bodies, next, created)
	if err != nil {
		return 0, fmt.Errorf("insert deliveries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Modes returns the explicit preferences of users for the event types, in one query for a
// whole batch of events: user → event type → channel → mode.
func (s *Store) Modes(ctx context.Context, userIDs, eventTypes []string) (map[string]map[string]map[string]string, error) {
	out := map[string]map[string]map[string]string{}
	if len(userIDs) == 0 || len(eventTypes) == 0 {
		return out, nil
	}
	rows, err := s.db.Query(ctx, `SELECT user_id::text, event_type, channel, mode FROM preferences
		WHERE user_id = ANY($1::uuid[]) AND event_type = ANY($2::text[])`, userIDs, eventTypes)
	if err != nil {
		return nil, fmt.Errorf("select preferences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, event, channel, mode string
		if err := rows.Scan(&user, &event, &channel, &mode); err != nil {
			return nil, fmt.Errorf("select preferences: %w", err)
		}
		if out[user] == nil {
			out[user] = map[string]map[string]string{}
		}
		if out[user][event] == nil {
			out[user][event] = map[string]string{}
		}
		out[user][event][channel] = mode
	}
	return out, rows.Err()
}

// Subscriptions returns the active webhook subscriptions, by name.
func (s *Store) Subscriptions(ctx context.Context) ([]notice.Subscription, error) {
	rows, err := s.db.Query(ctx, `SELECT id::text, name, url, secret, event_types, active, create_time
		FROM webhook_subscriptions WHERE active ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("select subscriptions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notice.Subscription, error) {
		var sub notice.Subscription
		err := r.Scan(&sub.ID, &sub.Name, &sub.URL, &sub.Secret, &sub.EventTypes, &sub.Active, &sub.CreateTime)
		return sub, err
	})
	if err != nil {
		return nil, fmt.Errorf("select subscriptions: %w", err)
	}
	return subs, nil
}

// Watches ends the waiting watches of the reacted keys, then starts the watches whose keys
// have none yet (a repeated overdue notice does not restart the clock): two statements
// for a whole batch of events. Reactions go first so that they end only watches that were
// waiting before; a watch the batch itself starts carries its outcome in Reacted.
func (s *Store) Watches(ctx context.Context, reacted []string, started []app.Watch, at time.Time) error {
	if len(reacted) > 0 {
		if _, err := s.db.Exec(ctx, `UPDATE escalations SET state = 'reacted', change_time = $2
			WHERE key = ANY($1) AND state = 'waiting'`, reacted, at); err != nil {
			return fmt.Errorf("record reactions: %w", err)
		}
	}
	if len(started) == 0 {
		return nil
	}
	var (
		keys, sources, types, titles, bodies, links, states []string
		due, since                                          []time.Time
	)
	for _, w := range started {
		state := "waiting"
		if w.Reacted {
			state = "reacted"
		}
		keys, sources, types = append(keys, w.Key), append(sources, w.SourceEventID), append(types, w.EventType)
		titles, bodies, links = append(titles, w.Message.Title), append(bodies, w.Message.Body), append(links, w.Message.Link)
		states, due, since = append(states, state), append(due, w.Due), append(since, w.Since)
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO escalations (key, source_event_id, event_type, title, body, link, due_time, state, change_time)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::timestamptz[], $8::text[], $9::timestamptz[])
		ON CONFLICT (key) DO NOTHING`,
		keys, sources, types, titles, bodies, links, due, states, since)
	if err != nil {
		return fmt.Errorf("insert escalation watches: %w", err)
	}
	return nil
}
