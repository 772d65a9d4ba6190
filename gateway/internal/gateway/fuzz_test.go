package gateway

import (
	"testing"

	"buf.build/go/protovalidate"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
)

// FuzzJSONToProtoValidation drives arbitrary bodies down the path every REST request
// takes: NFC normalisation, protojson decoding into a request message, protovalidate. No
// input may panic, decoding what normalisation produced must not fail where the raw
// bytes succeeded, and whatever decodes must validate or be refused with violations.
func FuzzJSONToProtoValidation(f *testing.F) {
	for _, seed := range []string{
		`{"unit":{"code":"SNV","name":"Sở Nội vụ","kind":"department","level":"province"}}`,
		`{"unit":{"code":"","name":"So\u0300 No\u0323i vu\u0323"}}`,
		`{"unit":{"parent_id":"not-a-uuid","valid_from":"2024-13-45"}}`,
		`{}`, `[]`, `{"unit":null}`, `{"unit":{"name":"` + norm.NFD.String("Ủy ban nhân dân") + `"}}`,
	} {
		f.Add([]byte(seed))
	}
	validator := protovalidate.GlobalValidator
	f.Fuzz(func(t *testing.T, body []byte) {
		normalised := norm.NFC.Bytes(body)
		var raw, msg directoryv1.CreateUnitRequest
		rawErr := protojson.Unmarshal(body, &raw)
		if err := protojson.Unmarshal(normalised, &msg); err != nil {
			if rawErr == nil {
				t.Fatalf("NFC broke a decodable body: %q → %q: %v", body, normalised, err)
			}
			return
		}
		if err := validator.Validate(&msg); err != nil {
			var verr *protovalidate.ValidationError
			if !asValidation(err, &verr) || len(verr.Violations) == 0 {
				t.Fatalf("validation failed without violations: %v", err)
			}
		}
		if _, err := proto.Marshal(&msg); err != nil {
			t.Fatalf("decoded message does not marshal: %v", err)
		}
	})
}

func asValidation(err error, target **protovalidate.ValidationError) bool {
	v, ok := err.(*protovalidate.ValidationError)
	if ok {
		*target = v
	}
	return ok
}
