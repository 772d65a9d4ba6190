package responsibility

import (
	"errors"

	"github.com/parindex/platform/services/kit/domainerr"
)

// Errors the store and the use cases return; the gRPC layer picks a status code for each.
var (
	// ErrNotFound means no matrix exists for the province and year.
	ErrNotFound = errors.New("chưa có ma trận trách nhiệm cho tỉnh và năm này")
	// ErrUnassigned means neither a node nor any of its ancestors is listed in the matrix,
	// so no head answers for it.
	ErrUnassigned = errors.New("không có đơn vị chịu trách nhiệm cho mục này trong ma trận trách nhiệm")
)

// ValidationError is one problem with the input, ValidationErrors every problem of one
// input reported together (kit/domainerr): Field is the API path, Reason a Vietnamese
// sentence.
type (
	ValidationError  = domainerr.ValidationError
	ValidationErrors = domainerr.ValidationErrors
)
