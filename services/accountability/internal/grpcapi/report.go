package grpcapi

import (
	"context"
	"fmt"
	"time"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/report"
)

// GetAccountabilityReport implements the RPC (Art. 20.2).
func (s *ExplanationServer) GetAccountabilityReport(ctx context.Context, req *accountabilityv1.GetAccountabilityReportRequest) (*accountabilityv1.GetAccountabilityReportResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	r, err := s.svc.Report(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	pb := &accountabilityv1.AccountabilityReport{
		ProvinceUnitId: r.ProvinceUnitID, Year: int32(r.Year), Decision: r.Decision, PublishDate: r.PublishDate, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Deadline: r.Deadline, Total: r.Total, PreviousTotal: r.PreviousTotal, LegalBasis: report.LegalBasis,
	}
	for _, c := range r.Changes {
		pb.Changes = append(pb.Changes, &accountabilityv1.ScoreChange{Code: c.Code, Name: c.Name, PreviousScore: c.PreviousScore,
			Score: c.Score, Delta: c.Delta, Direction: c.Direction, OwnerUnitId: c.OwnerUnitID})
	}
	for _, e := range r.Explanations {
		pb.Explanations = append(pb.Explanations, explanationToProto(e))
	}
	for _, e := range r.Evaluations {
		pb.Evaluations = append(pb.Evaluations, evaluationToProto(e))
	}
	for _, p := range r.Proposals {
		pb.Proposals = append(pb.Proposals, proposalToProto(p))
	}
	for _, d := range r.DistrictReports {
		pb.DistrictReports = append(pb.DistrictReports, districtReportToProto(d))
	}
	return &accountabilityv1.GetAccountabilityReportResponse{Report: pb}, nil
}

// ExportAccountabilityReport implements the RPC: XLSX (default) or printable HTML.
func (s *ExplanationServer) ExportAccountabilityReport(ctx context.Context, req *accountabilityv1.ExportAccountabilityReportRequest) (*accountabilityv1.ExportAccountabilityReportResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	r, err := s.svc.Report(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	base := fmt.Sprintf("bao-cao-giai-trinh-%d", r.Year)
	f := &accountabilityv1.ExportedFile{FileName: base + ".xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	if req.GetFormat() == accountabilityv1.ReportFormat_REPORT_FORMAT_HTML {
		f.FileName, f.ContentType = base+".html", "text/html; charset=utf-8"
		f.Content, err = r.HTML(time.Now())
	} else {
		f.Content, err = r.XLSX()
	}
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.ExportAccountabilityReportResponse{File: f}, nil
}
