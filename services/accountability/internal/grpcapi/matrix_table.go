package grpcapi

import (
	"context"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/kit/auth"
)

// ImportResponsibilityMatrix replaces a province's matrix for a year from the Thái Bình
// default or a table. Secretariat only, like PutResponsibilityMatrix (002 Art. 20.2).
func (s *Server) ImportResponsibilityMatrix(ctx context.Context, req *accountabilityv1.ImportResponsibilityMatrixRequest) (*accountabilityv1.ImportResponsibilityMatrixResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	in := app.MatrixImport{
		ProvinceUnitID: req.GetProvinceUnitId(),
		Year:           int(req.GetYear()),
		UnitsOwnIndex:  req.GetUnitsOwnIndex(),
		DryRun:         req.GetDryRun(),
	}
	switch src := req.GetSource().(type) {
	case *accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault:
		in.UseDefault = src.UseDefault
	case *accountabilityv1.ImportResponsibilityMatrixRequest_Csv:
		in.Table, in.Format = src.Csv, app.FormatCSV
	case *accountabilityv1.ImportResponsibilityMatrixRequest_Xlsx:
		in.Table, in.Format = src.Xlsx, app.FormatXLSX
	}
	m, err := s.svc.ImportResponsibilityMatrix(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.ImportResponsibilityMatrixResponse{Matrix: matrixToProto(m), DryRun: in.DryRun}, nil
}

// ExportResponsibilityMatrix returns a matrix as a table to any authenticated caller, as
// GetResponsibilityMatrix does.
func (s *Server) ExportResponsibilityMatrix(ctx context.Context, req *accountabilityv1.ExportResponsibilityMatrixRequest) (*accountabilityv1.ExportResponsibilityMatrixResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	format := app.FormatCSV
	if req.GetFormat() == accountabilityv1.TableFormat_TABLE_FORMAT_XLSX {
		format = app.FormatXLSX
	}
	name, ct, content, err := s.svc.ExportResponsibilityMatrix(ctx, req.GetProvinceUnitId(), int(req.GetYear()), format)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.ExportResponsibilityMatrixResponse{File: &accountabilityv1.ExportedFile{FileName: name, ContentType: ct, Content: content}}, nil
}
