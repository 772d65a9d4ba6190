// Package grpcapi serves ParScoringService: proto ↔ domain mapping, authorisation, and
// the one toStatus that chooses gRPC codes. Request shape is checked by the protovalidate
// interceptor before a handler runs; the rules of the domain are checked by the domain.
package grpcapi

import (
	"context"
	"log/slog"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/parscoring/internal/app"
)

// Server implements parscoringv1.ParScoringServiceServer on the use cases.
type Server struct {
	parscoringv1.UnimplementedParScoringServiceServer
	svc *app.Service
	log *slog.Logger
}

// New returns a Server on svc; log records the causes of internal errors.
func New(svc *app.Service, log *slog.Logger) *Server {
	return &Server{svc: svc, log: log}
}

// CreateCriteriaSet creates a methodology. Only the secretariat, which runs the index,
// or another service acting on its own behalf may do so.
func (s *Server) CreateCriteriaSet(ctx context.Context, req *parscoringv1.CreateCriteriaSetRequest) (*parscoringv1.CreateCriteriaSetResponse, error) {
	const prefix = "criteria_set."
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, toStatus(ctx, s.log, err, prefix)
	}
	draft, err := criteriaSetFromProto(req.GetCriteriaSet())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, prefix)
	}
	set, err := s.svc.CreateCriteriaSet(ctx, draft)
	if err != nil {
		return nil, toStatus(ctx, s.log, err, prefix)
	}
	return &parscoringv1.CreateCriteriaSetResponse{CriteriaSet: criteriaSetToProto(set, true)}, nil
}

// GetCriteriaSet returns one methodology with its tree to any authenticated caller:
// methodologies are public rules.
func (s *Server) GetCriteriaSet(ctx context.Context, req *parscoringv1.GetCriteriaSetRequest) (*parscoringv1.GetCriteriaSetResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	set, err := s.svc.GetCriteriaSet(ctx, req.GetCriteriaSetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	return &parscoringv1.GetCriteriaSetResponse{CriteriaSet: criteriaSetToProto(set, true)}, nil
}

// ListCriteriaSets lists methodologies without their trees, newest year first, to any
// authenticated caller.
func (s *Server) ListCriteriaSets(ctx context.Context, req *parscoringv1.ListCriteriaSetsRequest) (*parscoringv1.ListCriteriaSetsResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	res, err := s.svc.ListCriteriaSets(ctx, app.ListCriteriaSetsQuery{
		Year:        int(req.GetYear()),
		SubjectKind: req.GetSubjectKind(),
		PageSize:    req.GetPageSize(),
		PageToken:   req.GetPageToken(),
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err, "")
	}
	out := &parscoringv1.ListCriteriaSetsResponse{
		CriteriaSets:  make([]*parscoringv1.CriteriaSet, len(res.Sets)),
		NextPageToken: res.NextPageToken,
	}
	for i, set := range res.Sets {
		out.CriteriaSets[i] = criteriaSetToProto(set, false)
	}
	return out, nil
}
