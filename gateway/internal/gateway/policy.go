package gateway

import (
	"net/http"
	"strings"
	"time"
)

// RoutePolicy says how the gateway treats the requests of the routes it matches: whether a
// token is needed, how big a body may be and how long the request may take. Routes no
// policy matches get the defaults: token required, MAX_BODY_BYTES, REQUEST_TIMEOUT.
type RoutePolicy struct {
	// Method is the HTTP method matched ("" matches any).
	Method string
	// Path is a pattern over "/"-separated segments: a literal segment matches itself, "*"
	// matches one segment, "**" (last only) matches the rest, including nothing. The last
	// segment may end in a custom verb: "*:import" matches any segment ending ":import",
	// and "**:watch" any path whose last segment ends ":watch".
	Path string
	// Public routes need no token. They are rate limited per client IP.
	Public bool
	// MaxBodyBytes bounds the request body; 0 means the gateway's default.
	MaxBodyBytes int64
	// Timeout bounds the request; 0 means the gateway's default.
	Timeout time.Duration
	// Streaming routes (server streams, ":watch") have no request timeout: they last as
	// long as the client listens.
	Streaming bool
}

// routePolicies is the gateway's route table, first match wins. Add a line here when a
// new route needs other treatment than the defaults (public, larger uploads, streaming).
func routePolicies() []RoutePolicy {
	return []RoutePolicy{
		// Liveness, the API description and the interactive documentation page.
		{Method: http.MethodGet, Path: "/healthz", Public: true},
		{Method: http.MethodGet, Path: "/openapi.json", Public: true},
		{Method: http.MethodGet, Path: "/docs", Public: true},
		{Method: http.MethodGet, Path: "/docs/**", Public: true},
		// Published rankings: anyone may read them (công khai kết quả).
		{Method: http.MethodGet, Path: "/v1/published/**", Public: true},
		// QR feedback form of citizens: small bodies only.
		{Method: http.MethodPost, Path: "/v1/public/feedback/*", Public: true, MaxBodyBytes: 16 << 10},
		// Imports and uploads: spreadsheets and evidence files.
		{Method: http.MethodPost, Path: "/v1/**:import", MaxBodyBytes: 32 << 20, Timeout: 5 * time.Minute},
		{Method: http.MethodPost, Path: "/v1/**:upload", MaxBodyBytes: 32 << 20, Timeout: 5 * time.Minute},
		// Evidence files of task occurrences (multipart; the service bounds the file).
		{Method: http.MethodPost, Path: "/v1/occurrences/*/evidence", MaxBodyBytes: 32 << 20, Timeout: 5 * time.Minute},
		// Server streams.
		{Method: http.MethodGet, Path: "/v1/**:watch", Streaming: true},
	}
}

// policyTable resolves the policy of a request.
type policyTable struct {
	policies []RoutePolicy
	// def is the policy of routes nothing matches, and fills zero limits of those that do.
	def RoutePolicy
}

func newPolicyTable(policies []RoutePolicy, maxBody int64, timeout time.Duration) *policyTable {
	return &policyTable{policies: policies, def: RoutePolicy{MaxBodyBytes: maxBody, Timeout: timeout}}
}

// lookup returns the policy of r, with the defaults filled in.
func (t *policyTable) lookup(r *http.Request) RoutePolicy {
	p := t.def
	for _, candidate := range t.policies {
		if (candidate.Method == "" || candidate.Method == r.Method) && matchPath(candidate.Path, r.URL.Path) {
			p = candidate
			break
		}
	}
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = t.def.MaxBodyBytes
	}
	if p.Timeout == 0 {
		p.Timeout = t.def.Timeout
	}
	return p
}

// isPublic reports whether r may go without a token. Preflight (OPTIONS) requests carry
// no credentials by design; CORS answers them before authentication.
func (t *policyTable) isPublic(r *http.Request) bool { return t.lookup(r).Public }

// matchPath matches path against pattern (see RoutePolicy.Path).
func matchPath(pattern, path string) bool {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	xs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range ps {
		last := i == len(ps)-1
		if last && strings.HasPrefix(p, "**") {
			verb := strings.TrimPrefix(p, "**")
			if verb == "" {
				return len(xs) >= i
			}
			return len(xs) > i && strings.HasSuffix(xs[len(xs)-1], verb)
		}
		if i >= len(xs) {
			return false
		}
		if !matchSegment(p, xs[i]) {
			return false
		}
	}
	return len(xs) == len(ps)
}

func matchSegment(pattern, seg string) bool {
	if pattern == "*" {
		return seg != ""
	}
	if verb, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(seg, verb) && len(seg) > len(verb)
	}
	return pattern == seg
}
