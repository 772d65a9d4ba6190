package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Client is an agency system registered for the OAuth2 client-credentials grant: its
// secret and the principal its tokens name.
type Client struct {
	// Secret is the client secret (compared in constant time).
	Secret string
	// Principal is what its tokens carry; Subject defaults to "client:<id>" and Roles to
	// agency_system.
	Principal Principal
}

// maxTokenRequestBytes bounds a token request: a form of a few short fields.
const maxTokenRequestBytes = 4 << 10

// ClientCredentialsHandler is an OAuth2 token endpoint (RFC 6749 §4.4) for agency systems:
// POST grant_type=client_credentials with the client's id and secret (HTTP Basic, or
// client_id/client_secret form fields) returns a bearer token for audience valid for ttl.
// It stands in for the province's identity provider in development (`make run`); any
// standard provider's endpoint serves agencies the same way in production.
func ClientCredentialsHandler(s *Signer, audience string, ttl time.Duration, clients map[string]Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
		if err := r.ParseForm(); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request")
			return
		}
		if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		c, known := clients[id]
		// Hashing first makes the comparison constant-time whatever the lengths.
		want, got := sha256.Sum256([]byte(c.Secret)), sha256.Sum256([]byte(secret))
		if !known || id == "" || c.Secret == "" || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="par"`)
			oauthError(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		p := c.Principal
		if p.Subject == "" {
			p.Subject = "client:" + id
		}
		if len(p.Roles) == 0 {
			p.Roles = []string{RoleAgencySystem}
		}
		tok, err := s.Mint(p, audience, ttl)
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": tok, "token_type": "Bearer", "expires_in": json.Number(strconv.Itoa(int(ttl.Seconds()))),
		})
	})
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}
