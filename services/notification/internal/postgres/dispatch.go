package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

var _ app.DeliveryStore = (*Store)(nil)

const deliveryColumns = `id::text, event_id, event_type, channel, recipient, subject, body, state, attempts, last_error, next_attempt_time, create_time`

func scanDelivery(row pgx.CollectableRow) (notice.Delivery, error) {
	var d notice.Delivery
	err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.Channel, &d.Recipient, &d.Subject, &d.Body, &d.State,
		&d.Attempts, &d.LastError, &d.NextAttempt, &d.CreateTime)
	return d, err
}

// Claim leases due deliveries, at most perRecipient of any one recipient, marks them
// 'sending' and counts the attempt, in a statement that commits before anything is sent.
// Two replicas picking the same row is harmless: the second UPDATE waits for the first and
// then re-checks the state, which excludes the row. A row whose lease runs out while
// 'sending' (its replica died mid-send) is not claimed again: SettleUnknown decides.
func (s *Store) Claim(ctx context.Context, channel string, limit, perRecipient int, busy []string, lease time.Duration, now time.Time) ([]notice.Delivery, []time.Time, error) {
	if busy == nil {
		busy = []string{}
	}
	until := now.Add(lease)
	rows, err := s.db.Query(ctx, `
		UPDATE deliveries SET state = 'sending', lease_until = $5, attempts = attempts + 1
		WHERE id IN (
			SELECT id FROM (
				SELECT id, next_attempt_time,
					row_number() OVER (PARTITION BY recipient ORDER BY next_attempt_time, id) AS rn
				FROM deliveries
				WHERE channel = $1 AND state = 'pending' AND next_attempt_time <= $2
					AND (lease_until IS NULL OR lease_until < $2) AND recipient <> ALL($3::text[])) due
			WHERE rn <= $6
			ORDER BY next_attempt_time LIMIT $4)
		AND state = 'pending' AND (lease_until IS NULL OR lease_until < $2)
		RETURNING `+deliveryColumns, channel, now, busy, limit, until, perRecipient)
	if err != nil {
		return nil, nil, fmt.Errorf("claim deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, nil, fmt.Errorf("claim deliveries: %w", err)
	}
	leases := make([]time.Time, len(ds))
	for i := range leases {
		leases[i] = until
	}
	return ds, leases, nil
}

// Finish logs the attempt and moves the delivery, fenced by the lease: a replica whose lease
// ran out (and whose delivery another replica took) records nothing.
func (s *Store) Finish(ctx context.Context, d notice.Delivery, lease time.Time, a app.Attempt) error {
	var sent *time.Time
	if a.State == notice.StateSent {
		sent = &a.At
	}
	next := a.NextAttempt
	if next.IsZero() {
		next = a.At
	}
	lastErr := ""
	if a.Outcome != notice.StateSent {
		lastErr = a.Detail
	}
	_, err := s.db.Exec(ctx, `
		WITH upd AS (
			UPDATE deliveries SET state = $3, next_attempt_time = $4, last_error = $5, sent_time = $6, lease_until = NULL
			WHERE id = $1 AND lease_until = $2 AND state = 'sending'
			RETURNING id, attempts)
		INSERT INTO delivery_attempts (delivery_id, attempt, outcome, detail, duration_ms, attempt_time)
		SELECT id, attempts, $7, $8, $9, $10 FROM upd
		ON CONFLICT DO NOTHING`,
		d.ID, lease, a.State, next, lastErr, sent, a.Outcome, a.Detail, a.Duration.Milliseconds(), a.At)
	if err != nil {
		return fmt.Errorf("finish delivery %s: %w", d.ID, err)
	}
	return nil
}

// SettleUnknown settles the deliveries of channel left 'sending' by a process that died
// mid-send (their lease ended before now): with resend, those with attempts left go back to
// pending, due now, to be sent again under the same delivery id; the others (and all, without
// resend) go to the dead letters for an operator. Either way the attempt is logged as
// 'unknown' with detail, and the count of settled deliveries returned.
func (s *Store) SettleUnknown(ctx context.Context, channel string, resend bool, maxAttempts int, detail string, now time.Time) (int, error) {
	tag, err := s.db.Exec(ctx, `
		WITH upd AS (
			UPDATE deliveries SET state = CASE WHEN $2 AND attempts < $3 THEN 'pending' ELSE 'dead' END,
				next_attempt_time = $4, lease_until = NULL, last_error = $5
			WHERE channel = $1 AND state = 'sending' AND lease_until < $4
			RETURNING id, attempts)
		INSERT INTO delivery_attempts (delivery_id, attempt, outcome, detail, duration_ms, attempt_time)
		SELECT id, attempts, 'unknown', $5, 0, $4 FROM upd
		ON CONFLICT DO NOTHING`, channel, resend, maxAttempts, now, detail)
	if err != nil {
		return 0, fmt.Errorf("settle deliveries of unknown outcome: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ErrSubscriptionNotFound is returned for an unknown subscription.
var ErrSubscriptionNotFound = &inbox.Error{Kind: inbox.ErrNotFound, Message: "Không tìm thấy đăng ký webhook"}

// ErrDeliveryNotFound is returned for an unknown (or not dead) delivery.
var ErrDeliveryNotFound = &inbox.Error{Kind: inbox.ErrNotFound, Message: "Không tìm thấy lượt gửi không thành công"}

// Subscription returns one subscription.
func (s *Store) Subscription(ctx context.Context, id string) (notice.Subscription, error) {
	var sub notice.Subscription
	err := s.db.QueryRow(ctx, `SELECT id::text, name, url, secret, event_types, active, create_time
		FROM webhook_subscriptions WHERE id = $1`, id).Scan(&sub.ID, &sub.Name, &sub.URL, &sub.Secret, &sub.EventTypes, &sub.Active, &sub.CreateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return notice.Subscription{}, ErrSubscriptionNotFound
	}
	if err != nil {
		return notice.Subscription{}, fmt.Errorf("select subscription: %w", err)
	}
	return sub, nil
}

// CreateSubscription stores a subscription.
func (s *Store) CreateSubscription(ctx context.Context, sub notice.Subscription) error {
	_, err := s.db.Exec(ctx, `INSERT INTO webhook_subscriptions (id, name, url, secret, event_types, active, create_time)
		VALUES ($1, $2, $3, $4, coalesce($5, ARRAY[]::text[]), true, $6)`, sub.ID, sub.Name, sub.URL, sub.Secret, sub.EventTypes, sub.CreateTime)
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

// DeactivateSubscription stops a subscription; its queued deliveries still go out.
func (s *Store) DeactivateSubscription(ctx context.Context, id string) error {
	tag, err := s.db.Exec(ctx, `UPDATE webhook_subscriptions SET active = false WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("deactivate subscription: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrSubscriptionNotFound
	}
	return nil
}

// DeadDeliveries returns dead deliveries, newest first.
func (s *Store) DeadDeliveries(ctx context.Context, limit int) ([]notice.Delivery, error) {
	rows, err := s.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE state = 'dead'
		ORDER BY create_time DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("select dead deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("select dead deliveries: %w", err)
	}
	return ds, nil
}

// Replay puts a dead delivery back in the queue, due now, with its attempts counted afresh
// from zero (the log keeps the old ones: attempts numbers continue after them).
func (s *Store) Replay(ctx context.Context, id string, now time.Time) (notice.Delivery, error) {
	rows, err := s.db.Query(ctx, `UPDATE deliveries SET state = 'pending', next_attempt_time = $2, lease_until = NULL
		WHERE id = $1 AND state = 'dead' RETURNING `+deliveryColumns, id, now)
	if err != nil {
		return notice.Delivery{}, fmt.Errorf("replay delivery: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return notice.Delivery{}, ErrDeliveryNotFound
	}
	if err != nil {
		return notice.Delivery{}, fmt.Errorf("replay delivery: %w", err)
	}
	return d, nil
}

// Attempts returns the logged attempts of a delivery, in order.
func (s *Store) Attempts(ctx context.Context, id string) ([]app.Attempt, error) {
	rows, err := s.db.Query(ctx, `SELECT outcome, detail, duration_ms, attempt_time FROM delivery_attempts
		WHERE delivery_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return nil, fmt.Errorf("select attempts: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (app.Attempt, error) {
		var a app.Attempt
		var ms int64
		err := r.Scan(&a.Outcome, &a.Detail, &ms, &a.At)
		a.Duration = time.Duration(ms) * time.Millisecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("select attempts: %w", err)
	}
	return as, nil
}

// Preferences returns a user's explicit choices: (event, channel) → mode.
func (s *Store) Preferences(ctx context.Context, userID string) ([]app.Preference, error) {
	rows, err := s.db.Query(ctx, `SELECT event_type, channel, mode FROM preferences WHERE user_id = $1
		ORDER BY event_type, channel`, userID)
	if err != nil {
		return nil, fmt.Errorf("select preferences: %w", err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[app.Preference])
	if err != nil {
		return nil, fmt.Errorf("select preferences: %w", err)
	}
	return ps, nil
}

// SetPreferences replaces a user's choices in one transaction.
func (s *Store) SetPreferences(ctx context.Context, userID string, ps []app.Preference) error {
	var events, channels, modes []string
	for _, p := range ps {
		events = append(events, p.EventType)
		channels = append(channels, p.Channel)
		modes = append(modes, p.Mode)
	}
	// One statement, so the replacement is atomic without a transaction of its own.
	_, err := s.db.Exec(ctx, `
		WITH up AS (
			INSERT INTO preferences (user_id, event_type, channel, mode)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
			ON CONFLICT (user_id, event_type, channel) DO UPDATE SET mode = EXCLUDED.mode)
		DELETE FROM preferences WHERE user_id = $1
			AND (event_type, channel) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`, userID, events, channels, modes)
	if err != nil {
		return fmt.Errorf("replace preferences: %w", err)
	}
	return nil
}
