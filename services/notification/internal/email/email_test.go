package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/email"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// mailServer is a real SMTP server on loopback (go-smtp) offering STARTTLS with a
// certificate for 127.0.0.1 and AUTH PLAIN (only after TLS).
type mailServer struct {
	addr  string
	roots *x509.CertPool
	mu    sync.Mutex
	mails []received
	// failFirst answers the first n DATA commands with a temporary error.
	failFirst atomic.Int64
}

type received struct {
	from, to string
	tls      bool
	data     []byte
}

type backend struct{ s *mailServer }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: b.s, c: c}, nil }

type session struct {
	s        *mailServer
	c        *smtp.Conn
	auth     bool
	from, to string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "thongbao" || pass != "mật-khẩu" {
			return errors.New("invalid credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.s.failFirst.Add(-1) >= 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	_, isTLS := s.c.TLSConnectionState()
	s.s.mu.Lock()
	s.s.mails = append(s.s.mails, received{from: s.from, to: s.to, tls: isTLS, data: b})
	s.s.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	ms := &mailServer{roots: roots}
	srv := smtp.NewServer(backend{ms})
	srv.Domain = "mail.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = lis.Addr().String()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

func (ms *mailServer) received() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.mails...)
}

func (ms *mailServer) config() email.Config {
	return email.Config{Addr: ms.addr, From: "par-index@tinh.gov.vn", Username: "thongbao", Password: "mật-khẩu",
		StartTLS: true, TLS: &tls.Config{RootCAs: ms.roots}}
}

var delivery = notice.Delivery{
	ID: "0b4c6f1e-2f55-4f7b-9a43-6a9d6b1f0a11", EventID: "e1", EventType: "accountability.v1.explanation.requested",
	Channel: notice.ChannelEmail, Recipient: "truong.phong@so-noi-vu.gov.vn",
	Subject: "Yêu cầu giải trình: Tỷ lệ hồ sơ giải quyết đúng hạn",
	Body:    []byte("Người đứng đầu được yêu cầu giải trình; hạn gửi giải trình: 31/03/2025.\n\nXem chi tiết: https://par.example.gov.vn/giai-trinh/x1"),
}

// TestSendOverSTARTTLSWithAuth: the message arrives over TLS, authenticated, with the
// Vietnamese subject and body intact after MIME decoding.
func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	ms := startMailServer(t)
	detail, err := email.New(ms.config(), time.Now).Send(t.Context(), delivery)
	if err != nil {
		t.Fatalf("Send: %v (%s)", err, detail)
	}
	got := ms.received()
	if len(got) != 1 || !got[0].tls || got[0].from != "par-index@tinh.gov.vn" || got[0].to != delivery.Recipient {
		t.Fatalf("received %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got[0].data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != delivery.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, delivery.Subject)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(string(delivery.Body), "\n", "\r\n"); strings.TrimRight(string(body), "\r\n") != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if msg.Header.Get("Message-Id") != "<"+delivery.ID+"@par-index>" {
		t.Errorf("Message-ID %q", msg.Header.Get("Message-Id"))
	}
}

func TestSendRefusals(t *testing.T) {
	ms := startMailServer(t)
	wrong := ms.config()
	wrong.Password = "sai"
	if _, err := email.New(wrong, time.Now).Send(t.Context(), delivery); err == nil {
		t.Error("wrong password accepted")
	}
	untrusted := ms.config()
	untrusted.TLS = &tls.Config{}
	if _, err := email.New(untrusted, time.Now).Send(t.Context(), delivery); err == nil {
		t.Error("untrusted certificate accepted")
	}
	if len(ms.received()) != 0 {
		t.Error("a refused session delivered mail")
	}
}

// TestDispatcherRetriesTemporaryFailure: queued e-mails go out through the dispatcher; a
// relay answering 451 is retried and each message is delivered once.
func TestDispatcherRetriesTemporaryFailure(t *testing.T) {
	ms := startMailServer(t)
	ms.failFirst.Store(2)
	pool := pgtest.NewPool(t, postgres.Migrations())
	store := postgres.New(pool)
	var ds []notice.Delivery
	for i := range 5 {
		d := delivery
		d.ID, d.EventID, d.Recipient = uuid.NewString(), uuid.NewString(), "can.bo"+string(rune('a'+i))+"@tinh.gov.vn"
		d.State, d.NextAttempt, d.CreateTime = notice.StatePending, time.Now(), time.Now()
		ds = append(ds, d)
	}
	if _, err := store.AddDeliveries(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Dispatch(ctx, store, email.New(ms.config(), time.Now), app.DispatcherConfig{
			Channel: notice.ChannelEmail, Concurrency: 2, PerRecipient: 1, Timeout: 5 * time.Second, MaxAttempts: 4,
			BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Poll: 10 * time.Millisecond,
		}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sent, failed int
		if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM deliveries WHERE state = 'sent'),
			(SELECT count(*) FROM delivery_attempts WHERE outcome = 'failed')`).Scan(&sent, &failed); err != nil {
			t.Fatal(err)
		}
		if sent == 5 {
			if failed != 2 {
				t.Errorf("%d failed attempts logged, want 2", failed)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d sent", sent)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range ms.received() {
		seen[m.to]++
	}
	if len(seen) != 5 {
		t.Errorf("recipients %v, want 5 once each", seen)
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d e-mails", to, n)
		}
	}
}
