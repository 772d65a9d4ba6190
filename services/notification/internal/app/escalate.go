package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Escalations hands due watches to a callback inside one transaction.
type Escalations interface {
	EscalateDue(ctx context.Context, now time.Time, limit int, notify func(TxStore, Watch) error) (int, error)
}

// Escalate tells the secretariat about every due watch: an urgent item in each secretariat
// user's inbox and an e-mail. It returns how many watches were escalated.
func (s *Service) Escalate(ctx context.Context, es Escalations) (int, error) {
	users, err := s.dir.RoleUsers(ctx, string(notice.AudSecretariat))
	if err != nil {
		return 0, err
	}
	now := s.now()
	return es.EscalateDue(ctx, now, 100, func(tx TxStore, w Watch) error {
		m := notice.EscalationMessage(w.Message, vntime.DateOf(w.Since).VN())
		eventID := "escalation:" + w.Key
		var items []inbox.Item
		var ds []notice.Delivery
		for _, u := range users {
			items = append(items, inbox.Item{UserID: u.ID, EventID: eventID, EventType: w.EventType,
				Title: m.Title, Body: m.Body, Link: m.Link, Urgent: true, CreateTime: now})
			if u.Email != "" {
				body := m.Body + "\n\nXem chi tiết: " + strings.TrimRight(s.opts.PortalBaseURL, "/") + m.Link
				ds = append(ds, notice.Delivery{ID: s.newID(), EventID: eventID, EventType: w.EventType, Channel: notice.ChannelEmail,
					Recipient: strings.ToLower(u.Email), Subject: m.Title, Body: []byte(body), State: notice.StatePending,
					NextAttempt: now, CreateTime: now})
			}
		}
		if _, err := tx.AddItems(ctx, items); err != nil {
			return err
		}
		if _, err := tx.AddDeliveries(ctx, ds); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "escalated to the secretariat", slog.String("watch", w.Key),
			slog.String("source_event_id", w.SourceEventID), slog.Int("users", len(users)))
		return nil
	})
}

// RunEscalations escalates due watches every interval until ctx ends.
func (s *Service) RunEscalations(ctx context.Context, es Escalations, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Escalate(ctx, es); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "escalation pass failed; will try again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
