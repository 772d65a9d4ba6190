package auth

import (
	"encoding/json"
	"net/http"

	"google.golang.org/grpc/codes"
)

// Middleware authenticates HTTP requests in front of the gateway. Requests for which
// public returns true (public may be nil: nothing is public) pass untouched. Otherwise a
// missing or invalid bearer token is answered 401 with the JSON body grpc-gateway uses for
// errors, {"code":16,"message":"…","details":[]}, so clients parse one error shape.
// On success the request goes on with the Principal and token in its context; the
// Authorization header stays, and grpc-gateway forwards it to the service as metadata,
// where it is verified again (the services trust no hop).
func Middleware(v Verifier, public func(*http.Request) bool, next http.Handler) http.Handler {
	return MiddlewareFunc(v, public, func(w http.ResponseWriter, _ *http.Request, msg string, _ error) {
		writeUnauthenticated(w, msg)
	}, next)
}

// MiddlewareFunc is Middleware with the refusal written by deny, which gets the message
// for the client (MsgMissingToken or MsgInvalidToken) and the cause, for the server's log
// only (nil when the token is missing). The gateway uses it to answer in its own error shape.
func MiddlewareFunc(v Verifier, public func(*http.Request) bool, deny func(w http.ResponseWriter, r *http.Request, msg string, cause error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public != nil && public(r) {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearerToken(r.Header.Get(authorizationKey))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="par"`)
			deny(w, r, MsgMissingToken, nil)
			return
		}
		p, err := v.Verify(r.Context(), token)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="par"`)
			deny(w, r, MsgInvalidToken, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithToken(WithPrincipal(r.Context(), p), token)))
	})
}

// httpError is grpc-gateway's error body (google.rpc.Status in JSON).
type httpError struct {
	Code    codes.Code `json:"code"`
	Message string     `json:"message"`
	Details []any      `json:"details"`
}

func writeUnauthenticated(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="par"`)
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(httpError{Code: codes.Unauthenticated, Message: msg, Details: []any{}})
}
