package grpcapi

import (
	"context"
	"log/slog"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/kit/page"
)

// ExplanationServer implements accountabilityv1.ExplanationServiceServer. Who may take
// each step depends on the explanation (its owning and cooperating units), so the rules are
// the app's; this layer passes the caller along.
type ExplanationServer struct {
	accountabilityv1.UnimplementedExplanationServiceServer
	svc   *app.Explanations
	audit AuditReader
	log   *slog.Logger
}

// AuditReader reads the audit trail.
type AuditReader interface {
	// AuditRecords returns records of an entity (all ids when id is empty) after the
	// sequence number after, oldest first.
	AuditRecords(ctx context.Context, entity, id string, after int64, limit int) ([]app.AuditRecord, error)
}

// NewExplanationServer returns the server.
func NewExplanationServer(svc *app.Explanations, audit AuditReader, log *slog.Logger) *ExplanationServer {
	return &ExplanationServer{svc: svc, audit: audit, log: log}
}

// actor is the authenticated caller as the app sees it.
func actor(ctx context.Context) (app.Actor, error) {
	p, err := authorize(ctx)
	if err != nil {
		return app.Actor{}, err
	}
	return app.Actor{UserID: p.UserID, Name: p.Name, UnitID: strings.ToLower(p.UnitID), Roles: p.Roles}, nil
}

