package methodology

import (
	"errors"

	"github.com/parindex/platform/services/kit/domainerr"
)

// Errors the store and the use cases return; the gRPC layer picks a status code for each.
var (
	// ErrNotFound means no criteria set has the requested id.
	ErrNotFound = errors.New("không tìm thấy bộ tiêu chí")
	// ErrAlreadyExists means a set for the same year, subject kind and decision exists:
	// a methodology is replaced by a new decision, never edited in place.
	ErrAlreadyExists = errors.New("đã có bộ tiêu chí cho năm, loại đơn vị và quyết định này")
)

// ValidationError is one problem with the input, ValidationErrors every problem of one
// input reported together (kit/domainerr): Field is the API path, Reason a Vietnamese
// sentence.
type (
	ValidationError  = domainerr.ValidationError
	ValidationErrors = domainerr.ValidationErrors
)
