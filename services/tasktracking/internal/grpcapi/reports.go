package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// downloadChunk is the size of the content messages of DownloadEvidence: well under gRPC's
// default 4 MiB message limit, large enough to keep the per-message overhead small.
const downloadChunk = 256 << 10

// ReportServer implements tasktrackingv1.ProgressReportServiceServer with the rules of the
// task-tracking API (relation, viewer, mayIssue) and its toStatus.
type ReportServer struct {
	tasktrackingv1.UnimplementedProgressReportServiceServer
	api     *Server
	reports *app.Reports
}

// NewReportServer returns the progress-report API on reports, sharing api's error mapping.
func NewReportServer(api *Server, reports *app.Reports) *ReportServer {
	return &ReportServer{api: api, reports: reports}
}

// toStatus maps an evidence over the limit, then defers to the service's toStatus.
func (s *ReportServer) toStatus(ctx context.Context, err error, prefix string) error {
	var tooLarge app.ErrEvidenceTooLarge
	if errors.As(err, &tooLarge) {
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: "chunk",
			Description: fmt.Sprintf("Tệp vượt quá dung lượng cho phép (%d MB)", tooLarge.Max>>20)})
	}
	return s.api.toStatus(ctx, err, prefix)
}

// SubmitProgressReport records the caller's unit's report on an occurrence for a period.
func (s *ReportServer) SubmitProgressReport(ctx context.Context, req *tasktrackingv1.SubmitProgressReportRequest) (*tasktrackingv1.SubmitProgressReportResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	draft := tracking.ProgressReport{
		Period:      protoconv.ReportPeriod(req.GetPeriod()),
		PercentDone: int(req.GetPercentDone()),
		Narrative:   req.GetNarrative(),
		Figures:     protoconv.FiguresFromProto(req.GetFigures()),
		EvidenceIDs: req.GetEvidenceIds(),
	}
	r, err := s.reports.SubmitProgressReport(ctx, req.GetOccurrenceId(), draft, actor(p), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.SubmitProgressReportResponse{Report: protoconv.ProgressReportToProto(r)}, nil
}

// ListProgressReports lists the reports of an occurrence.
func (s *ReportServer) ListProgressReports(ctx context.Context, req *tasktrackingv1.ListProgressReportsRequest) (*tasktrackingv1.ListProgressReportsResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.reports.ProgressReports(ctx, req.GetOccurrenceId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListProgressReportsResponse{}
	for _, r := range rs {
		resp.Reports = append(resp.Reports, protoconv.ProgressReportToProto(r))
	}
	return resp, nil
}

// chunkReader reads the content chunks of an upload stream after its metadata.
type chunkReader struct {
	stream grpc.ClientStreamingServer[tasktrackingv1.UploadEvidenceRequest, tasktrackingv1.UploadEvidenceResponse]
	buf    []byte
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		msg, err := c.stream.Recv()
		if err != nil {
			c.err = err // io.EOF when the client closed its side: the end of the content
			continue
		}
		if msg.GetMetadata() != nil {
			c.err = errSecondMetadata
			continue
		}
		c.buf = msg.GetChunk()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

var errSecondMetadata = tracking.ValidationErrors{{Field: "metadata", Reason: "Thông tin tệp chỉ gửi một lần, ở thông điệp đầu tiên"}}

// UploadEvidence stores an evidence file sent as metadata then chunks.
func (s *ReportServer) UploadEvidence(stream grpc.ClientStreamingServer[tasktrackingv1.UploadEvidenceRequest, tasktrackingv1.UploadEvidenceResponse]) error {
	ctx := stream.Context()
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return apierr.InvalidArgument("", apierr.FieldViolation{Field: "metadata", Description: "Cần gửi thông tin tệp trước nội dung"})
		}
		return err
	}
	meta := first.GetMetadata()
	if meta == nil {
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: "metadata", Description: "Cần gửi thông tin tệp trước nội dung"})
	}
	e, err := s.reports.UploadEvidence(ctx, tracking.Evidence{
		OccurrenceID: strings.ToLower(meta.GetOccurrenceId()), FileName: meta.GetFileName(), Description: meta.GetDescription(),
	}, meta.GetMediaType(), &chunkReader{stream: stream}, actor(p), relation(p))
	if err != nil {
		return s.toStatus(ctx, err, "")
	}
	return stream.SendAndClose(&tasktrackingv1.UploadEvidenceResponse{Evidence: protoconv.EvidenceToProto(e)})
}

