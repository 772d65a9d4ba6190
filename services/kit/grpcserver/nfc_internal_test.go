package grpcserver

import (
	"testing"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/google/go-cmp/cmp"
)

// normalizeNFC reaches strings everywhere in a message: nested messages, lists of
// messages, repeated strings, map keys and map values.
func TestNormalizeNFCEveryShape(t *testing.T) {
	nfd := norm.NFD.String
	build := func(f func(string) string) (*structpb.Struct, *fieldmaskpb.FieldMask) {
		s, err := structpb.NewStruct(map[string]any{
			f("Sở Nội vụ"): f("Thanh tra tỉnh"),
			"đơn vị":       []any{f("Huyện Sơn Dương"), map[string]any{f("tên"): f("Xã Hồng Thái")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return s, &fieldmaskpb.FieldMask{Paths: []string{f("tên_đơn_vị"), "code"}}
	}
	gotS, gotM := build(nfd)
	wantS, wantM := build(func(s string) string { return s })
	if proto.Equal(gotS, wantS) {
		t.Fatal("test input is already NFC")
	}
	normalizeNFC(gotS.ProtoReflect())
	normalizeNFC(gotM.ProtoReflect())
	if diff := cmp.Diff(wantS, gotS, protocmp.Transform()); diff != "" {
		t.Errorf("struct (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantM, gotM, protocmp.Transform()); diff != "" {
		t.Errorf("field mask (-want +got):\n%s", diff)
	}
}
