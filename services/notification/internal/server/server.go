// Package server wires the notification process: database, migrations, the JetStream
// consumers that fill the inboxes, and the gRPC API. cmd/notification and the component
// tests both start the service through Run.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/svcrun"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/directory"
	"github.com/parindex/platform/services/notification/internal/email"
	"github.com/parindex/platform/services/notification/internal/events"
	"github.com/parindex/platform/services/notification/internal/grpcapi"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
	"github.com/parindex/platform/services/notification/internal/webhook"
)

// Service is the name of the service: its NATS client name and the service attribute of its
// logs.
const Service = "notification"

// Config is what Run needs from the environment (kit/config tags); cmd/notification adds the
// listen address, logging and tracing settings.
type Config struct {
	svcrun.Base
	// Caller: the directory, which resolves recipients; consumers call it with the
	// service's own token.
	svcrun.Caller
	// DirectoryCacheTTL is how long directory answers are reused.
	DirectoryCacheTTL time.Duration `env:"NOTIFY_DIRECTORY_CACHE_TTL" default:"1m"`
	// PortalBaseURL prefixes the portal links of e-mails.
	PortalBaseURL string `env:"PORTAL_BASE_URL" default:"http://127.0.0.1:8080"`
	// EscalateAfter is how long an explanation request or overdue task may go without a
	// reaction before the secretariat is told.
	EscalateAfter time.Duration `env:"NOTIFY_ESCALATE_AFTER" default:"72h"`
	// EscalateEvery is how often due escalations (and due digests) are looked for.
	EscalateEvery time.Duration `env:"NOTIFY_ESCALATE_EVERY" default:"1m"`
	// DigestHour is the hour (Vietnamese local time, 0–23) of the daily digest e-mail.
	DigestHour int `env:"NOTIFY_DIGEST_HOUR" default:"7"`

	// SMTPAddr is the mail relay (host:port); e-mails wait queued while it is empty.
	SMTPAddr string `env:"SMTP_ADDR"`
	// SMTPFrom is the sender address.
	SMTPFrom string `env:"SMTP_FROM" default:"par-index@localhost"`
	// SMTPUsername and SMTPPassword enable AUTH PLAIN.
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD" secret:"true"`
	// SMTPStartTLS requires STARTTLS (turn off only for a loopback relay).
	SMTPStartTLS bool `env:"SMTP_STARTTLS" default:"true"`
	// SMTPCAFile is a PEM file of the CA that signed the relay's certificate, if private.
	SMTPCAFile string `env:"SMTP_CA_FILE"`

	// WebhookTimeout bounds one webhook call; WebhookMaxAttempts the tries before a delivery
	// is dead; WebhookConcurrency the calls in flight (at most 2 per endpoint).
	WebhookTimeout     time.Duration `env:"WEBHOOK_TIMEOUT" default:"10s"`
	WebhookMaxAttempts int           `env:"WEBHOOK_MAX_ATTEMPTS" default:"8"`
	WebhookConcurrency int           `env:"WEBHOOK_CONCURRENCY" default:"32"`
	// DeliveryBackoffBase and DeliveryBackoffMax shape retry delays of e-mails and webhooks.
	DeliveryBackoffBase time.Duration `env:"DELIVERY_BACKOFF_BASE" default:"5s"`
	DeliveryBackoffMax  time.Duration `env:"DELIVERY_BACKOFF_MAX" default:"1h"`
	// WatchPoll is how often a live inbox (WatchInbox) looks for new items when none was
	// announced: new items are pushed at commit (PostgreSQL LISTEN/NOTIFY), this is the
	// fallback for announcements lost while the listener reconnects.
	WatchPoll time.Duration `env:"NOTIFY_WATCH_POLL" default:"10s"`
	// DeliveryPoll is how often due deliveries are looked for.
	DeliveryPoll time.Duration `env:"DELIVERY_POLL" default:"500ms"`
}

