package grpcapi

import (
	"context"
	"log/slog"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/parscoring/internal/app"
)

// MethodologyServer implements parscoringv1.MethodologyServiceServer: criteria sets as
// files, and cloning.
type MethodologyServer struct {
	parscoringv1.UnimplementedMethodologyServiceServer
	svc *app.Service
	log *slog.Logger
}

// NewMethodologyServer returns a MethodologyServer on svc; log records the causes of
// internal errors.
func NewMethodologyServer(svc *app.Service, log *slog.Logger) *MethodologyServer {
	return &MethodologyServer{svc: svc, log: log}
}

var setFormats = map[parscoringv1.CriteriaSetFormat]app.SetFormat{
	parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML: app.SetYAML,
	parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_CSV:  app.SetCSV,
	parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_XLSX: app.SetXLSX,
}

// ImportCriteriaSet imports a set from a file: the secretariat (or a service).
func (s *MethodologyServer) ImportCriteriaSet(ctx context.Context, req *parscoringv1.ImportCriteriaSetRequest) (*parscoringv1.ImportCriteriaSetResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	res, err := s.svc.ImportCriteriaSet(ctx, setFormats[req.GetFormat()], req.GetContent(), req.GetDryRun())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &parscoringv1.ImportCriteriaSetResponse{CriteriaSet: criteriaSetToProto(res.Set, true)}
	if !res.Stored {
		out.CriteriaSet.Id, out.CriteriaSet.CreateTime = "", nil
	}
	for _, p := range res.Problems {
		out.Problems = append(out.Problems, &parscoringv1.ImportProblem{Row: int32(p.Row), Column: p.Column, Message: p.Message}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	return out, nil
}

// ExportCriteriaSet exports a set to any authenticated caller: methodologies are public
// rules.
func (s *MethodologyServer) ExportCriteriaSet(ctx context.Context, req *parscoringv1.ExportCriteriaSetRequest) (*parscoringv1.ExportCriteriaSetResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	res, err := s.svc.ExportCriteriaSet(ctx, req.GetCriteriaSetId(), setFormats[req.GetFormat()])
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &parscoringv1.ExportCriteriaSetResponse{Content: res.Content, FileName: res.FileName, ContentType: res.ContentType}, nil
}

// CloneCriteriaSet copies a set to another year: the secretariat (or a service).
func (s *MethodologyServer) CloneCriteriaSet(ctx context.Context, req *parscoringv1.CloneCriteriaSetRequest) (*parscoringv1.CloneCriteriaSetResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	set, err := s.svc.CloneCriteriaSet(ctx, req.GetCriteriaSetId(), int(req.GetYear()), req.GetName(), req.GetDecision())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &parscoringv1.CloneCriteriaSetResponse{CriteriaSet: criteriaSetToProto(set, true)}, nil
}
