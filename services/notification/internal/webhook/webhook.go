// Package webhook sends deliveries to agency systems over HTTP: a POST of the event's JSON,
// signed with HMAC-SHA256 over the timestamp and the body, so the receiver can check both
// who sent it and that it is fresh.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parindex/platform/services/notification/internal/notice"
)

// Headers of a webhook call.
const (
	// HeaderSignature is "v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>".
	HeaderSignature = "X-Par-Signature"
	// HeaderTimestamp is the Unix time of the call, in seconds.
	HeaderTimestamp = "X-Par-Timestamp"
	// HeaderDeliveryID identifies the delivery; the same on every retry, so a receiver can
	// drop a repeat. Receivers must do so: a call is sent again not only after a failure
	// answer but also when the sender died before recording the answer (outcome unknown,
	// app.UnknownPolicy), and then the first call may well have arrived.
	HeaderDeliveryID = "X-Par-Delivery-Id"
	// HeaderEventType is the event type (subject).
	HeaderEventType = "X-Par-Event-Type"
)

// Subscriptions finds a subscription by id.
type Subscriptions interface {
	Subscription(ctx context.Context, id string) (notice.Subscription, error)
}

// Sender implements app.Sender for webhooks.
type Sender struct {
	subs   Subscriptions
	client *http.Client
	now    func() time.Time
}

// New returns a Sender; the per-call time limit comes from the caller's context.
func New(subs Subscriptions, client *http.Client, now func() time.Time) *Sender {
	if client == nil {
		client = &http.Client{}
	}
	return &Sender{subs: subs, client: client, now: now}
}

// Sign returns the signature header value of body sent at ts with secret.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature (for receivers, and tests), allowing tolerance of clock skew.
func Verify(secret, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body)))
}

// Send POSTs the delivery's body to its subscription's URL; any 2xx answer is success.
func (s *Sender) Send(ctx context.Context, d notice.Delivery) (string, error) {
	sub, err := s.subs.Subscription(ctx, d.Recipient)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(d.Body))
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	ts := s.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(sub.Secret, ts, d.Body))
	req.Header.Set(HeaderDeliveryID, d.ID)
	req.Header.Set(HeaderEventType, d.EventType)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("post: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	detail := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return detail, fmt.Errorf("receiver answered %s", resp.Status)
	}
	return detail, nil
}
