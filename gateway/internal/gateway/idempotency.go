package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"

	"github.com/parindex/platform/services/kit/auth"
)

// IdempotencyBucket is the JetStream key-value bucket of remembered POST results.
const IdempotencyBucket = "gateway_idempotency"

// Messages of the idempotency checks.
const (
	msgKeyReused    = "Idempotency-Key đã được dùng cho một yêu cầu khác"
	msgKeyInFlight  = "Yêu cầu với Idempotency-Key này đang được xử lý, vui lòng thử lại sau"
	msgKeyTooLong   = "Idempotency-Key quá dài (tối đa 255 ký tự)"
	maxKeyLen       = 255
	pendingState    = "pending"
	completedState  = "done"
	headerReplayed  = "Idempotency-Replayed"
	headerIdemKey   = "Idempotency-Key"
	maxStoredResult = 1 << 20
)

// storedResult is what the bucket holds under one key: the request's fingerprint and,
// once the first call finished, its answer.
type storedResult struct {
	State       string `json:"state"`
	RequestHash string `json:"request_hash"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// idempotency makes a POST carrying an Idempotency-Key answer a retry with the first
// call's result, without calling the service again. Keys are scoped to the caller's
// subject, so two clients cannot see each other's results. The first call claims the key
// atomically (KV create), so concurrent retries get 409 instead of a second execution.
// Server errors (5xx) are not remembered: the client may retry them.
func idempotency(kv jetstream.KeyValue, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(headerIdemKey)
		if kv == nil || key == "" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if len(key) > maxKeyLen {
			writeCode(ctx, w, codes.InvalidArgument, msgKeyTooLong)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeCode(ctx, w, codes.InvalidArgument, msgBadBody)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p, _ := auth.FromContext(ctx)
		id := sha256.Sum256([]byte(p.Subject + "\x00" + key))
		kvKey := hex.EncodeToString(id[:])
		reqHash := sha256.Sum256(append([]byte(r.URL.RequestURI()+"\x00"), body...))
		fingerprint := hex.EncodeToString(reqHash[:])

		claim, _ := json.Marshal(storedResult{State: pendingState, RequestHash: fingerprint})
		if _, err := kv.Create(ctx, kvKey, claim); err != nil {
			if !errors.Is(err, jetstream.ErrKeyExists) {
				log.ErrorContext(ctx, "idempotency store unavailable", slog.Any("error", err))
				writeCode(ctx, w, codes.Unavailable, msgUnavailable)
				return
			}
			replay(ctx, w, kv, kvKey, fingerprint)
			return
		}

		rec := &bodyRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)

		// The call is over: remember or forget, even if the client has gone.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rec.status >= 500 || rec.overflow {
			_ = kv.Delete(sctx, kvKey)
			return
		}
		done, _ := json.Marshal(storedResult{State: completedState, RequestHash: fingerprint, Status: rec.status,
			ContentType: rec.Header().Get("Content-Type"), Body: rec.buf.Bytes()})
		if _, err := kv.Put(sctx, kvKey, done); err != nil {
			log.ErrorContext(ctx, "idempotency result not stored", slog.Any("error", err))
		}
	})
}

// replay answers a repeated key: the first result if the request is the same one, else
// an error.
func replay(ctx context.Context, w http.ResponseWriter, kv jetstream.KeyValue, kvKey, fingerprint string) {
	entry, err := kv.Get(ctx, kvKey)
	var prev storedResult
	if err == nil {
		err = json.Unmarshal(entry.Value(), &prev)
	}
	switch {
	case err != nil:
		// Expired or deleted between create and get: ask the client to retry.
		writeCode(ctx, w, codes.Aborted, msgKeyInFlight)
	case prev.RequestHash != fingerprint:
		writeErrorStatus(ctx, w, http.StatusUnprocessableEntity, ErrorBody{Code: codes.InvalidArgument, Message: msgKeyReused})
	case prev.State != completedState:
		writeCode(ctx, w, codes.Aborted, msgKeyInFlight)
	default:
		if prev.ContentType != "" {
			w.Header().Set("Content-Type", prev.ContentType)
		}
		w.Header().Set(headerReplayed, "true")
		w.WriteHeader(prev.Status)
		_, _ = w.Write(prev.Body)
	}
}

// bodyRecorder passes the response through and keeps a copy (up to maxStoredResult).
type bodyRecorder struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	overflow bool
}

func (b *bodyRecorder) WriteHeader(code int) {
	b.status = code
	b.ResponseWriter.WriteHeader(code)
}

func (b *bodyRecorder) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) <= maxStoredResult {
		b.buf.Write(p)
	} else {
		b.overflow = true
	}
	return b.ResponseWriter.Write(p)
}

// openIdempotencyStore connects to NATS and opens (or creates) the bucket with ttl.
func openIdempotencyStore(ctx context.Context, js jetstream.JetStream, ttl time.Duration) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      IdempotencyBucket,
		Description: "Results of POST requests by Idempotency-Key (gateway)",
		TTL:         ttl,
		History:     1,
	})
	if err != nil {
		return nil, err
	}
	return kv, nil
}
