// Package domainerr holds the error types every service's domain package classifies its
// failures with: an Error of a kind (a sentinel the domain package declares) carrying the
// Vietnamese sentence a person reads, and the field problems of a request, all reported at
// once. It imports nothing, so domain packages stay free of transport and infrastructure;
// each aliases the types (type ValidationErrors = domainerr.ValidationErrors) and keeps its
// own sentinels.
package domainerr

import (
	"errors"
	"strings"
)

// Error is a classified domain error with the Vietnamese sentence a person reads.
// errors.Is(err, Kind) sees through it.
type Error struct {
	// Kind is one of the domain package's sentinels.
	Kind error
	// Message is shown to people, so it is Vietnamese and names no internals.
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel so errors.Is classifies the error.
func (e *Error) Unwrap() error { return e.Kind }

// ValidationError says what is wrong with one field of a request.
type ValidationError struct {
	// Field is the path of the field in the contract (snake_case, e.g.
	// "tasks[2].lead_unit_ids[0]"), relative to the message the domain validated.
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
