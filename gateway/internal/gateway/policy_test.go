package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/grpc/codes"
)

func TestMain(m *testing.M) {
	// A real tracer provider, so requests get trace ids the error bodies must carry.
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	os.Exit(m.Run())
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/healthz", "/healthz", true},
		{"/healthz", "/healthz/x", false},
		{"/v1/published/**", "/v1/published/rankings/2025", true},
		{"/v1/published/**", "/v1/published", true},
		{"/v1/published/**", "/v1/publishedx", false},
		{"/v1/public/feedback/*", "/v1/public/feedback/QR123", true},
		{"/v1/public/feedback/*", "/v1/public/feedback/", false},
		{"/v1/public/feedback/*", "/v1/public/feedback/a/b", false},
		{"/v1/**:import", "/v1/documents:import", true},
		{"/v1/**:import", "/v1/rounds/7/results:import", true},
		{"/v1/**:import", "/v1/documents", false},
		{"/v1/**:watch", "/v2/x:watch", false},
		{"/v1/*:batchGet", "/v1/units:batchGet", true},
		{"/v1/*:batchGet", "/v1/:batchGet", false},
		{"/docs/**", "/docs/", true},
	}
	for _, tt := range tests {
		if got := matchPath(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestPolicyLookup(t *testing.T) {
	table := newPolicyTable(routePolicies(), 1<<20, 30*time.Second)
	tests := []struct {
		method, path string
		want         RoutePolicy
	}{
		{"GET", "/v1/units", RoutePolicy{MaxBodyBytes: 1 << 20, Timeout: 30 * time.Second}},
		{"GET", "/v1/published/rankings", RoutePolicy{Method: "GET", Path: "/v1/published/**", Public: true, MaxBodyBytes: 1 << 20, Timeout: 30 * time.Second}},
		// Only reading published results is public.
		{"POST", "/v1/published/rankings", RoutePolicy{MaxBodyBytes: 1 << 20, Timeout: 30 * time.Second}},
		{"POST", "/v1/public/feedback/AB12", RoutePolicy{Method: "POST", Path: "/v1/public/feedback/*", Public: true, MaxBodyBytes: 16 << 10, Timeout: 30 * time.Second}},
		{"POST", "/v1/documents:import", RoutePolicy{Method: "POST", Path: "/v1/**:import", MaxBodyBytes: 32 << 20, Timeout: 5 * time.Minute}},
		{"GET", "/v1/units/x/inbox-items:watch", RoutePolicy{Method: "GET", Path: "/v1/**:watch", Streaming: true, MaxBodyBytes: 1 << 20, Timeout: 30 * time.Second}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := table.lookup(r); got != tt.want {
			t.Errorf("%s %s: policy %+v, want %+v", tt.method, tt.path, got, tt.want)
		}
	}
}

// do sends a request and decodes a JSON answer.
func do(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func newReq(t *testing.T, method, url, token, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func TestErrorShape(t *testing.T) {
	hs, _, tok := startGateway(t)
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		wantHTTP   int
		wantCode   codes.Code
		wantMsg    string
		wantFields []string
	}{
		{name: "validation", method: "GET", path: "/v1/units/not-a-uuid", token: tok, wantHTTP: 400, wantCode: codes.InvalidArgument, wantFields: []string{"unit_id"}},
		{name: "no token", method: "GET", path: "/v1/units", wantHTTP: 401, wantCode: codes.Unauthenticated, wantMsg: "Chưa xác thực: thiếu mã truy cập"},
		{name: "service down hides the address", method: "GET", path: "/v1/tasks", token: tok, wantHTTP: 503, wantCode: codes.Unavailable, wantMsg: msgUnavailable},
		{name: "unknown route", method: "GET", path: "/v1/nothing-here", token: tok, wantHTTP: 404, wantCode: codes.NotFound, wantMsg: msgNotFoundRoute},
		{name: "bad JSON hides the decoder", method: "POST", path: "/v1/units", token: tok, body: `{"code":`, wantHTTP: 400, wantCode: codes.InvalidArgument, wantMsg: msgBadBody},
		{name: "body too large", method: "POST", path: "/v1/units", token: tok, body: `{"name":"` + strings.Repeat("a", 2<<10) + `"}`, wantHTTP: 413, wantCode: codes.ResourceExhausted, wantMsg: msgTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, newReq(t, tt.method, hs.URL+tt.path, tt.token, tt.body))
			if resp.StatusCode != tt.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %v", resp.StatusCode, tt.wantHTTP, body)
			}
			if got := codes.Code(body["code"].(float64)); got != tt.wantCode {
				t.Errorf("code %v, want %v", got, tt.wantCode)
			}
			if body["status"] != codeName(tt.wantCode) {
				t.Errorf("status %v, want %v", body["status"], codeName(tt.wantCode))
			}
			if tt.wantMsg != "" && body["message"] != tt.wantMsg {
				t.Errorf("message %q, want %q", body["message"], tt.wantMsg)
			}
			if id, _ := body["trace_id"].(string); len(id) != 32 {
				t.Errorf("trace_id %q, want 32 hex digits", id)
			}
			raw, _ := json.Marshal(body)
			for _, leak := range []string{"127.0.0.1", "dial", "proto:", "rpc error"} {
				if strings.Contains(string(raw), leak) {
					t.Errorf("body %s leaks %q", raw, leak)
				}
			}
			fv, ok := body["field_violations"].([]any)
			if !ok {
				t.Fatalf("field_violations missing: %s", raw)
			}
			var fields []string
			for _, v := range fv {
				fields = append(fields, v.(map[string]any)["field"].(string))
			}
			if strings.Join(fields, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("field violations %v, want %v", fields, tt.wantFields)
			}
		})
	}
}

func TestPublicRoutesNeedNoTokenAndAreRateLimited(t *testing.T) {
	hs, _, _ := startGatewayWith(t, func(c *Config) {
		c.PublicRateBurst = 3
		c.PublicRatePerMinute = 1
		c.TrustForwardedFor = true
	})
	get := func(ip string) (*http.Response, map[string]any) {
		req := newReq(t, "GET", hs.URL+"/v1/published/rankings", "", "")
		req.Header.Set("X-Forwarded-For", "203.0.113.9, "+ip)
		return do(t, req)
	}
	for i := range 3 {
		// No route is registered there in this test: past authentication, grpc-gateway
		// answers 404, not 401.
		if resp, body := get("198.51.100.1"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("request %d: HTTP %d, want 404 (public route, no token): %v", i, resp.StatusCode, body)
		}
	}
	resp, body := get("198.51.100.1")
	if resp.StatusCode != http.StatusTooManyRequests || body["message"] != msgRateLimited || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th request: HTTP %d %v Retry-After %q, want 429", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// Another client (the proxy's last entry) has its own budget.
	if resp, _ := get("198.51.100.2"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other client: HTTP %d, want 404", resp.StatusCode)
	}
	// The feedback form is bounded far below the default body limit.
	big := `{"comment":"` + strings.Repeat("ý", 9<<10) + `"}`
	req := newReq(t, "POST", hs.URL+"/v1/public/feedback/QR1", "", big)
	req.Header.Set("X-Forwarded-For", "198.51.100.3")
	if resp, body := do(t, req); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big feedback: HTTP %d %v, want 413", resp.StatusCode, body)
	}
}

