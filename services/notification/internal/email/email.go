// Package email sends deliveries over SMTP: STARTTLS (required unless turned off for a
// loopback relay), AUTH PLAIN when a user name is set, UTF-8 text in quoted-printable.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/parindex/platform/services/notification/internal/notice"
)

// Config is the SMTP relay.
type Config struct {
	// Addr is host:port.
	Addr string
	// From is the sender address.
	From string
	// Username and Password enable AUTH PLAIN (only over TLS).
	Username, Password string
	// StartTLS requires the STARTTLS upgrade.
	StartTLS bool
	// TLS verifies the server (RootCAs for a private CA); nil uses the system roots and the
	// host of Addr.
	TLS *tls.Config
	// Hostname is what HELO says.
	Hostname string
}

// Sender implements app.Sender for e-mail.
type Sender struct {
	cfg Config
	now func() time.Time
}

// New returns a Sender.
func New(cfg Config, now func() time.Time) *Sender { return &Sender{cfg: cfg, now: now} }

// Send delivers one message in its own SMTP session.
func (s *Sender) Send(ctx context.Context, d notice.Delivery) (string, error) {
	if s.cfg.Addr == "" {
		return "", errors.New("no SMTP server configured (SMTP_ADDR)")
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return "", fmt.Errorf("greeting: %w", err)
	}
	defer func() { _ = c.Close() }()
	if s.cfg.Hostname != "" {
		if err := c.Hello(s.cfg.Hostname); err != nil {
			return "", fmt.Errorf("hello: %w", err)
		}
	}
	if s.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", errors.New("server does not offer STARTTLS")
		}
		tc := s.cfg.TLS
		if tc == nil {
			tc = &tls.Config{}
		}
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName = host
		}
		if err := c.StartTLS(tc); err != nil {
			return "", fmt.Errorf("starttls: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return "", fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return "", fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(d.Recipient); err != nil {
		return "", fmt.Errorf("rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(Message(s.cfg.From, d, s.now())); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	// The message was accepted at the end of DATA; a failed QUIT changes nothing.
	_ = c.Quit()
	return "250 accepted", nil
}

// Message returns the RFC 5322 message of d: a Message-ID derived from the delivery id (so
// a resend after a crash is recognisable as the same message), the subject MIME-encoded,
// the body quoted-printable UTF-8.
func Message(from string, d notice.Delivery, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", d.Recipient)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("UTF-8", d.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@par-index>\r\n", d.ID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(string(d.Body), "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}
