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

// ServerOptions returns the server option installing the audit interceptor, for
// grpcserver.Options.ServerOptions. It runs inside authentication and validation, so it
// sees the principal and records only calls that reached the service's own code.
func ServerOptions(db pg.Beginner, producer string, log *slog.Logger) []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(UnaryServerInterceptor(db, producer, log))}
}

// UnaryServerInterceptor writes an audit event after every mutating call, whatever its
// outcome (a refusal is worth recording too). The event goes through the outbox in its own
// transaction, after the call's: a failure to record is logged and does not undo or fail
// the call, whose effect is already committed.
func UnaryServerInterceptor(db pg.Beginner, producer string, log *slog.Logger) grpc.UnaryServerInterceptor {
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if !IsMutation(info.FullMethod) {
			return resp, err
		}
		rec := Record(ctx, producer, info.FullMethod, req, resp, err)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer cancel()
		if werr := pg.InTx(wctx, db, func(tx pgx.Tx) error {
			_, aerr := outbox.Add(wctx, tx, Subject(producer), &auditv1.AuditRecorded{Record: rec})
			return aerr
		}); werr != nil {
			log.ErrorContext(ctx, "audit record not written", slog.String("grpc.method", info.FullMethod), slog.Any("error", werr))
		}
		return resp, err
	}
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
