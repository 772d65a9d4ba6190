// Package tracking is the domain of task tracking: directing documents (văn bản chỉ đạo),
// the reform tasks they assign to lead and cooperating units, and how a written start or
// completion time ("Quý IV/2018", "2021 - 2025", "Thường xuyên") is read.
//
// It protects the invariants and imports nothing of the platform but the shared
// Vietnamese date and text helpers, which are pure functions with no infrastructure.
package tracking

import (
	"errors"
	"strings"
)

// Sentinels classify domain errors; transports choose status codes from them alone.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with existing data (a taken document number).
	ErrConflict = errors.New("conflict")
	// ErrFailedPrecondition means the change is not allowed in the current state.
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrForbidden means the caller may see the thing but not make this change.
	ErrForbidden = errors.New("forbidden")
)

// Error is a classified domain error with the Vietnamese sentence a person reads.
// errors.Is(err, ErrNotFound) (and the other sentinels) sees through it.
type Error struct {
	// Kind is one of the sentinels above.
	Kind error
	// Message is shown to people, so it is Vietnamese and names no internals.
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel so errors.Is classifies the error.
func (e *Error) Unwrap() error { return e.Kind }

// Errors returned by the store and the use cases.
var (
	// ErrDocumentNotFound is returned when no document has the id asked for.
	ErrDocumentNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy văn bản"}
	// ErrTaskNotFound is returned when no task has the id asked for.
	ErrTaskNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy nhiệm vụ"}
	// ErrOccurrenceNotFound is returned when no occurrence has the id asked for, or when the
	// caller has no relation to its task (which must not learn that it exists).
	ErrOccurrenceNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy kỳ thực hiện nhiệm vụ"}
	// ErrNumberTaken is returned when the issuer already has a document with the number.
	// The store raises it from the unique constraint, so concurrent creations are covered.
	ErrNumberTaken = &Error{Kind: ErrConflict, Message: "Đơn vị ban hành đã có văn bản mang số hiệu này"}
)

// ValidationError says what is wrong with one field of a request.
type ValidationError struct {
	// Field is the path of the field in the contract, relative to the document
	// (snake_case, e.g. "tasks[2].lead_unit_ids[0]").
	Field string
	// Reason is a Vietnamese sentence for the person who filled the field in.
	Reason string
}

// Error returns "field: reason".
func (e ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ValidationErrors reports every problem of a request at once, so a form can mark all of
// its wrong fields in one round trip.
type ValidationErrors []ValidationError

// Error joins the problems.
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends a problem.
func (es *ValidationErrors) Add(field, reason string) {
	*es = append(*es, ValidationError{Field: field, Reason: reason})
}

// Err returns nil when there is no problem, so callers can `return v.Err()`.
func (es ValidationErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// AsValidation returns the field problems carried by err, if it is a validation error.
func AsValidation(err error) (ValidationErrors, bool) {
	var many ValidationErrors
	if errors.As(err, &many) {
		return many, true
	}
	var one ValidationError
	if errors.As(err, &one) {
		return ValidationErrors{one}, true
	}
	return nil, false
}
