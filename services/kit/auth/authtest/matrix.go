package authtest

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The outcomes an authorisation matrix test (issue 7: every RPC × every role × own unit /
// other unit) expects, one letter per caller in a row such as "OODHHU":
//
//	O  answered OK (for a row that looks for something: it was there)
//	A  allowed: past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied: the caller may see the thing but not do this
//	H  NotFound: the caller must not learn the thing exists (for a list: it is left out)
//	U  Unauthenticated
const (
	OK              = 'O'
	Allowed         = 'A'
	Denied          = 'D'
	Hidden          = 'H'
	Unauthenticated = 'U'
)

// CheckOutcome reports a test error unless err is the outcome want stands for. An
// unknown letter is an error too, so a typo in a table cannot pass silently.
func CheckOutcome(t testing.TB, want byte, err error) {
	t.Helper()
	code := status.Code(err)
	switch want {
	case OK:
		if err != nil {
			t.Errorf("%v, want OK", err)
		}
	case Allowed:
		// Internal and Unknown count as failures: a refusal must be a deliberate one.
		switch code {
		case codes.NotFound, codes.PermissionDenied, codes.Unauthenticated, codes.Internal, codes.Unknown:
			t.Errorf("%v, want past authorisation", err)
		}
	case Denied:
		if code != codes.PermissionDenied {
			t.Errorf("%v, want PermissionDenied", err)
		}
	case Hidden:
		if code != codes.NotFound {
			t.Errorf("%v, want NotFound", err)
		}
	case Unauthenticated:
		if code != codes.Unauthenticated {
			t.Errorf("%v, want Unauthenticated", err)
		}
	default:
		t.Errorf("unknown expected outcome %q (want one of O, A, D, H, U)", want)
	}
}

// RequireEveryMethod reports a test error for each method of services that covered
// says has no row, so that a new RPC added without deciding who may call it fails the
// matrix test.
func RequireEveryMethod(t testing.TB, covered func(method string) bool, services ...protoreflect.ServiceDescriptor) {
	t.Helper()
	if len(services) == 0 {
		t.Fatal("authtest: no service descriptor to check")
	}
	for _, sd := range services {
		if sd == nil {
			t.Errorf("authtest: nil service descriptor (wrong service name?)")
			continue
		}
		for i := range sd.Methods().Len() {
			if m := sd.Methods().Get(i); !covered(string(m.Name())) {
				t.Errorf("%s.%s is not in the authorisation matrix", sd.Name(), m.Name())
			}
		}
	}
}

// Found turns a list call into the matrix's terms: the thing listed is OK, left out is
// NotFound (the caller must not learn it exists).
func Found(err error, listed bool) error {
	if err != nil {
		return err
	}
	if !listed {
		return status.Error(codes.NotFound, "not listed")
	}
	return nil
}
