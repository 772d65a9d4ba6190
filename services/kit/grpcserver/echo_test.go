package grpcserver_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/parindex/platform/services/kit/auth"
)

// The test service is described at run time rather than generated, so the kit module needs
// no generated code of its own. It is the .proto below, with real protovalidate rules:
//
//	package kittest.v1;
//	message EchoRequest {
//	  string name = 1 [(buf.validate.field).string = {min_len: 1, max_len: 20}];
//	  int32 year = 2 [(buf.validate.field).int32 = {gte: 2020, lte: 2100}];
//	  repeated string codes = 3 [(buf.validate.field).repeated.items.string.pattern = "^[A-Z]+$"];
//	}
//	message EchoResponse { string name = 1; string subject = 2; }
//	service Echo {
//	  rpc Echo(EchoRequest) returns (EchoResponse);         // echoes name and the caller's subject
//	  rpc Panic(EchoRequest) returns (EchoResponse);        // panics
//	  rpc Repeat(EchoRequest) returns (stream EchoResponse); // sends name `year - 2020` times
//	}
const (
	echoService  = "kittest.v1.Echo"
	echoMethod   = "/kittest.v1.Echo/Echo"
	panicMethod  = "/kittest.v1.Echo/Panic"
	repeatMethod = "/kittest.v1.Echo/Repeat"
)

type echoTypes struct {
	req, resp protoreflect.MessageDescriptor
}

func fieldRules(r *validate.FieldRules) *descriptorpb.FieldOptions {
	opts := &descriptorpb.FieldOptions{}
	proto.SetExtension(opts, validate.E_Field, r)
	return opts
}

func newEchoTypes(t *testing.T) echoTypes {
	t.Helper()
	optional := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	repeated := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	file := &descriptorpb.FileDescriptorProto{
		Name:       new("kittest/v1/echo.proto"),
		Package:    new("kittest.v1"),
		Syntax:     new("proto3"),
		Dependency: []string{"buf/validate/validate.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: new("EchoRequest"),
				Field: []*descriptorpb.FieldDescriptorProto{
					{
						Name: new("name"), JsonName: new("name"), Number: proto.Int32(1), Label: optional, Type: str,
						Options: fieldRules(validate.FieldRules_builder{
							String: validate.StringRules_builder{MinLen: proto.Uint64(1), MaxLen: proto.Uint64(20)}.Build(),
						}.Build()),
					},
					{
						Name: new("year"), JsonName: new("year"), Number: proto.Int32(2), Label: optional,
						Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(),
						Options: fieldRules(validate.FieldRules_builder{
							Int32: validate.Int32Rules_builder{Gte: proto.Int32(2020), Lte: proto.Int32(2100)}.Build(),
						}.Build()),
					},
					{
						Name: new("codes"), JsonName: new("codes"), Number: proto.Int32(3), Label: repeated, Type: str,
						Options: fieldRules(validate.FieldRules_builder{
							Repeated: validate.RepeatedRules_builder{
								Items: validate.FieldRules_builder{
									String: validate.StringRules_builder{Pattern: new("^[A-Z]+$")}.Build(),
								}.Build(),
							}.Build(),
						}.Build()),
					},
				},
			},
			{
				Name: new("EchoResponse"),
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: new("name"), JsonName: new("name"), Number: proto.Int32(1), Label: optional, Type: str},
					{Name: new("subject"), JsonName: new("subject"), Number: proto.Int32(2), Label: optional, Type: str},
				},
			},
		},
	}
	deps := new(protoregistry.Files)
	if err := deps.RegisterFile(validate.File_buf_validate_validate_proto); err != nil {
		t.Fatal(err)
	}
	fd, err := protodesc.NewFile(file, deps)
	if err != nil {
		t.Fatalf("build test descriptor: %v", err)
	}
	return echoTypes{req: fd.Messages().ByName("EchoRequest"), resp: fd.Messages().ByName("EchoResponse")}
}

func (e echoTypes) newReq(name string, year int32, codes ...string) *dynamicpb.Message {
	m := dynamicpb.NewMessage(e.req)
	f := e.req.Fields()
	m.Set(f.ByName("name"), protoreflect.ValueOfString(name))
	m.Set(f.ByName("year"), protoreflect.ValueOfInt32(year))
	list := m.Mutable(f.ByName("codes")).List()
	for _, c := range codes {
		list.Append(protoreflect.ValueOfString(c))
	}
	return m
}

func (e echoTypes) newResp() *dynamicpb.Message { return dynamicpb.NewMessage(e.resp) }

func str(m *dynamicpb.Message, field protoreflect.Name) string {
	return m.Get(m.Descriptor().Fields().ByName(field)).String()
}

func (e echoTypes) reply(ctx context.Context, req *dynamicpb.Message) *dynamicpb.Message {
	resp := e.newResp()
	resp.Set(e.resp.Fields().ByName("name"), protoreflect.ValueOfString(str(req, "name")))
	if p, ok := auth.FromContext(ctx); ok {
		resp.Set(e.resp.Fields().ByName("subject"), protoreflect.ValueOfString(p.Subject))
	}
	return resp
}

// register adds the Echo service to srv, with hand-written handlers in the shape
// protoc-gen-go-grpc generates, so the interceptor chain runs exactly as in production.
func (e echoTypes) register(srv *grpc.Server) {
	unary := func(method string, impl func(context.Context, *dynamicpb.Message) (any, error)) grpc.MethodHandler {
		return func(s any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := dynamicpb.NewMessage(e.req)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) { return impl(ctx, req.(*dynamicpb.Message)) }
			if interceptor == nil {
				return h(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: s, FullMethod: method}, h)
		}
	}
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: echoService,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Echo", Handler: unary(echoMethod, func(ctx context.Context, req *dynamicpb.Message) (any, error) {
				return e.reply(ctx, req), nil
			})},
			{MethodName: "Panic", Handler: unary(panicMethod, func(context.Context, *dynamicpb.Message) (any, error) {
				var m map[string]int
				m["boom"]++ // a nil map write: a real bug, not a panic("…") call
				return nil, nil
			})},
		},
		Streams: []grpc.StreamDesc{{
			StreamName:    "Repeat",
			ServerStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				in := dynamicpb.NewMessage(e.req)
				if err := stream.RecvMsg(in); err != nil {
					return err
				}
				year := in.Get(e.req.Fields().ByName("year")).Int()
				for range year - 2020 {
					if err := stream.SendMsg(e.reply(stream.Context(), in)); err != nil {
						return err
					}
				}
				return nil
			},
		}},
		Metadata: "kittest/v1/echo.proto",
	}, struct{}{})
}

// repeat calls the server-streaming method and collects the names received.
func (e echoTypes) repeat(ctx context.Context, conn *grpc.ClientConn, req *dynamicpb.Message) ([]string, error) {
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, repeatMethod)
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var names []string
	for {
		resp := e.newResp()
		err := stream.RecvMsg(resp)
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		names = append(names, str(resp, "name"))
	}
}