func TestRateLimiterRefills(t *testing.T) {
	l := newRateLimiter(60, 2) // one a second
	now := time.Unix(1_800_000_000, 0)
	l.now = func() time.Time { return now }
	for i := range 2 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("token %d refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v, want refused for 1s", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("refused after refill")
	}
	now = now.Add(time.Hour)
	l.allow("b")
	if _, kept := l.buckets["a"]; kept {
		t.Error("idle bucket not swept")
	}
}

func TestCORS(t *testing.T) {
	hs, _, _ := startGatewayWith(t, func(c *Config) { c.CORSAllowedOrigins = []string{"https://cchc.tuyenquang.gov.vn"} })
	preflight := func(origin string) *http.Response {
		req := newReq(t, http.MethodOptions, hs.URL+"/v1/units", "", "")
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, idempotency-key")
		resp, _ := do(t, req)
		return resp
	}
	resp := preflight("https://cchc.tuyenquang.gov.vn")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://cchc.tuyenquang.gov.vn" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
		t.Errorf("allowed preflight: HTTP %d headers %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: HTTP %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	// A simple cross-origin request gets the header with its (error) answer.
	req := newReq(t, "GET", hs.URL+"/v1/units", "", "")
	req.Header.Set("Origin", "https://cchc.tuyenquang.gov.vn")
	if resp, _ := do(t, req); resp.Header.Get("Access-Control-Allow-Origin") != "https://cchc.tuyenquang.gov.vn" {
		t.Errorf("simple request: no allow-origin header (HTTP %d)", resp.StatusCode)
	}
}

func TestVietnameseTextIsNormalisedToNFC(t *testing.T) {
	hs, fake, tok := startGateway(t)
	nfd := norm.NFD.String("Sở Nội vụ Tuyên Quang")
	nfc := norm.NFC.String(nfd)
	if nfd == nfc {
		t.Fatal("test text has no decomposed form")
	}

	body, _ := json.Marshal(map[string]any{"code": "SNV", "name": nfd, "kind": "department", "level": "province"})
	req := newReq(t, "POST", hs.URL+"/v1/units", tok, string(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, b := do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("create: HTTP %d %v", resp.StatusCode, b)
	}
	if got := <-fake.seen; got != nfc {
		t.Errorf("service got body text %+q, want NFC %+q", got, nfc)
	}

	do(t, newReq(t, "GET", hs.URL+"/v1/units:lookup?code="+url.QueryEscape(nfd), tok, ""))
	if got := <-fake.seen; got != nfc {
		t.Errorf("service got query text %+q, want NFC %+q", got, nfc)
	}
}

// TestFieldViolationsInVietnamese: a request broken against the .proto rules gets, in the
// REST 400 the portal shows, Vietnamese descriptions with the field paths and rule ids kept.
func TestFieldViolationsInVietnamese(t *testing.T) {
	hs, _, tok := startGateway(t)
	resp, body := do(t, newReq(t, "POST", hs.URL+"/v1/units", tok, `{"code":"bad code!","name":"Sở Tư pháp","kind":"department","level":"province","parent_id":"x"}`))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("HTTP %d: %v", resp.StatusCode, body)
	}
	got := map[string][2]string{}
	fv, _ := body["field_violations"].([]any)
	for _, v := range fv {
		m := v.(map[string]any)
		rule, _ := m["rule"].(string)
		got[m["field"].(string)] = [2]string{m["description"].(string), rule}
	}
	want := map[string][2]string{
		"unit.code":      {"không đúng định dạng quy định (mẫu `^[A-Za-z0-9][A-Za-z0-9._-]*$`)", "string.pattern"},
		"unit.parent_id": {"phải là một mã UUID hợp lệ", "string.uuid"},
	}
	for field, w := range want {
		if got[field] != w {
			t.Errorf("%s: %q, want %q (all: %v)", field, got[field], w, got)
		}
	}
}
