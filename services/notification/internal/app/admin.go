package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/parindex/platform/services/notification/internal/notice"
)

// ValidationError is a bad request field, with the Vietnamese reason people read.
type ValidationError struct {
	Field, Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// CreateSubscription registers an agency system's webhook after checking its URL (HTTPS, or
// HTTP on loopback for development) and event types (ones the rules know).
func (s *Service) CreateSubscription(ctx context.Context, sub notice.Subscription) (notice.Subscription, error) {
	u, err := url.Parse(sub.URL)
	loopback := err == nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")
	if err != nil || u.Host == "" || !(u.Scheme == "https" || (u.Scheme == "http" && loopback)) {
		return notice.Subscription{}, &ValidationError{Field: "subscription.url", Reason: "Địa chỉ phải là URL HTTPS"}
	}
	if len(strings.TrimSpace(sub.Secret)) < 16 {
		return notice.Subscription{}, &ValidationError{Field: "subscription.secret", Reason: "Khóa bí mật phải có ít nhất 16 ký tự"}
	}
	for i, ev := range sub.EventTypes {
		if _, ok := s.rules.For(ev); !ok {
			return notice.Subscription{}, &ValidationError{Field: fmt.Sprintf("subscription.event_types[%d]", i), Reason: "Loại sự kiện không được hỗ trợ"}
		}
	}
	sub.ID, sub.Active, sub.CreateTime = s.newID(), true, s.now()
	if err := s.store.CreateSubscription(ctx, sub); err != nil {
		return notice.Subscription{}, err
	}
	return sub, nil
}

// Subscriptions lists the active subscriptions.
func (s *Service) Subscriptions(ctx context.Context) ([]notice.Subscription, error) {
	return s.store.Subscriptions(ctx)
}

// DeleteSubscription deactivates a subscription.
func (s *Service) DeleteSubscription(ctx context.Context, id string) error {
	return s.store.DeactivateSubscription(ctx, id)
}

// DeadDeliveries lists dead deliveries.
func (s *Service) DeadDeliveries(ctx context.Context, limit int) ([]notice.Delivery, error) {
	return s.store.DeadDeliveries(ctx, limit)
}

// Replay queues a dead delivery again.
func (s *Service) Replay(ctx context.Context, id string) (notice.Delivery, error) {
	d, err := s.store.Replay(ctx, id, s.now())
	if err != nil {
		return notice.Delivery{}, err
	}
	s.log.InfoContext(ctx, "dead delivery replayed", "delivery_id", id, "event_id", d.EventID)
	return d, nil
}

// Attempts lists a delivery's attempts.
func (s *Service) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	return s.store.Attempts(ctx, id)
}

// Preferences returns a user's choices.
func (s *Service) Preferences(ctx context.Context, userID string) ([]Preference, error) {
	return s.store.Preferences(ctx, userID)
}

// SetPreferences replaces a user's choices. Digest applies to e-mail only; event types must
// be ones the rules know; each (event, channel) once.
func (s *Service) SetPreferences(ctx context.Context, userID string, ps []Preference) ([]Preference, error) {
	seen := map[[2]string]bool{}
	for i, p := range ps {
		field := fmt.Sprintf("preferences[%d]", i)
		if _, ok := s.rules.For(p.EventType); !ok {
			return nil, &ValidationError{Field: field + ".event_type", Reason: "Loại sự kiện không được hỗ trợ"}
		}
		if p.Mode == notice.ModeDigest && p.Channel != notice.ChannelEmail {
			return nil, &ValidationError{Field: field + ".mode", Reason: "Chỉ thư điện tử mới có bản tin tổng hợp hằng ngày"}
		}
		k := [2]string{p.EventType, p.Channel}
		if seen[k] {
			return nil, &ValidationError{Field: field, Reason: "Lựa chọn bị trùng"}
		}
		seen[k] = true
	}
	if err := s.store.SetPreferences(ctx, userID, ps); err != nil {
		return nil, err
	}
	return s.store.Preferences(ctx, userID)
}
