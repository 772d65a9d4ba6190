package grpcapi

import (
	"context"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/evaluation"
)

func districtReportToProto(r evaluation.DistrictReport) *accountabilityv1.DistrictReport {
	pb := &accountabilityv1.DistrictReport{
		Id: r.ID, ProvinceUnitId: r.ProvinceUnitID, Year: int32(r.Year), DistrictUnitId: r.DistrictUnitID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Revision: int32(r.Revision), DocumentNumber: r.DocumentNumber, Summary: r.Summary, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		LegalBasis: evaluation.DistrictReportBasis, SubmittedBy: r.SubmitterName, SubmitTime: ts(r.SubmitTime), UnevaluatedUnitIds: r.Unevaluated,
	}
	for _, c := range r.Counts() {
		pb.TierCounts = append(pb.TierCounts, &accountabilityv1.TierCount{Tier: c.Tier, Count: int32(c.Count)}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	for _, l := range r.Lines {
		pl := &accountabilityv1.DistrictReportLine{EvaluationId: l.EvaluationID, UnitId: l.UnitID, HeadUserId: l.HeadUserID,
			HeadName: l.HeadName, Tier: l.Tier, Rule: l.Rule, LegalBasis: l.LegalBasis}
		for _, h := range l.Handling {
			pl.Handling = append(pl.Handling, &accountabilityv1.DistrictReportHandling{ProposalId: h.ProposalID, Kind: h.Kind,
				LegalBasis: h.LegalBasis, Status: h.Status, DecidedBy: h.DecidedBy, DecisionNote: h.DecisionNote})
		}
		pb.Lines = append(pb.Lines, pl)
	}
	return pb
}

// SubmitDistrictReport implements the RPC (Art. 21.4).
func (s *EvaluationServer) SubmitDistrictReport(ctx context.Context, req *accountabilityv1.SubmitDistrictReportRequest) (*accountabilityv1.SubmitDistrictReportResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	r, err := s.svc.SubmitDistrictReport(ctx, a, app.DistrictReportRequest{
		ProvinceUnitID: req.GetProvinceUnitId(), Year: int(req.GetYear()), DocumentNumber: req.GetDocumentNumber(), Summary: req.GetSummary(),
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.SubmitDistrictReportResponse{Report: districtReportToProto(r)}, nil
}

// ListDistrictReports implements the RPC (Art. 21.4).
func (s *EvaluationServer) ListDistrictReports(ctx context.Context, req *accountabilityv1.ListDistrictReportsRequest) (*accountabilityv1.ListDistrictReportsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	rs, err := s.svc.ListDistrictReports(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListDistrictReportsResponse{}
	for _, r := range rs {
		res.Reports = append(res.Reports, districtReportToProto(r))
	}
	return res, nil
}
