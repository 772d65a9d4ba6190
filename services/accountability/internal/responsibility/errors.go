package responsibility

import (
	"errors"
	"strings"
)

// Errors the store and the use cases return; the gRPC layer picks a status code for each.
var (
	// ErrNotFound means no matrix exists for the province and year.
	ErrNotFound = errors.New("chưa có ma trận trách nhiệm cho tỉnh và năm này")
	// ErrUnassigned means neither a node nor any of its ancestors is listed in the matrix,
	// so no head answers for it.
	ErrUnassigned = errors.New("không có đơn vị chịu trách nhiệm cho mục này trong ma trận trách nhiệm")
)

// ValidationError is one problem with the input. Field is the path of the offending
// field in API terms (e.g. "entries[3].owner_unit_id"); Reason is a Vietnamese sentence.
type ValidationError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e ValidationError) Error() string { return e.Field + ": " + e.Reason }

// ValidationErrors is every problem found in one input, reported together so a whole
// matrix can be fixed in one pass.
type ValidationErrors []ValidationError

// Error implements error.
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "dữ liệu không hợp lệ: " + strings.Join(parts, "; ")
}

func (es *ValidationErrors) add(field, reason string) {
	*es = append(*es, ValidationError{Field: field, Reason: reason})
}

func (es ValidationErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
