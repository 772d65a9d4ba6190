package grpcapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	auditv1 "github.com/parindex/platform/proto/gen/go/par/audit/v1"
	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/auditlog"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/vntime"
)

// ExportLimit caps one export; narrower filters fetch the rest.
const ExportLimit = 100_000

// AuditLog is what the audit API needs from storage (auditlog.Store).
type AuditLog interface {
	List(ctx context.Context, f auditlog.Filter, size int, token string) ([]*auditv1.AuditRecord, string, error)
	Export(ctx context.Context, f auditlog.Filter, limit int) ([]*auditv1.AuditRecord, error)
}

// AuditServer implements directoryv1.AuditServiceServer: the secretariat's view of the
// platform's audit log.
type AuditServer struct {
	directoryv1.UnimplementedAuditServiceServer
	log   AuditLog
	slogr *slog.Logger
}

var _ directoryv1.AuditServiceServer = (*AuditServer)(nil)

// NewAuditServer returns an AuditServer on store; log receives internal errors.
func NewAuditServer(store AuditLog, log *slog.Logger) *AuditServer {
	return &AuditServer{log: store, slogr: log}
}

// Register adds the audit service to a gRPC server.
func (s *AuditServer) Register(r grpc.ServiceRegistrar) { directoryv1.RegisterAuditServiceServer(r, s) }

// authorizeAudit lets only the secretariat, which oversees the reform, read the log.
func authorizeAudit(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "Yêu cầu cần đăng nhập")
	}
	if !p.HasRole(auth.RoleSecretariat) {
		return status.Error(codes.PermissionDenied, "Chỉ Sở Nội vụ mới được xem nhật ký thao tác")
	}
	return nil
}

func filterOf(f *directoryv1.AuditFilter) auditlog.Filter {
	out := auditlog.Filter{
		Service: f.GetService(), ActorSubject: f.GetActorSubject(), UnitID: f.GetUnitId(),
		Action: f.GetAction(), Outcome: strings.ToUpper(f.GetOutcome()), Resource: f.GetResource(),
	}
	if f.GetStartTime() != nil {
		out.Start = f.GetStartTime().AsTime()
	}
	if f.GetEndTime() != nil {
		out.End = f.GetEndTime().AsTime()
	}
	return out
}

// ListAuditRecords implements the RPC of the same name.
func (s *AuditServer) ListAuditRecords(ctx context.Context, req *directoryv1.ListAuditRecordsRequest) (*directoryv1.ListAuditRecordsResponse, error) {
	if err := authorizeAudit(ctx); err != nil {
		return nil, err
	}
	recs, next, err := s.log.List(ctx, filterOf(req.GetFilter()), page.Size(req.GetPageSize()), req.GetPageToken())
	if errors.Is(err, auditlog.ErrBadPageToken) {
		return nil, apierr.InvalidArgument("", apierr.FieldViolation{Field: page.TokenField, Description: "Mã trang không hợp lệ"})
	}
	if err != nil {
		return nil, apierr.Internal(ctx, s.slogr, err)
	}
	return &directoryv1.ListAuditRecordsResponse{Records: recs, NextPageToken: next}, nil
}

// auditCSVHeader are the export's column titles, for people: Vietnamese.
var auditCSVHeader = []string{"Thời điểm", "Dịch vụ", "Thao tác", "Người thực hiện", "Mã người dùng", "Tên", "Vai trò", "Đơn vị", "Đối tượng", "Kết quả", "Mã truy vết", "Mã bản ghi"}

// ExportAuditRecords implements the RPC of the same name.
func (s *AuditServer) ExportAuditRecords(ctx context.Context, req *directoryv1.ExportAuditRecordsRequest) (*httpbody.HttpBody, error) {
	if err := authorizeAudit(ctx); err != nil {
		return nil, err
	}
	recs, err := s.log.Export(ctx, filterOf(req.GetFilter()), ExportLimit)
	if err != nil {
		return nil, apierr.Internal(ctx, s.slogr, err)
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // BOM: spreadsheet programs then read UTF-8
	w := csv.NewWriter(&buf)
	_ = w.Write(auditCSVHeader)
	for _, r := range recs {
		_ = w.Write([]string{
			r.GetOccurredAt().AsTime().In(vntime.Location).Format(time.DateTime), r.GetService(), r.GetAction(),
			r.GetActorSubject(), r.GetActorUserId(), r.GetActorName(), strings.Join(r.GetActorRoles(), " "),
			r.GetUnitId(), r.GetResource(), r.GetOutcome(), r.GetTraceId(), r.GetId(),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, apierr.Internal(ctx, s.slogr, err)
	}
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()}, nil
}
