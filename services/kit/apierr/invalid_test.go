package apierr_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/domainerr"
)

// TestInvalidMapsEveryProblem: each domain problem becomes one field violation, with the
// request path the caller's mapping gives and the Vietnamese reason as its description.
func TestInvalidMapsEveryProblem(t *testing.T) {
	es := domainerr.ValidationErrors{{Field: "code", Reason: "Cần ghi mã"}, {Field: "tasks[1].content", Reason: "Cần ghi nội dung"}}
	err := apierr.Invalid(es, apierr.Prefix("document."))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %v, want InvalidArgument", status.Code(err))
	}
	got := apierr.Violations(err)
	if len(got) != 2 || got[0].Field != "document.code" || got[0].Description != "Cần ghi mã" || got[1].Field != "document.tasks[1].content" {
		t.Errorf("violations = %+v", got)
	}
	if got := apierr.Violations(apierr.Invalid(es, nil)); len(got) != 2 || got[0].Field != "code" {
		t.Errorf("nil path: violations = %+v", got)
	}
}
