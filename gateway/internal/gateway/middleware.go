package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/grpc/codes"
)

type policyKey struct{}

// withPolicy resolves the route policy once and puts it in the request's context for the
// middleware after it.
func withPolicy(t *policyTable, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := t.lookup(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), policyKey{}, p)))
	})
}

func policyOf(ctx context.Context) RoutePolicy {
	p, _ := ctx.Value(policyKey{}).(RoutePolicy)
	return p
}

// cors answers the portal's cross-origin requests. Only origins in allowed get the
// Access-Control headers; a preflight (OPTIONS with Access-Control-Request-Method) is
// answered here, before authentication, as browsers send it without credentials.
func cors(allowed []string, next http.Handler) http.Handler {
	set := map[string]bool{}
	for _, o := range allowed {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			set[o] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		ok := set[origin] || set["*"]
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !ok {
			if preflight {
				writeCode(r.Context(), w, codes.PermissionDenied, "Nguồn gọi không được phép")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Idempotency-Replayed, Retry-After, Traceparent")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Traceparent, Tracestate")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimiter is a token bucket per client IP: rate tokens a second up to burst.
// Buckets idle long enough to be full again are dropped, so memory stays bounded by the
// number of clients active within that time.
type rateLimiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMinute, burst int) *rateLimiter {
	return &rateLimiter{rate: float64(perMinute) / 60, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token for key, or says how long until one is available.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if now.Sub(l.swept) > full {
		for k, b := range l.buckets {
			if now.Sub(b.last) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// rateLimitPublic limits public routes per client IP: they have no token to hold anyone
// accountable, so volume is the only control.
func rateLimitPublic(l *rateLimiter, trustForwardedFor bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := policyOf(r.Context())
		if !p.Public || !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := l.allow(clientIP(r, trustForwardedFor))
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeCode(r.Context(), w, codes.ResourceExhausted, msgRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the caller's address. X-Forwarded-For is read only when the operator says a
// trusted proxy sets it (TRUST_FORWARDED_FOR); then its last entry is the one that proxy
// appended, the only one a client cannot forge.
func clientIP(r *http.Request, trustForwardedFor bool) string {
	if trustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// normalizeRequest bounds the body to the route's limit, and turns the Vietnamese text of
// JSON bodies, query strings and paths into NFC, the form the services store and compare:
// "Sở Nội vụ" typed on macOS arrives decomposed (NFD) and would otherwise not match.
// The body is read whole here (it is bounded), so an oversized one is refused with 413
// before any service sees it.
func normalizeRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := policyOf(r.Context())
		if r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > p.MaxBodyBytes {
				writeErrorStatus(r.Context(), w, http.StatusRequestEntityTooLarge, ErrorBody{Code: codes.ResourceExhausted, Message: msgTooLarge})
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.MaxBodyBytes))
			_ = r.Body.Close()
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					writeErrorStatus(r.Context(), w, http.StatusRequestEntityTooLarge, ErrorBody{Code: codes.ResourceExhausted, Message: msgTooLarge})
					return
				}
				writeCode(r.Context(), w, codes.InvalidArgument, msgBadBody)
				return
			}
			if isText(r.Header.Get("Content-Type")) && !norm.NFC.IsNormal(body) {
				body = norm.NFC.Bytes(body)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		// The raw query is percent-encoded ASCII: it is decoded to see the text.
		q, qerr := url.QueryUnescape(r.URL.RawQuery)
		queryNFD := qerr == nil && !norm.NFC.IsNormalString(q)
		if queryNFD || !norm.NFC.IsNormalString(r.URL.Path) {
			r = r.Clone(r.Context())
			if queryNFD {
				r.URL.RawQuery = nfcQuery(r.URL.RawQuery)
			}
			r.URL.Path = norm.NFC.String(r.URL.Path)
			r.URL.RawPath = ""
		}
		next.ServeHTTP(w, r)
	})
}

// nfcQuery returns raw with every key and value in NFC. Order of repeated keys is kept.
func nfcQuery(raw string) string {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		// grpc-gateway will refuse it with InvalidArgument.
		return raw
	}
	out := url.Values{}
	for k, vs := range vals {
		nk := norm.NFC.String(k)
		for _, v := range vs {
			out[nk] = append(out[nk], norm.NFC.String(v))
		}
	}
	return out.Encode()
}

// isText reports whether a body of content type ct is text the gateway may normalise:
// JSON (the API's format) or plain text. Binary uploads pass untouched.
func isText(ct string) bool {
	if ct == "" {
		return true // grpc-gateway reads bodies without a content type as JSON
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "text/")
}

// timeouts bounds how long a request may take, per its route policy; streaming routes
// are exempt.
func timeouts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := policyOf(r.Context())
		if p.Streaming || p.Timeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), p.Timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
