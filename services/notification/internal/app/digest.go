package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Digests folds held e-mails into digests.
type Digests interface {
	FoldDigests(ctx context.Context, cutoff time.Time, build func(recipient string, held []notice.Delivery) notice.Delivery) (int, error)
}

// DigestCutoff returns the latest digest time at or before now: hour o'clock, Vietnamese
// local time, today or yesterday.
func DigestCutoff(now time.Time, hour int) time.Time {
	today := vntime.Today(now)
	cut := today.Start().Add(time.Duration(hour) * time.Hour)
	if now.Before(cut) {
		cut = today.AddDays(-1).Start().Add(time.Duration(hour) * time.Hour)
	}
	return cut
}

// Digest queues each recipient's daily digest of the e-mails held before the latest digest
// time; it returns how many digests were queued.
func (s *Service) Digest(ctx context.Context, d Digests, hour int) (int, error) {
	now := s.now()
	cutoff := DigestCutoff(now, hour)
	day := vntime.DateOf(cutoff)
	return d.FoldDigests(ctx, cutoff, func(recipient string, held []notice.Delivery) notice.Delivery {
		var b strings.Builder
		fmt.Fprintf(&b, "Bản tin tổng hợp ngày %s: %d thông báo.\n", day.VN(), len(held))
		for i, h := range held {
			body, _, _ := strings.Cut(string(h.Body), "\n\n--\n") // without each e-mail's signature
			fmt.Fprintf(&b, "\n%d. %s\n%s\n", i+1, h.Subject, strings.TrimSpace(body))
		}
		b.WriteString("\n--\nHệ thống theo dõi Chỉ số cải cách hành chính (PAR INDEX) của tỉnh.\n" +
			"Bạn nhận bản tin này vì đã chọn nhận thông báo tổng hợp hằng ngày.")
		return notice.Delivery{ID: s.newID(), EventID: "digest:" + day.ISO(), EventType: "notification.v1.digest",
			Channel: notice.ChannelEmail, Recipient: recipient,
			Subject: fmt.Sprintf("Bản tin tổng hợp thông báo ngày %s (%d thông báo)", day.VN(), len(held)),
			Body:    []byte(b.String()), State: notice.StatePending, NextAttempt: now, CreateTime: now}
	})
}

// RunDigests folds digests every interval until ctx ends.
func (s *Service) RunDigests(ctx context.Context, d Digests, hour int, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Digest(ctx, d, hour); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "digest pass failed; will try again", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "daily digests queued", "digests", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
