// Package tracking is the domain of task tracking: directing documents (văn bản chỉ đạo),
// the reform tasks they assign to lead and cooperating units, and how a written start or
// completion time ("Quý IV/2018", "2021 - 2025", "Thường xuyên") is read.
//
// It protects the invariants and imports nothing of the platform but the shared
// Vietnamese date and text helpers and kit/domainerr's error types, which are pure code
// with no infrastructure.
package tracking

import (
	"errors"

	"github.com/parindex/platform/services/kit/domainerr"
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

// Error is a classified domain error with the Vietnamese sentence a person reads.
// errors.Is(err, ErrNotFound) (and the other sentinels) sees through it.
type Error = domainerr.Error

// ValidationError says what is wrong with one field of a request; ValidationErrors
// reports every problem of a request at once (kit/domainerr).
type (
	ValidationError  = domainerr.ValidationError
	ValidationErrors = domainerr.ValidationErrors
)

// AsValidation returns the field problems carried by err, if it is a validation error.
func AsValidation(err error) (ValidationErrors, bool) { return domainerr.AsValidation(err) }
