package grpcapi

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// PublicAssessmentMethods are the AssessmentService methods callable without a token:
// the citizens' QR-code feedback.
var PublicAssessmentMethods = map[string]bool{
	parscoringv1.AssessmentService_SubmitFeedback_FullMethodName: true,
}

// errRateLimited: too many answers from one client or to one code.
var errRateLimited = errors.New("bạn đã gửi quá nhiều phản hồi, vui lòng thử lại sau ít phút")

// limiter bounds public answers per client and per code. The gateway limits per client IP
// too; this one also holds for callers reaching the service directly and stops a flood on
// one code from many addresses. State is in memory: a restart forgets it, which only
// loosens the limit for a minute.
type limiter struct {
	mu      sync.Mutex
	clients map[string]*rate.Limiter
	codes   map[string]*rate.Limiter
}

// Limits: a person answers a few times a minute at most; a busy one-stop desk gets an
// answer every few seconds.
const (
	clientPerMinute, clientBurst = 6, 3
	codePerMinute, codeBurst     = 120, 30
	// maxTracked bounds the maps: past it they start afresh rather than grow.
	maxTracked = 50_000
)

func newLimiter() *limiter {
	return &limiter{clients: map[string]*rate.Limiter{}, codes: map[string]*rate.Limiter{}}
}

func take(m map[string]*rate.Limiter, key string, perMinute, burst int) bool {
	l, ok := m[key]
	if !ok {
		l = rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), burst)
		m[key] = l
	}
	return l.Allow()
}

// allow reports whether one more answer from client to code is allowed.
func (l *limiter) allow(client, code string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.clients) > maxTracked {
		l.clients = map[string]*rate.Limiter{}
	}
	if len(l.codes) > maxTracked {
		l.codes = map[string]*rate.Limiter{}
	}
	return take(l.clients, client, clientPerMinute, clientBurst) && take(l.codes, code, codePerMinute, codeBurst)
}

// clientKey names the caller: the first X-Forwarded-For address the gateway passes on,
// else the peer's IP.
func clientKey(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		for _, v := range md.Get("x-forwarded-for") {
			if first := strings.TrimSpace(strings.Split(v, ",")[0]); first != "" {
				return first
			}
		}
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			return host
		}
		return p.Addr.String()
	}
	return "unknown"
}

// feedbackPath is the public path a QR code points to.
func feedbackPath(code string) string { return "/v1/public/feedback/" + code }

func feedbackCodeToProto(c app.FeedbackCode) *parscoringv1.FeedbackCode {
	return &parscoringv1.FeedbackCode{Code: c.Code, UnitId: c.UnitID, Desk: c.Desk, FeedbackPath: feedbackPath(c.Code),
		CreateTime: optTimestamp(c.CreateTime), RevokeTime: optTimestamp(c.RevokeTime)}
}

// CreateFeedbackCode creates a QR code: the secretariat.
func (s *AssessmentServer) CreateFeedbackCode(ctx context.Context, req *parscoringv1.CreateFeedbackCodeRequest) (*parscoringv1.CreateFeedbackCodeResponse, error) {
	p, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	c, err := s.feedback.CreateCode(ctx, req.GetUnitId(), req.GetDesk(), actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.CreateFeedbackCodeResponse{FeedbackCode: feedbackCodeToProto(c)}, nil
}

// ListFeedbackCodes lists codes: the secretariat, or a unit's people for their own unit.
func (s *AssessmentServer) ListFeedbackCodes(ctx context.Context, req *parscoringv1.ListFeedbackCodesRequest) (*parscoringv1.ListFeedbackCodesResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	unitID := req.GetUnitId()
	if !p.HasRole(roundWideRoles...) {
		if !p.HasRole(unitRoles...) || p.UnitID == "" || (unitID != "" && unitID != p.UnitID) {
			return &parscoringv1.ListFeedbackCodesResponse{}, nil
		}
		unitID = p.UnitID
	}
	cs, err := s.feedback.Codes(ctx, unitID)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.ListFeedbackCodesResponse{}
	for _, c := range cs {
		out.FeedbackCodes = append(out.FeedbackCodes, feedbackCodeToProto(c))
	}
	return out, nil
}

// RevokeFeedbackCode revokes a code: the secretariat.
func (s *AssessmentServer) RevokeFeedbackCode(ctx context.Context, req *parscoringv1.RevokeFeedbackCodeRequest) (*parscoringv1.RevokeFeedbackCodeResponse, error) {
	p, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	c, err := s.feedback.Revoke(ctx, req.GetCode(), actor(p))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.RevokeFeedbackCodeResponse{FeedbackCode: feedbackCodeToProto(c)}, nil
}

// SubmitFeedback records a citizen's answer. Public: no token, so it is rate-limited per
// client and per code, and the request size is bounded by its validation rules.
func (s *AssessmentServer) SubmitFeedback(ctx context.Context, req *parscoringv1.SubmitFeedbackRequest) (*parscoringv1.SubmitFeedbackResponse, error) {
	if !s.limiter.allow(clientKey(ctx), req.GetCode()) {
		return nil, s.status(ctx, errRateLimited, "")
	}
	err := s.feedback.Submit(ctx, req.GetCode(), app.FeedbackAnswer{
		Overall: int(req.GetOverall()), Attitude: int(req.GetAttitude()), Guidance: int(req.GetGuidance()),
		Timeliness: int(req.GetTimeliness()), WaitingMinutes: int(req.GetWaitingMinutes()), Comment: req.GetComment(),
	})
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.SubmitFeedbackResponse{Message: "Cảm ơn bạn đã góp ý. Ý kiến của bạn giúp cơ quan phục vụ tốt hơn."}, nil
}

// GetSatisfaction returns a unit's figures to round-wide roles and to the unit itself.
func (s *AssessmentServer) GetSatisfaction(ctx context.Context, req *parscoringv1.GetSatisfactionRequest) (*parscoringv1.GetSatisfactionResponse, error) {
	p, err := authorize(ctx)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	if err := seeUnit(p, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	sat, err := s.feedback.Satisfaction(ctx, req.GetUnitId(), req.GetFromDate(), req.GetToDate())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.GetSatisfactionResponse{
		Responses: int32(sat.Responses), SatisfiedPercent: ratio(sat.Satisfied*100, sat.Responses), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		MeanOverall: ratio(sat.OverallSum, sat.Responses), WaitingResponses: int32(sat.Waiting), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		MeanWaitingMinutes: ratio(sat.WaitingSum, sat.Waiting),
	}
	for _, d := range sat.Desks {
		out.Desks = append(out.Desks, &parscoringv1.DeskSatisfaction{Desk: d.Desk, Responses: int32(d.Responses), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			SatisfiedPercent: ratio(d.Satisfied*100, d.Responses), MeanWaitingMinutes: ratio(d.WaitingSum, d.Waiting)})
	}
	return out, nil
}

// ratio formats num/den with two decimals, half away from zero; empty when den is 0.
func ratio(num, den int) string {
	if den == 0 {
		return ""
	}
	h := (int64(num)*200 + int64(den)) / (2 * int64(den)) // round(num*100/den), num ≥ 0
	return methodology.Points(h).String()
}