// RequestExplanation implements the RPC.
func (s *ExplanationServer) RequestExplanation(ctx context.Context, req *accountabilityv1.RequestExplanationRequest) (*accountabilityv1.RequestExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.RequestExplanation(ctx, a, app.ManualRequest{
		ProvinceUnitID: req.GetProvinceUnitId(), Year: int(req.GetYear()), UnitID: req.GetUnitId(), NodeCode: req.GetNodeCode(),
		Title: req.GetTitle(), Reason: req.GetReason(), Ground: req.GetGround(), CooperatingUnitIDs: req.GetCooperatingUnitIds(),
		DueDate: req.GetDueDate(),
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.RequestExplanationResponse{Explanation: explanationToProto(e)}, nil
}

// GetExplanation implements the RPC.
func (s *ExplanationServer) GetExplanation(ctx context.Context, req *accountabilityv1.GetExplanationRequest) (*accountabilityv1.GetExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.GetExplanation(ctx, a, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	pb := explanationToProto(e)
	for _, r := range s.svc.Remediation(ctx, e) {
		pb.Remediation = append(pb.Remediation, &accountabilityv1.RemediationTask{
			TaskId: r.TaskID, ActionId: r.ActionID, Title: r.Title, Status: r.Status, DueDate: r.DueDate,
		})
	}
	return &accountabilityv1.GetExplanationResponse{Explanation: pb}, nil
}

// ListExplanations implements the RPC.
func (s *ExplanationServer) ListExplanations(ctx context.Context, req *accountabilityv1.ListExplanationsRequest) (*accountabilityv1.ListExplanationsResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	var after string
	if req.GetPageToken() != "" {
		if err := page.Decode(req.GetPageToken(), &after); err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
	}
	size := page.Size(req.GetPageSize())
	es, err := s.svc.ListExplanations(ctx, a, app.ExplanationFilter{
		ProvinceUnitID: strings.ToLower(req.GetProvinceUnitId()), Year: int(req.GetYear()), UnitID: strings.ToLower(req.GetUnitId()),
		Status: statusFromProto(req.GetStatus()), After: after, Limit: size + 1,
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListExplanationsResponse{}
	if len(es) > size {
		es = es[:size]
		res.NextPageToken = page.Encode(es[size-1].ID)
	}
	for _, e := range es {
		res.Explanations = append(res.Explanations, explanationToProto(e))
	}
	return res, nil
}

// SaveExplanationDraft implements the RPC.
func (s *ExplanationServer) SaveExplanationDraft(ctx context.Context, req *accountabilityv1.SaveExplanationDraftRequest) (*accountabilityv1.SaveExplanationDraftResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.SaveDraft(ctx, a, req.GetId(), req.GetEtag(), contentFromProto(req.GetContent()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.SaveExplanationDraftResponse{Explanation: explanationToProto(e)}, nil
}

// SaveExplanationPart implements the RPC.
func (s *ExplanationServer) SaveExplanationPart(ctx context.Context, req *accountabilityv1.SaveExplanationPartRequest) (*accountabilityv1.SaveExplanationPartResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.SavePart(ctx, a, req.GetId(), req.GetUnitId(), req.GetEtag(), contentFromProto(req.GetContent()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.SaveExplanationPartResponse{Explanation: explanationToProto(e)}, nil
}

// SubmitExplanation implements the RPC.
func (s *ExplanationServer) SubmitExplanation(ctx context.Context, req *accountabilityv1.SubmitExplanationRequest) (*accountabilityv1.SubmitExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.Submit(ctx, a, req.GetId(), req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.SubmitExplanationResponse{Explanation: explanationToProto(e)}, nil
}

// ReturnExplanation implements the RPC.
func (s *ExplanationServer) ReturnExplanation(ctx context.Context, req *accountabilityv1.ReturnExplanationRequest) (*accountabilityv1.ReturnExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.Return(ctx, a, req.GetId(), req.GetEtag(), req.GetComment())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.ReturnExplanationResponse{Explanation: explanationToProto(e)}, nil
}

// ConcludeExplanation implements the RPC.
func (s *ExplanationServer) ConcludeExplanation(ctx context.Context, req *accountabilityv1.ConcludeExplanationRequest) (*accountabilityv1.ConcludeExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	var causes []explanation.DeterminedCause
	for _, c := range req.GetDeterminedCauses() {
		causes = append(causes, explanation.DeterminedCause{NodeCode: strings.TrimSpace(c.GetNodeCode()), Cause: causeFromProto(c.GetCause()), Note: c.GetNote()})
	}
	e, err := s.svc.Conclude(ctx, a, req.GetId(), req.GetEtag(), causes, req.GetConclusion(), req.GetAssigningUnitId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.ConcludeExplanationResponse{Explanation: explanationToProto(e)}, nil
}

// PublishExplanation implements the RPC.
func (s *ExplanationServer) PublishExplanation(ctx context.Context, req *accountabilityv1.PublishExplanationRequest) (*accountabilityv1.PublishExplanationResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	e, err := s.svc.Publish(ctx, a, req.GetId(), req.GetEtag())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.PublishExplanationResponse{Explanation: explanationToProto(e)}, nil
}

// RunExplanationTriggers implements the RPC.
func (s *ExplanationServer) RunExplanationTriggers(ctx context.Context, req *accountabilityv1.RunExplanationTriggersRequest) (*accountabilityv1.RunExplanationTriggersResponse, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	out, err := s.svc.RunTriggers(ctx, a, req.GetProvinceUnitId(), int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.RunExplanationTriggersResponse{UnassignedNodeCodes: out.Unassigned}
	for _, e := range out.Opened {
		res.Opened = append(res.Opened, explanationToProto(e))
	}
	return res, nil
}

// ListAuditRecords implements the RPC: the secretariat reads the trail (Art. 20.1: it
// oversees how the regulation is applied).
func (s *ExplanationServer) ListAuditRecords(ctx context.Context, req *accountabilityv1.ListAuditRecordsRequest) (*accountabilityv1.ListAuditRecordsResponse, error) {
	if _, err := authorize(ctx, "secretariat"); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	var after int64
	if req.GetPageToken() != "" {
		if err := page.Decode(req.GetPageToken(), &after); err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
	}
	size := page.Size(req.GetPageSize())
	recs, err := s.audit.AuditRecords(ctx, req.GetEntity(), strings.ToLower(req.GetEntityId()), after, size+1)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListAuditRecordsResponse{}
	if len(recs) > size {
		recs = recs[:size]
		res.NextPageToken = page.Encode(recs[size-1].ID)
	}
	for _, r := range recs {
		res.Records = append(res.Records, &accountabilityv1.AuditRecord{
			Id: r.ID, Entity: r.Entity, EntityId: r.EntityID, Action: r.Action, ActorUserId: r.ActorUserID,
			ActorName: r.ActorName, Time: timestamppb.New(r.Time), BeforeJson: r.Before, AfterJson: r.After, Reason: r.Reason,
		})
	}
	return res, nil
}
