package domainerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/parindex/platform/services/kit/domainerr"
)

var errNotFound = errors.New("not found")

func TestErrorIsItsKind(t *testing.T) {
	err := fmt.Errorf("get: %w", &domainerr.Error{Kind: errNotFound, Message: "Không tìm thấy đơn vị"})
	if !errors.Is(err, errNotFound) || err.Error() != "get: Không tìm thấy đơn vị" {
		t.Errorf("err = %v, want the message, classified as its kind", err)
	}
}

func TestValidationErrors(t *testing.T) {
	var v domainerr.ValidationErrors
	if v.Err() != nil {
		t.Fatal("no problem must be a nil error")
	}
	v.Add("code", "Mã đơn vị không được để trống")
	v.Add("name", "Tên đơn vị không được để trống")
	err := fmt.Errorf("create: %w", v.Err())
	got, ok := domainerr.AsValidation(err)
	if !ok || len(got) != 2 || got[1].Field != "name" {
		t.Errorf("AsValidation = %v, %v; want both problems", got, ok)
	}
	if want := "create: code: Mã đơn vị không được để trống; name: Tên đơn vị không được để trống"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	one, ok := domainerr.AsValidation(domainerr.ValidationError{Field: "year", Reason: "Năm không hợp lệ"})
	if !ok || len(one) != 1 {
		t.Errorf("a single problem: %v, %v", one, ok)
	}
	if _, ok := domainerr.AsValidation(errNotFound); ok {
		t.Error("an error without field problems was taken as a validation error")
	}
}
