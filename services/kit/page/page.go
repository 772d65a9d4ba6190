// Package page holds the paging conventions of every List RPC: page-size defaults and
// opaque page tokens.
//
// A page token is the base64url encoding of a small JSON cursor chosen by the service
// (typically the sort key and id of the last row returned). It is opaque to clients but
// not secret and not signed: a client that edits one only pages differently, since every
// query still applies the caller's authorisation.
package page

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

const (
	// DefaultSize is the page size used when a request leaves page_size at 0.
	DefaultSize = 50
	// MaxSize caps page_size so that one request cannot ask for a whole table.
	MaxSize = 500
	// TokenField is the request field name to report a bad token on (InvalidArgument).
	TokenField = "page_token"
	// maxTokenLen bounds the work done on a token before it is rejected; real cursors
	// are a few dozen bytes.
	maxTokenLen = 4096
)

// Size returns the page size to use for a requested page_size: DefaultSize when it is 0
// (or negative), at most MaxSize.
func Size(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultSize
	case requested > MaxSize:
		return MaxSize
	default:
		return int(requested)
	}
}

// Encode returns the page token for cursor v. v must be JSON-encodable; a value that is not
// (a channel, a func) is a programming error and panics.
func Encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("page: cursor %T is not JSON-encodable: %v", v, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// InvalidTokenError reports a page token that was not produced by Encode for the expected
// cursor type. Callers answer it with InvalidArgument on TokenField.
type InvalidTokenError struct {
	// Err is the decoding failure, for logs.
	Err error
}

// Error implements error.
func (e *InvalidTokenError) Error() string {
	return "page: invalid page token: " + e.Err.Error()
}

// Unwrap returns the decoding failure.
func (e *InvalidTokenError) Unwrap() error { return e.Err }

// Decode decodes tok into the cursor v (a pointer). The empty token means "first page":
// Decode returns nil and leaves v untouched. Any other failure is an *InvalidTokenError.
func Decode(tok string, v any) error {
	if tok == "" {
		return nil
	}
	if len(tok) > maxTokenLen {
		return &InvalidTokenError{Err: fmt.Errorf("token is %d bytes long, more than %d", len(tok), maxTokenLen)}
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return &InvalidTokenError{Err: fmt.Errorf("base64: %w", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	// A token for another cursor type must not half-decode into this one.
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &InvalidTokenError{Err: fmt.Errorf("json: %w", err)}
	}
	if dec.More() {
		return &InvalidTokenError{Err: errors.New("trailing data after cursor")}
	}
	return nil
}
