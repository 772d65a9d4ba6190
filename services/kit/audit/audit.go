// Package audit records every mutation made through a service's gRPC API (nhật ký thao
// tác): a server interceptor writes, after each mutating call, an AuditRecorded event on
// `<service>.v1.audit.recorded` through the service's outbox. The directory collects these
// events from every service for the secretariat.
//
// Enable it with one line in a service's server.Run:
//
//	grpcserver.New(grpcserver.Options{…, ServerOptions: audit.ServerOptions(pool, Producer, log)})
package audit

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcserver"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
)

// Subject returns the subject of producer's audit events, `<producer>.v1.audit.recorded`.
func Subject(producer string) string { return producer + ".v1.audit.recorded" }

// writeTimeout bounds the audit write, which runs after the call even if its client left.
const writeTimeout = 5 * time.Second

// readPrefixes are the method-name prefixes of calls that change nothing (AIP standard and
// custom read methods); every other method counts as a mutation.
var readPrefixes = []string{"Get", "List", "BatchGet", "Lookup", "Search", "Export", "Watch", "Stream", "Count", "Preview", "Explain", "Compute", "Check", "Resolve", "Download"}

// IsMutation reports whether the gRPC method fullMethod ("/pkg.Service/Method") may change
// state, judged by its name.
func IsMutation(fullMethod string) bool {
	if grpcserver.IsHealthOrReflection(fullMethod) {
		return false
	}
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	for _, p := range readPrefixes {
		if strings.HasPrefix(name, p) && (len(name) == len(p) || isUpper(name[len(p)])) {
			return false
		}
	}
	return true
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

// ServerOptions returns the server options installing the audit interceptors, for
// grpcserver.Options.ServerOptions. They are installed as the server's outermost
// interceptors (grpc.UnaryInterceptor and grpc.StreamInterceptor run before every chained
// one), so calls that authentication or validation refuse are recorded too; the actor of a
// call refused by validation comes from grpcserver.CallPrincipal.
func ServerOptions(db pg.Beginner, producer string, log *slog.Logger) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.UnaryInterceptor(UnaryServerInterceptor(db, producer, log)),
		grpc.StreamInterceptor(StreamServerInterceptor(db, producer, log)),
	}
}

// UnaryServerInterceptor records every mutating call, whatever its outcome (a refusal is
// worth recording too).
//
// A call that changes state writes its events through kit/outbox in its own transaction;
// the interceptor puts the call's audit record in the context as an outbox.Companion, so
// the first outbox.Add of the call writes the record in that same transaction: the change
// and its record commit together or not at all, and a crash after the commit cannot lose
// the record. Only when the call failed, or wrote no event, or its first event transaction
// rolled back, does the interceptor write the record itself afterwards, in a transaction
// of its own (same record id, so never twice). A failure of that write is logged and does
// not fail the call.
//
// A record written with the change says OUTCOME "OK" — it records the committed change —
// even if the call fails later on.
func UnaryServerInterceptor(db pg.Beginner, producer string, log *slog.Logger) grpc.UnaryServerInterceptor {
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !IsMutation(info.FullMethod) {
			return handler(ctx, req)
		}
		return record(ctx, db, producer, log, info.FullMethod, func() any { return req }, func(ctx context.Context) (any, error) {
			return handler(ctx, req)
		})
	}
}

// StreamServerInterceptor records every mutating streaming call (an upload sent in
// chunks) as UnaryServerInterceptor records unary ones, in the transaction of the call's
// first event when it wrote one. The request recorded is the first message the client
// sent (the one that says what the upload is about; later ones carry content), the
// response the last message the server sent.
func StreamServerInterceptor(db pg.Beginner, producer string, log *slog.Logger) grpc.StreamServerInterceptor {
	if log == nil {
		log = slog.Default()
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if !IsMutation(info.FullMethod) {
			return handler(srv, ss)
		}
		as := &auditedStream{ServerStream: ss}
		_, err := record(ss.Context(), db, producer, log, info.FullMethod, as.request, func(ctx context.Context) (any, error) {
			as.ctx = ctx
			err := handler(srv, as)
			return as.response(), err
		})
		return err
	}
}

// auditedStream gives the handler the call's context (with the audit companion) and keeps
// the first message received and the last sent for the record. A stream's messages are
// received and sent on the handler's goroutine, the record built on it or after it
// returned; the mutex covers a handler that hands the stream to another goroutine.
type auditedStream struct {
	grpc.ServerStream
	ctx context.Context

	mu         sync.Mutex
	first, out any
}

func (s *auditedStream) Context() context.Context { return s.ctx }

func (s *auditedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.mu.Lock()
		if s.first == nil {
			s.first = m
		}
		s.mu.Unlock()
	}
	return err
}

func (s *auditedStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.mu.Lock()
		s.out = m
		s.mu.Unlock()
	}
	return err
}

func (s *auditedStream) request() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

func (s *auditedStream) response() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out
}

