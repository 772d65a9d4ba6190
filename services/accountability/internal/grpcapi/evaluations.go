package grpcapi

import (
	"context"
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/evaluation"
)

// EvaluationServer implements accountabilityv1.EvaluationServiceServer.
type EvaluationServer struct {
	accountabilityv1.UnimplementedEvaluationServiceServer
	svc *app.Explanations
	log *slog.Logger
}

// NewEvaluationServer returns the server.
func NewEvaluationServer(svc *app.Explanations, log *slog.Logger) *EvaluationServer {
	return &EvaluationServer{svc: svc, log: log}
}

func evaluationToProto(e evaluation.HeadEvaluation) *accountabilityv1.HeadEvaluation {
	pb := &accountabilityv1.HeadEvaluation{
		Id: e.ID, ProvinceUnitId: e.ProvinceUnitID, Year: int32(e.Year), UnitId: e.UnitID, UnitKind: e.UnitKind, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		HeadUserId: e.HeadUserID, HeadName: e.HeadName, Tier: e.Result.Tier, Rule: e.Result.Rule, LegalBasis: e.Result.LegalBasis,
		Explanation: e.Result.Explanation, PolicyVersion: int32(e.PolicyVersion), Published: !e.PublishTime.IsZero(), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CreateTime: ts(e.CreateTime),
	}
	for _, l := range e.Result.Inputs {
		pb.Inputs = append(pb.Inputs, &accountabilityv1.EvaluationInput{Name: l.Name, Value: l.Value})
	}
	return pb
}

func proposalToProto(p evaluation.SanctionProposal) *accountabilityv1.SanctionProposal {
	return &accountabilityv1.SanctionProposal{
		Id: p.ID, ProvinceUnitId: p.ProvinceUnitID, Year: int32(p.Year), UnitId: p.UnitID, HeadUserId: p.HeadUserID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		HeadName: p.HeadName, Kind: p.Kind, LegalBasis: p.LegalBasis, Evidence: p.Evidence, Status: p.Status,
		DecidedBy: p.DecidedBy, DecisionNote: p.DecisionNote, DecideTime: ts(p.DecideTime), CreateTime: ts(p.CreateTime),
	}
}

// GetEvaluationPolicy implements the RPC; any signed-in user may read the rules applied.
func (s *EvaluationServer) GetEvaluationPolicy(ctx context.Context, req *accountabilityv1.GetEvaluationPolicyRequest) (*accountabilityv1.GetEvaluationPolicyResponse, error) {
	if _, err := actor(ctx); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	p, raw, at, err := s.svc.PolicyInForce(ctx, req.GetProvinceUnitId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.GetEvaluationPolicyResponse{Policy: &accountabilityv1.EvaluationPolicy{
		ProvinceUnitId: req.GetProvinceUnitId(), Version: int32(p.Version), PolicyJson: string(raw), CreateTime: ts(at)}}, nil // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
}

// PutEvaluationPolicy implements the RPC.
func (s *EvaluationServer) PutEvaluationPolicy(ctx context.Context, req *accountabilityv1.PutEvaluationPolicyRequest) (*accountabilityv1.PutEvaluationPolicyResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	p, at, err := s.svc.PutPolicy(ctx, a, req.GetProvinceUnitId(), []byte(req.GetPolicyJson()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.PutEvaluationPolicyResponse{Policy: &accountabilityv1.EvaluationPolicy{
		ProvinceUnitId: req.GetProvinceUnitId(), Version: int32(p.Version), PolicyJson: req.GetPolicyJson(), CreateTime: timestamppb.New(at)}}, nil // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
}

// EvaluateHeads implements the RPC.
func (s *EvaluationServer) EvaluateHeads(ctx context.Context, req *accountabilityv1.EvaluateHeadsRequest) (*accountabilityv1.EvaluateHeadsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	evs, err := s.svc.EvaluateHeads(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.EvaluateHeadsResponse{}
	for _, e := range evs {
		res.Evaluations = append(res.Evaluations, evaluationToProto(e))
	}
	return res, nil
}

// ListEvaluations implements the RPC.
func (s *EvaluationServer) ListEvaluations(ctx context.Context, req *accountabilityv1.ListEvaluationsRequest) (*accountabilityv1.ListEvaluationsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	evs, err := s.svc.ListEvaluations(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListEvaluationsResponse{}
	for _, e := range evs {
		res.Evaluations = append(res.Evaluations, evaluationToProto(e))
	}
	return res, nil
}

// PublishEvaluations implements the RPC.
func (s *EvaluationServer) PublishEvaluations(ctx context.Context, req *accountabilityv1.PublishEvaluationsRequest) (*accountabilityv1.PublishEvaluationsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	evs, props, err := s.svc.PublishEvaluations(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.PublishEvaluationsResponse{}
	for _, e := range evs {
		res.Evaluations = append(res.Evaluations, evaluationToProto(e))
	}
	for _, p := range props {
		res.Proposals = append(res.Proposals, proposalToProto(p))
	}
	return res, nil
}

// ListSanctionProposals implements the RPC.
func (s *EvaluationServer) ListSanctionProposals(ctx context.Context, req *accountabilityv1.ListSanctionProposalsRequest) (*accountabilityv1.ListSanctionProposalsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	props, err := s.svc.ListProposals(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListSanctionProposalsResponse{}
	for _, p := range props {
		res.Proposals = append(res.Proposals, proposalToProto(p))
	}
	return res, nil
}

// DecideSanctionProposal implements the RPC.
func (s *EvaluationServer) DecideSanctionProposal(ctx context.Context, req *accountabilityv1.DecideSanctionProposalRequest) (*accountabilityv1.DecideSanctionProposalResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	p, err := s.svc.DecideProposal(ctx, a, req.GetId(), req.GetApprove(), req.GetNote())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.DecideSanctionProposalResponse{Proposal: proposalToProto(p)}, nil
}