// Run serves the service on lis until ctx ends, then stops gracefully: the gRPC server
// finishes the calls in flight and the consumer finishes the event in hand (the events it had
// fetched but not started go back to JetStream for the next run). It returns an error when
// the service cannot start or fails while running.
func Run(ctx context.Context, cfg Config, log *slog.Logger, lis net.Listener) (err error) {
	defer func() {
		if err != nil {
			_ = lis.Close() // Serve never took it over
		}
	}()
	cfg = cfg.withDefaults()
	if cfg.DigestHour < 0 || cfg.DigestHour > 23 {
		return fmt.Errorf("NOTIFY_DIGEST_HOUR %d: want 0–23", cfg.DigestHour)
	}

	// The consumers create the producers' streams if they start first; notification
	// publishes none of its own.
	p, err := svcrun.Start(ctx, cfg.Base, svcrun.Options{
		Service: Service, Migrations: postgres.Migrations(),
		// Notification publishes no domain events, but its mutations (webhook subscriptions,
		// preferences, read marks, replays) write audit records to its outbox (kit/audit):
		// the relay carries them to the directory's audit log.
		Publishes: true,
	}, log, lis)
	if err != nil {
		return err
	}
	defer p.Close()
	pool := p.Pool

	dirConn, err := p.DialDirectory(cfg.Caller)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	dir := directory.New(dirConn, cfg.DirectoryCacheTTL)

	// Use cases, consumers and API.
	svc := app.New(postgres.New(pool), dir, notice.DefaultRules(), app.Options{
		PortalBaseURL: cfg.PortalBaseURL, EscalateAfter: cfg.EscalateAfter,
	}, log, time.Now, newID)
	handler := events.NewHandler(svc, func(tx pgx.Tx) app.TxStore { return postgres.New(tx) })
	signals := postgres.NewInboxSignals(pool, log)
	api := grpcapi.New(svc, log).WithInboxSignals(signals, cfg.WatchPoll)
	notificationv1.RegisterNotificationServiceServer(p.Server, api)

	// Run the consumers, the workers and the server until ctx ends; if one fails, stop the
	// others.
	p.Go("inbox signals", func(ctx context.Context) error { return signals.Run(ctx, time.Second) })
	for _, c := range handler.Consumers(pool, p.JS, log) {
		p.Go("consumer "+c.Durable, func(ctx context.Context) error { return consumer.Run(ctx, c) })
	}
	store := postgres.New(pool)
	webhookCfg := app.DispatcherConfig{
		Channel: notice.ChannelWebhook, Concurrency: cfg.WebhookConcurrency, PerRecipient: 2, Timeout: cfg.WebhookTimeout,
		MaxAttempts: cfg.WebhookMaxAttempts, BackoffBase: cfg.DeliveryBackoffBase, BackoffMax: cfg.DeliveryBackoffMax, Poll: cfg.DeliveryPoll,
		ResendUnknown: app.UnknownPolicy(notice.ChannelWebhook),
	}
	p.Go("webhook dispatch", func(ctx context.Context) error {
		return app.Dispatch(ctx, store, webhook.New(store, &http.Client{}, time.Now), webhookCfg, log, time.Now)
	})
	if cfg.SMTPAddr != "" {
		mailTLS, err := smtpTLS(cfg.SMTPCAFile)
		if err != nil {
			return err
		}
		sender := email.New(email.Config{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, StartTLS: cfg.SMTPStartTLS, TLS: mailTLS}, time.Now)
		mailCfg := webhookCfg
		mailCfg.Channel, mailCfg.Concurrency, mailCfg.PerRecipient = notice.ChannelEmail, 4, 1
		mailCfg.ResendUnknown = app.UnknownPolicy(notice.ChannelEmail)
		p.Go("e-mail dispatch", func(ctx context.Context) error {
			return app.Dispatch(ctx, store, sender, mailCfg, log, time.Now)
		})
	} else {
		log.WarnContext(ctx, "SMTP_ADDR is empty: e-mails stay queued until a relay is configured")
	}
	p.Go("escalations", func(ctx context.Context) error {
		return svc.RunEscalations(ctx, postgres.Escalator{Pool: pool}, cfg.EscalateEvery)
	})
	p.Go("digests", func(ctx context.Context) error {
		return svc.RunDigests(ctx, postgres.Digester{Pool: pool}, cfg.DigestHour, cfg.EscalateEvery)
	})
	return p.Run(ctx)
}

// withDefaults fills settings left zero (a Config built in code rather than loaded from the
// environment) with the defaults of their tags.
func (cfg Config) withDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&cfg.DirectoryCacheTTL, time.Minute)
	set(&cfg.EscalateAfter, 72*time.Hour)
	set(&cfg.EscalateEvery, time.Minute)
	set(&cfg.WatchPoll, 10*time.Second)
	set(&cfg.WebhookTimeout, 10*time.Second)
	set(&cfg.DeliveryBackoffBase, 5*time.Second)
	set(&cfg.DeliveryBackoffMax, time.Hour)
	set(&cfg.DeliveryPoll, 500*time.Millisecond)
	if cfg.WebhookMaxAttempts <= 0 {
		cfg.WebhookMaxAttempts = 8
	}
	if cfg.WebhookConcurrency <= 0 {
		cfg.WebhookConcurrency = 32
	}
	if cfg.SMTPFrom == "" {
		cfg.SMTPFrom = "par-index@localhost"
	}
	return cfg
}

// smtpTLS returns the TLS settings trusting the CA in caFile, or nil for the system roots.
func smtpTLS(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile) // #nosec G304 -- CA file path given by the operator (SMTP_CA_FILE)
	if err != nil {
		return nil, fmt.Errorf("SMTP_CA_FILE: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SMTP_CA_FILE %s holds no PEM certificate", caFile)
	}
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// newID returns a time-ordered UUID (v7), so items created together sit together in indexes.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}