// record runs call (a mutating call of fullMethod) with its audit record as the outbox
// companion of ctx, and writes the record afterwards when the call's own transaction did
// not (see UnaryServerInterceptor). req returns the call's request as known when the
// record is built.
func record(ctx context.Context, db pg.Beginner, producer string, log *slog.Logger, fullMethod string,
	req func() any, call func(ctx context.Context) (any, error)) (any, error) {
	ctx, caller := grpcserver.WithCallPrincipal(ctx)
	id, _ := uuid.NewV7()
	companion := &outbox.Companion{ID: id.String(), Subject: Subject(producer)}
	companion.Build = func(actx context.Context, trigger proto.Message) proto.Message {
		rec := Record(actx, producer, fullMethod, req(), nil, nil)
		rec.Id = companion.ID
		if rec.Resource == "" && trigger != nil {
			// A creation request names no id yet; its event does.
			rec.Resource = resource(trigger.ProtoReflect())
		}
		return &auditv1.AuditRecorded{Record: rec}
	}
	resp, err := call(outbox.WithCompanion(ctx, companion))

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err == nil && companion.Attached() && committed(wctx, db, companion) {
		return resp, err
	}
	if _, ok := auth.FromContext(wctx); !ok {
		if p, ok := caller.Principal(); ok {
			wctx = auth.WithPrincipal(wctx, p)
		}
	}
	companion.Build = func(actx context.Context, _ proto.Message) proto.Message {
		rec := Record(actx, producer, fullMethod, req(), resp, err)
		rec.Id = companion.ID
		return &auditv1.AuditRecorded{Record: rec}
	}
	if werr := pg.InTx(wctx, db, func(tx pgx.Tx) error {
		return outbox.WriteCompanion(wctx, tx, companion, nil)
	}); werr != nil {
		log.ErrorContext(ctx, "audit record not written", slog.String("grpc.method", fullMethod), slog.Any("error", werr))
	}
	return resp, err
}

// committed reports whether the record written with the call's change is in the outbox.
// A pool answers with one query; any other Beginner (or a failed query) counts as not
// known, and the interceptor writes the record, which changes nothing if it is there.
func committed(ctx context.Context, db pg.Beginner, c *outbox.Companion) bool {
	q, ok := db.(interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	})
	if !ok {
		return false
	}
	found, err := c.Committed(ctx, q)
	return err == nil && found
}

// Record builds the audit record of one call: the principal in ctx, the resource named by
// the request (or, for a creation, by the response), the outcome of err.
func Record(ctx context.Context, producer, fullMethod string, req, resp any, err error) *auditv1.AuditRecord {
	id, _ := uuid.NewV7()
	rec := &auditv1.AuditRecord{
		Id:         id.String(),
		Service:    producer,
		Method:     fullMethod,
		Action:     fullMethod[strings.LastIndex(fullMethod, "/")+1:],
		Outcome:    codeName(status.Code(err)),
		OccurredAt: timestamppb.Now(),
	}
	if p, ok := auth.FromContext(ctx); ok {
		rec.ActorSubject, rec.ActorUserId, rec.ActorName = p.Subject, p.UserID, p.Name
		rec.ActorRoles = append([]string(nil), p.Roles...)
		rec.UnitId = p.UnitID
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		rec.TraceId = sc.TraceID().String()
	}
	if m, ok := req.(proto.Message); ok {
		rec.Resource = resource(m.ProtoReflect())
	}
	if rec.Resource == "" && err == nil {
		if m, ok := resp.(proto.Message); ok && m != nil {
			rec.Resource = resource(m.ProtoReflect())
		}
	}
	return rec
}

// resource names what a message is about: its first `<noun>_id` field at the top level
// ("unit_id" → "units/<id>"), else the `id` of its first message field ("unit": {"id"} →
// "units/<id>"). Creation requests carry no id yet; their responses do.
func resource(m protoreflect.Message) string {
	if !m.IsValid() {
		return ""
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		name := string(f.Name())
		if f.Kind() == protoreflect.StringKind && !f.IsList() && strings.HasSuffix(name, "_id") {
			if v := m.Get(f).String(); v != "" {
				return plural(strings.TrimSuffix(name, "_id")) + "/" + v
			}
		}
	}
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() != protoreflect.MessageKind || f.IsList() || f.IsMap() || !m.Has(f) {
			continue
		}
		sub := m.Get(f).Message()
		if idf := sub.Descriptor().Fields().ByName("id"); idf != nil && idf.Kind() == protoreflect.StringKind {
			if v := sub.Get(idf).String(); v != "" {
				return plural(string(f.Name())) + "/" + v
			}
		}
	}
	return ""
}

// plural makes a resource collection name of a snake_case noun, AIP style: "unit" →
// "units", "head_tenure" → "head-tenures", "criteria_set" → "criteria-sets".
func plural(noun string) string {
	noun = strings.ReplaceAll(noun, "_", "-")
	switch {
	case strings.HasSuffix(noun, "s"):
		return noun
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey"):
		return strings.TrimSuffix(noun, "y") + "ies"
	}
	return noun + "s"
}

// codeName is the canonical upper-case name of a gRPC code, as in the HTTP error body.
func codeName(c codes.Code) string {
	if c == codes.Canceled {
		return "CANCELLED"
	}
	s := c.String() // "InvalidArgument"
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && isUpper(s[i]) && !isUpper(s[i-1]) {
			b.WriteByte('_')
		}
		b.WriteByte(s[i])
	}
	return strings.ToUpper(b.String())
}
