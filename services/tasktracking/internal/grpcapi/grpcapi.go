// Package grpcapi serves TaskTrackingService: it maps requests to use cases, checks who may
// do what, and chooses the status code of every error in one place (toStatus).
package grpcapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Messages of the errors this package chooses itself.
const (
	msgUnauthenticated = "Chưa xác thực"
	msgMayNotIssue     = "Bạn không có quyền ban hành văn bản giao nhiệm vụ"
	msgOwnUnitOnly     = "Thủ trưởng đơn vị chỉ được ban hành văn bản của đơn vị mình"
	msgBadPageToken    = "Mã trang không hợp lệ; hãy tải lại danh sách từ đầu" // #nosec G101 -- a message shown to people, not a credential
	msgUnavailable     = "Danh mục đơn vị tạm thời không truy cập được, vui lòng thử lại sau"
)

// Server implements tasktrackingv1.TaskTrackingServiceServer.
type Server struct {
	tasktrackingv1.UnimplementedTaskTrackingServiceServer
	svc *app.Service
	log *slog.Logger
}

// New returns a Server running the use cases of svc; log receives internal errors.
func New(svc *app.Service, log *slog.Logger) *Server {
	return &Server{svc: svc, log: log}
}

// principal returns the authenticated caller. The auth interceptor has already rejected
// calls without a valid token; this guards against a server wired without it.
func principal(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, status.Error(codes.Unauthenticated, msgUnauthenticated)
	}
	return p, nil
}

// mayIssue says whether p may create or amend a document issued by issuerUnitID (issue 3,
// item 10: the secretariat manages documents): the secretariat for any unit, a unit head
// only for their own unit's documents. Leadership and appraisers read only.
func mayIssue(p auth.Principal, issuerUnitID string) error {
	switch {
	case p.HasRole(auth.RoleSecretariat):
		return nil
	case p.HasRole(auth.RoleUnitHead):
		if p.UnitID == "" || !strings.EqualFold(strings.TrimSpace(issuerUnitID), p.UnitID) {
			return status.Error(codes.PermissionDenied, msgOwnUnitOnly)
		}
		return nil
	default:
		return status.Error(codes.PermissionDenied, msgMayNotIssue)
	}
}

// CreateDocument creates a document with its tasks.
func (s *Server) CreateDocument(ctx context.Context, req *tasktrackingv1.CreateDocumentRequest) (*tasktrackingv1.CreateDocumentResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := mayIssue(p, req.GetDocument().GetIssuerUnitId()); err != nil {
		return nil, err
	}
	draft, err := protoconv.DocumentFromProto(req.GetDocument())
	if err != nil {
		return nil, s.toStatus(ctx, err, "document.")
	}
	createdBy := p.UserID
	if createdBy == "" {
		// Agency systems have no directory user; their subject still names them.
		createdBy = p.Subject
	}
	d, err := s.svc.CreateDocument(ctx, draft, createdBy)
	if err != nil {
		return nil, s.toStatus(ctx, err, "document.")
	}
	return &tasktrackingv1.CreateDocumentResponse{Document: protoconv.DocumentToProto(d)}, nil
}

// GetDocument returns a document with its tasks.
func (s *Server) GetDocument(ctx context.Context, req *tasktrackingv1.GetDocumentRequest) (*tasktrackingv1.GetDocumentResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.Document(ctx, req.GetDocumentId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.GetDocumentResponse{Document: protoconv.DocumentToProto(d)}, nil
}

// ListDocuments lists documents without their tasks.
func (s *Server) ListDocuments(ctx context.Context, req *tasktrackingv1.ListDocumentsRequest) (*tasktrackingv1.ListDocumentsResponse, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	p, err := s.svc.ListDocuments(ctx, app.DocumentFilter{
		Year:         int(req.GetYear()),
		Kind:         protoconv.DocumentKind(req.GetKind()),
		IssuerUnitID: req.GetIssuerUnitId(),
		Query:        req.GetQuery(),
		PageSize:     req.GetPageSize(),
		PageToken:    req.GetPageToken(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListDocumentsResponse{NextPageToken: p.NextPageToken}
	for _, d := range p.Items {
		resp.Documents = append(resp.Documents, protoconv.DocumentToProto(d))
	}
	return resp, nil
}

// GetTask returns one task.
func (s *Server) GetTask(ctx context.Context, req *tasktrackingv1.GetTaskRequest) (*tasktrackingv1.GetTaskResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.Task(ctx, req.GetTaskId(), viewer(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.GetTaskResponse{Task: protoconv.TaskToProto(t)}, nil
}

// ListTasks lists tasks by document and by unit.
func (s *Server) ListTasks(ctx context.Context, req *tasktrackingv1.ListTasksRequest) (*tasktrackingv1.ListTasksResponse, error) {
	caller, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.svc.ListTasks(ctx, app.TaskFilter{
		Viewer:     viewer(caller),
		DocumentID: req.GetDocumentId(),
		UnitID:     req.GetUnitId(),
		// Accountability shows an explanation's remediation tasks with this filter.
		ExplanationID: strings.ToLower(req.GetExplanationId()),
		PageSize:      req.GetPageSize(),
		PageToken:     req.GetPageToken(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListTasksResponse{NextPageToken: p.NextPageToken}
	for _, t := range p.Items {
		resp.Tasks = append(resp.Tasks, protoconv.TaskToProto(t))
	}
	return resp, nil
}

// toStatus is the one place that chooses a status code. fieldPrefix turns the domain's
// field paths (relative to the document) into request paths ("document.tasks[2].code").
// Anything unclassified is logged with its cause and masked.
func (s *Server) toStatus(ctx context.Context, err error, fieldPrefix string) error {
	if ves, ok := tracking.AsValidation(err); ok {
		return apierr.Invalid(ves, apierr.Prefix(fieldPrefix))
	}
	var badToken *page.InvalidTokenError
	if errors.As(err, &badToken) {
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: page.TokenField, Description: msgBadPageToken})
	}
	var de *tracking.Error
	if errors.As(err, &de) {
		switch {
		case errors.Is(de, tracking.ErrNotFound):
			return status.Error(codes.NotFound, de.Message)
		case errors.Is(de, tracking.ErrConflict):
			return status.Error(codes.AlreadyExists, de.Message)
		case errors.Is(de, tracking.ErrFailedPrecondition):
			return status.Error(codes.FailedPrecondition, de.Message)
		case errors.Is(de, tracking.ErrForbidden):
			return status.Error(codes.PermissionDenied, de.Message)
		}
	}
	switch {
	case errors.Is(err, app.ErrUnavailable):
		s.log.WarnContext(ctx, "peer unavailable", slog.Any("error", err))
		return status.Error(codes.Unavailable, msgUnavailable)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "Yêu cầu đã bị hủy")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "Hết thời gian xử lý yêu cầu")
	}
	return apierr.Internal(ctx, s.log, err)
}
