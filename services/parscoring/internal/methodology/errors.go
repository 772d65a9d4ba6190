package methodology

import (
	"errors"
	"strings"
)

// Errors the store and the use cases return; the gRPC layer picks a status code for each.
var (
	// ErrNotFound means no criteria set has the requested id.
	ErrNotFound = errors.New("không tìm thấy bộ tiêu chí")
	// ErrAlreadyExists means a set for the same year, subject kind and decision exists:
	// a methodology is replaced by a new decision, never edited in place.
	ErrAlreadyExists = errors.New("đã có bộ tiêu chí cho năm, loại đơn vị và quyết định này")
)

// ValidationError is one problem with the input. Field is the path of the offending
// field inside a criteria set in API terms (e.g. "nodes[12].parent_code"), so a client can
// put the message beside the right input; Reason is a Vietnamese sentence for people.
type ValidationError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ValidationErrors is every problem found in one input. Validation never stops at the
// first problem: a methodology has up to hundreds of rows typed from a decision, and the
// person fixing it needs the whole list at once.
type ValidationErrors []ValidationError

// Error implements error.
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "dữ liệu không hợp lệ: " + strings.Join(parts, "; ")
}

// add records one problem.
func (es *ValidationErrors) add(field, reason string) {
	*es = append(*es, ValidationError{Field: field, Reason: reason})
}

// err returns nil when nothing was recorded, so callers can `return v.err()`.
func (es ValidationErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
