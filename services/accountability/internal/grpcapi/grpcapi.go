// Package grpcapi serves AccountabilityService: proto ↔ domain mapping, authorisation,
// and the one toStatus that chooses gRPC codes. Request shape is checked by the
// protovalidate interceptor before a handler runs; the rules of the domain are checked by
// the domain.
package grpcapi

import (
	"context"
	"log/slog"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/kit/auth"
)

// Server implements accountabilityv1.AccountabilityServiceServer on the use cases.
type Server struct {
	accountabilityv1.UnimplementedAccountabilityServiceServer
	svc *app.Service
	log *slog.Logger
}

// New returns a Server on svc; log records the causes of internal errors.
func New(svc *app.Service, log *slog.Logger) *Server {
	return &Server{svc: svc, log: log}
}

// PutResponsibilityMatrix replaces a province's matrix for a year. Only the secretariat,
// which compiles the list of heads who must explain (002 Art. 20.2), may do so.
func (s *Server) PutResponsibilityMatrix(ctx context.Context, req *accountabilityv1.PutResponsibilityMatrixRequest) (*accountabilityv1.PutResponsibilityMatrixResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	m, err := s.svc.PutResponsibilityMatrix(ctx, matrixFromProto(req))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.PutResponsibilityMatrixResponse{Matrix: matrixToProto(m)}, nil
}

// GetResponsibilityMatrix returns a province's matrix for a year to any authenticated
// caller: who answers for what is public by design (002 Art. 12.2).
func (s *Server) GetResponsibilityMatrix(ctx context.Context, req *accountabilityv1.GetResponsibilityMatrixRequest) (*accountabilityv1.GetResponsibilityMatrixResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	m, err := s.svc.GetResponsibilityMatrix(ctx, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.GetResponsibilityMatrixResponse{Matrix: matrixToProto(m)}, nil
}
