package grpcserver

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/parindex/platform/services/kit/vntext"
)

// Vietnamese text can arrive composed (NFC: "ế" one code point) or decomposed (NFD: "e" +
// two combining marks), and the two look the same but compare, index, count (max_len)
// and search differently. The gateway normalises REST input; agency systems calling gRPC
// directly bypass it, so the server normalises every request's strings to NFC too, before
// validation sees them.

func unaryNFC(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		normalizeNFC(m.ProtoReflect())
	}
	return handler(ctx, req)
}

// normalizeNFC rewrites every string of m to NFC in place: singular, repeated and map
// fields (keys too) of m and of every message under it. Strings already in NFC (nearly
// all) are left untouched.
func normalizeNFC(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if s := l.Get(i).String(); vntext.NFC(s) != s {
						l.Set(i, protoreflect.ValueOfString(vntext.NFC(s)))
					}
				case protoreflect.MessageKind, protoreflect.GroupKind:
					normalizeNFC(l.Get(i).Message())
				}
			}
		case fd.IsMap():
			normalizeMap(fd, v.Map())
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); vntext.NFC(s) != s {
				m.Set(fd, protoreflect.ValueOfString(vntext.NFC(s)))
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			normalizeNFC(v.Message())
		}
		return true
	})
}

// normalizeMap normalises a map field's string keys and its string or message values.
func normalizeMap(fd protoreflect.FieldDescriptor, mp protoreflect.Map) {
	stringKeys := fd.MapKey().Kind() == protoreflect.StringKind
	val := fd.MapValue().Kind()
	type rekey struct {
		from protoreflect.MapKey
		to   string
	}
	var moves []rekey
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		switch val {
		case protoreflect.StringKind:
			if s := v.String(); vntext.NFC(s) != s {
				mp.Set(k, protoreflect.ValueOfString(vntext.NFC(s)))
			}
		case protoreflect.MessageKind, protoreflect.GroupKind:
			normalizeNFC(v.Message())
		}
		if stringKeys {
			if s := k.String(); vntext.NFC(s) != s {
				moves = append(moves, rekey{k, vntext.NFC(s)})
			}
		}
		return true
	})
	// Keys are moved after the walk: a map must not change shape while it is ranged over.
	for _, mv := range moves {
		v := mp.Get(mv.from)
		mp.Clear(mv.from)
		mp.Set(protoreflect.ValueOfString(mv.to).MapKey(), v)
	}
}
