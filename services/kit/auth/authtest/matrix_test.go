package authtest_test

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/parindex/platform/services/kit/auth/authtest"
)

// recorder is a testing.TB that keeps the errors reported to it instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatal(a ...any) { r.errs = append(r.errs, fmt.Sprint(a...)) }

func TestCheckOutcome(t *testing.T) {
	denied := status.Error(codes.PermissionDenied, "no")
	hidden := status.Error(codes.NotFound, "no")
	invalid := status.Error(codes.InvalidArgument, "bad")
	anon := status.Error(codes.Unauthenticated, "who")
	internal := status.Error(codes.Internal, "boom")
	for _, c := range []struct {
		want byte
		err  error
		pass bool
	}{
		{'O', nil, true}, {'O', invalid, false},
		{'A', nil, true}, {'A', invalid, true}, {'A', denied, false}, {'A', hidden, false}, {'A', internal, false}, {'A', errors.New("plain"), false},
		{'D', denied, true}, {'D', hidden, false}, {'D', nil, false},
		{'H', hidden, true}, {'H', denied, false},
		{'U', anon, true}, {'U', nil, false},
		{'X', nil, false}, // a typo in a table must not pass
	} {
		r := &recorder{TB: t}
		authtest.CheckOutcome(r, c.want, c.err)
		if got := len(r.errs) == 0; got != c.pass {
			t.Errorf("CheckOutcome(%c, %v): passed %v, want %v (%v)", c.want, c.err, got, c.pass, r.errs)
		}
	}
}

func TestRequireEveryMethod(t *testing.T) {
	sd := healthpb.File_grpc_health_v1_health_proto.Services().ByName("Health") // Check, List, Watch
	r := &recorder{TB: t}
	authtest.RequireEveryMethod(r, func(m string) bool { return m != "Watch" }, sd)
	if len(r.errs) != 1 {
		t.Fatalf("errors %v, want one for Watch", r.errs)
	}
	r = &recorder{TB: t}
	authtest.RequireEveryMethod(r, func(string) bool { return true }, sd, protoreflect.ServiceDescriptor(nil))
	if len(r.errs) != 1 {
		t.Fatalf("errors %v, want one for the nil descriptor", r.errs)
	}
}

func TestFound(t *testing.T) {
	if err := authtest.Found(nil, true); err != nil {
		t.Error(err)
	}
	if status.Code(authtest.Found(nil, false)) != codes.NotFound {
		t.Error("left out should be NotFound")
	}
	denied := status.Error(codes.PermissionDenied, "no")
	if !errors.Is(authtest.Found(denied, true), denied) {
		t.Error("an error should pass through")
	}
}
