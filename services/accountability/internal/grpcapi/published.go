package grpcapi

import (
	"context"
	"strings"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/kit/page"
)

// PublicExplanationMethods are the ExplanationService methods callable without a token:
// the portal shows concluded and published explanations to anyone (Art. 12.2), as
// parscoring shows published rankings. Every other method authenticates.
var PublicExplanationMethods = map[string]bool{
	accountabilityv1.ExplanationService_ListPublishedExplanations_FullMethodName: true,
	accountabilityv1.ExplanationService_GetPublishedExplanation_FullMethodName:   true,
}

// publicExplanationToProto maps a published explanation for anyone to read: what was
// explained and concluded, without what belongs to the work on it — the head's directory
// user id, the secretariat's review comments, the etags and who last saved each part.
func publicExplanationToProto(e explanation.Explanation) *accountabilityv1.Explanation {
	pb := explanationToProto(e)
	pb.HeadUserId, pb.ReviewComment, pb.Etag = "", "", ""
	for _, p := range pb.Parts {
		p.UpdatedBy, p.Etag = "", ""
	}
	return pb
}

// ListPublishedExplanations implements the RPC; public.
func (s *ExplanationServer) ListPublishedExplanations(ctx context.Context, req *accountabilityv1.ListPublishedExplanationsRequest) (*accountabilityv1.ListPublishedExplanationsResponse, error) {
	var after string
	if req.GetPageToken() != "" {
		if err := page.Decode(req.GetPageToken(), &after); err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
	}
	size := page.Size(req.GetPageSize())
	es, err := s.svc.ListPublishedExplanations(ctx, app.ExplanationFilter{
		ProvinceUnitID: strings.ToLower(req.GetProvinceUnitId()), Year: int(req.GetYear()), UnitID: strings.ToLower(req.GetUnitId()),
		After: after, Limit: size + 1,
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	res := &accountabilityv1.ListPublishedExplanationsResponse{}
	if len(es) > size {
		es = es[:size]
		res.NextPageToken = page.Encode(es[size-1].ID)
	}
	for _, e := range es {
		res.Explanations = append(res.Explanations, publicExplanationToProto(e))
	}
	return res, nil
}

// GetPublishedExplanation implements the RPC; public.
func (s *ExplanationServer) GetPublishedExplanation(ctx context.Context, req *accountabilityv1.GetPublishedExplanationRequest) (*accountabilityv1.GetPublishedExplanationResponse, error) {
	e, err := s.svc.GetPublishedExplanation(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &accountabilityv1.GetPublishedExplanationResponse{Explanation: publicExplanationToProto(e)}, nil
}