// ListEvidence lists the evidence of an occurrence.
func (s *ReportServer) ListEvidence(ctx context.Context, req *tasktrackingv1.ListEvidenceRequest) (*tasktrackingv1.ListEvidenceResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	es, err := s.reports.ListEvidence(ctx, req.GetOccurrenceId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListEvidenceResponse{}
	for _, e := range es {
		resp.Evidence = append(resp.Evidence, protoconv.EvidenceToProto(e))
	}
	return resp, nil
}

// GetEvidence returns the metadata of one evidence file.
func (s *ReportServer) GetEvidence(ctx context.Context, req *tasktrackingv1.GetEvidenceRequest) (*tasktrackingv1.GetEvidenceResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.reports.Evidence(ctx, req.GetEvidenceId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.GetEvidenceResponse{Evidence: protoconv.EvidenceToProto(e)}, nil
}

// DownloadEvidence streams an evidence file: metadata, then chunks.
func (s *ReportServer) DownloadEvidence(req *tasktrackingv1.DownloadEvidenceRequest, stream grpc.ServerStreamingServer[tasktrackingv1.DownloadEvidenceResponse]) error {
	ctx := stream.Context()
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	e, rc, err := s.reports.OpenEvidence(ctx, req.GetEvidenceId(), relation(p))
	if err != nil {
		return s.toStatus(ctx, err, "")
	}
	defer rc.Close()
	if err := stream.Send(&tasktrackingv1.DownloadEvidenceResponse{Part: &tasktrackingv1.DownloadEvidenceResponse_Evidence{Evidence: protoconv.EvidenceToProto(e)}}); err != nil {
		return err
	}
	buf := make([]byte, downloadChunk)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if serr := stream.Send(&tasktrackingv1.DownloadEvidenceResponse{Part: &tasktrackingv1.DownloadEvidenceResponse_Chunk{Chunk: buf[:n]}}); serr != nil {
				return serr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.toStatus(ctx, fmt.Errorf("read content of evidence %s: %w", e.ID, err), "")
		}
	}
}

// CreateReportingObligation adds a reporting obligation to a document.
func (s *ReportServer) CreateReportingObligation(ctx context.Context, req *tasktrackingv1.CreateReportingObligationRequest) (*tasktrackingv1.CreateReportingObligationResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	mayAmend := func(d tracking.Document) error {
		if mayIssue(p, d.IssuerUnitID) != nil {
			return &tracking.Error{Kind: tracking.ErrForbidden, Message: msgMayNotAmend}
		}
		return nil
	}
	createdBy := p.UserID
	if createdBy == "" {
		createdBy = p.Subject
	}
	o, dues, err := s.reports.CreateReportingObligation(ctx, req.GetDocumentId(), protoconv.ObligationFromProto(req.GetObligation()), createdBy, mayAmend)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.CreateReportingObligationResponse{Obligation: protoconv.ObligationToProto(o), DueReports: int32(len(dues))}, nil // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
}

// ListReportingObligations lists the obligations of a document.
func (s *ReportServer) ListReportingObligations(ctx context.Context, req *tasktrackingv1.ListReportingObligationsRequest) (*tasktrackingv1.ListReportingObligationsResponse, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	os, err := s.reports.ReportingObligations(ctx, req.GetDocumentId())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListReportingObligationsResponse{}
	for _, o := range os {
		resp.Obligations = append(resp.Obligations, protoconv.ObligationToProto(o))
	}
	return resp, nil
}

// dueViewer is who sees which due reports: province-wide roles all; a unit member its unit's,
// those sent to its unit, and as head those of the documents its unit issued.
func dueViewer(p auth.Principal) app.Viewer { return viewer(p) }

// canSeeDue is dueViewer's rule for one due report.
func canSeeDue(p auth.Principal) func(tracking.DueReport) bool {
	v := dueViewer(p)
	return func(r tracking.DueReport) bool {
		return v.All || v.UnitID != "" && (v.UnitID == r.UnitID || v.UnitID == r.RecipientUnitID ||
			v.IssuerHead && v.UnitID == r.IssuerUnitID)
	}
}

// ListDueReports lists the due periodic reports the caller may see.
func (s *ReportServer) ListDueReports(ctx context.Context, req *tasktrackingv1.ListDueReportsRequest) (*tasktrackingv1.ListDueReportsResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	f := app.DueReportFilter{
		Viewer: dueViewer(p), DocumentID: req.GetDocumentId(), UnitID: strings.ToLower(req.GetUnitId()),
		State: protoconv.DueReportState(req.GetState()), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
	}
	if req.GetDueBefore() != nil {
		f.DueBefore = req.GetDueBefore().AsTime()
	}
	pg, err := s.reports.ListDueReports(ctx, f)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	now := s.reports.Now()
	resp := &tasktrackingv1.ListDueReportsResponse{NextPageToken: pg.NextPageToken}
	for _, r := range pg.Items {
		resp.DueReports = append(resp.DueReports, protoconv.DueReportToProto(r, now))
	}
	return resp, nil
}

// SubmitObligationReport submits a periodic report for the caller's unit.
func (s *ReportServer) SubmitObligationReport(ctx context.Context, req *tasktrackingv1.SubmitObligationReportRequest) (*tasktrackingv1.SubmitObligationReportResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.reports.SubmitObligationReport(ctx, req.GetDueReportId(), req.GetNarrative(), actor(p), unitMember(p), canSeeDue(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.SubmitObligationReportResponse{DueReport: protoconv.DueReportToProto(r, s.reports.Now())}, nil
}
