// Package directory is the domain of the directory service: the unit tree whose levels and
// kinds are data, head tenures (who headed a unit on a given day, 002 Art. 2) and users.
// It protects the invariants and imports nothing of the platform but the shared date type
// and kit/domainerr's error types, which have no dependencies.
package directory

import (
	"errors"

	"github.com/parindex/platform/services/kit/domainerr"
)

// Sentinels classify domain errors; transports choose status codes from them alone.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with existing data (a taken code or subject).
	ErrConflict = errors.New("conflict")
	// ErrFailedPrecondition means the change is well formed but the current state forbids it.
	ErrFailedPrecondition = errors.New("failed precondition")
)

// Errors returned by the store and the use cases.
var (
	// ErrUnitNotFound is returned when no unit has the id or code asked for.
	ErrUnitNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy đơn vị"}
	// ErrUserNotFound is returned when no user has the id asked for.
	ErrUserNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy người dùng"}
	// ErrTenureNotFound is returned when the unit has no head tenure with the id asked for.
	ErrTenureNotFound = &Error{Kind: ErrNotFound, Message: "Không tìm thấy nhiệm kỳ người đứng đầu của đơn vị"}
	// ErrUnitCodeTaken is returned when another unit already uses the code.
	ErrUnitCodeTaken = &Error{Kind: ErrConflict, Message: "Mã đơn vị đã tồn tại"}
	// ErrSubjectTaken is returned when another user already has the token subject.
	ErrSubjectTaken = &Error{Kind: ErrConflict, Message: "Tài khoản (subject) đã được gán cho người dùng khác"}
	// ErrLevelExists is returned when the level code is taken.
	ErrLevelExists = &Error{Kind: ErrConflict, Message: "Mã cấp hành chính đã tồn tại"}
	// ErrKindExists is returned when the kind code is taken.
	ErrKindExists = &Error{Kind: ErrConflict, Message: "Mã loại đơn vị đã tồn tại"}
	// ErrTenureClosed is returned when ending a tenure that has already ended.
	ErrTenureClosed = &Error{Kind: ErrFailedPrecondition, Message: "Nhiệm kỳ này đã kết thúc"}
	// ErrTenureOverlap is the store's last line of defence when a concurrent change slipped
	// past the domain check; the domain check gives a more precise sentence.
	ErrTenureOverlap = &Error{Kind: ErrFailedPrecondition, Message: "Nhiệm kỳ trùng thời gian với một nhiệm kỳ khác của đơn vị"}
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
