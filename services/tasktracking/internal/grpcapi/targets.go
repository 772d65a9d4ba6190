package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Messages of the refusals of the targets API.
const (
	msgOwnUnitMeasurement = "Bạn chỉ được báo cáo số liệu chỉ tiêu của đơn vị mình"
	msgMayNotMeasure      = "Bạn không có quyền báo cáo số liệu chỉ tiêu"
)

// TargetServer implements tasktrackingv1.TargetServiceServer.
type TargetServer struct {
	tasktrackingv1.UnimplementedTargetServiceServer
	api     *Server
	targets *app.Targets
}

// NewTargets returns the targets API; api reads documents and chooses status codes.
func NewTargets(api *Server, targets *app.Targets) *TargetServer {
	return &TargetServer{api: api, targets: targets}
}

var comparators = map[tasktrackingv1.Comparator]tracking.Comparator{
	tasktrackingv1.Comparator_COMPARATOR_AT_LEAST:  tracking.AtLeast,
	tasktrackingv1.Comparator_COMPARATOR_MORE_THAN: tracking.MoreThan,
	tasktrackingv1.Comparator_COMPARATOR_AT_MOST:   tracking.AtMost,
	tasktrackingv1.Comparator_COMPARATOR_LESS_THAN: tracking.LessThan,
	tasktrackingv1.Comparator_COMPARATOR_EQUAL:     tracking.Equal,
}

var scopeLevels = map[tasktrackingv1.ScopeLevel]tracking.ScopeLevel{
	tasktrackingv1.ScopeLevel_SCOPE_LEVEL_UNSPECIFIED: tracking.ScopeNamed,
	tasktrackingv1.ScopeLevel_SCOPE_LEVEL_PROVINCE:    tracking.ScopeProvince,
	tasktrackingv1.ScopeLevel_SCOPE_LEVEL_DISTRICT:    tracking.ScopeDistrict,
	tasktrackingv1.ScopeLevel_SCOPE_LEVEL_COMMUNE:     tracking.ScopeCommune,
}

var (
	comparatorsPB = invertMap(comparators)
	scopeLevelsPB = invertMap(scopeLevels)
)

func invertMap[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// CreateTarget sets a target: who may issue the document may set its targets.
func (s *TargetServer) CreateTarget(ctx context.Context, req *tasktrackingv1.CreateTargetRequest) (*tasktrackingv1.CreateTargetResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	pb := req.GetTarget()
	doc, err := s.api.svc.Document(ctx, strings.ToLower(pb.GetDocumentId()), relation(p))
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "target.")
	}
	if err := mayIssue(p, doc.IssuerUnitID); err != nil {
		return nil, err
	}
	draft := tracking.Target{
		DocumentID: pb.GetDocumentId(), Code: pb.GetCode(), Metric: pb.GetMetric(), UnitOfMeasure: pb.GetUnitOfMeasure(),
		Comparator: comparators[pb.GetComparator()], Value: pb.GetValue(),
		StartYear: int(pb.GetStartYear()), EndYear: int(pb.GetEndYear()),
		Scope: scopeLevels[pb.GetScopeLevel()], ScopeUnitIDs: pb.GetScopeUnitIds(), Text: pb.GetText(),
	}
	if d := pb.GetDeadline(); d != "" {
		if draft.Deadline, err = vntime.ParseISO(d); err != nil {
			return nil, s.api.toStatus(ctx, tracking.ValidationErrors{{Field: "deadline", Reason: "Ngày không hợp lệ"}}, "target.")
		}
	}
	t, err := s.targets.CreateTarget(ctx, draft)
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "target.")
	}
	return &tasktrackingv1.CreateTargetResponse{Target: targetToProto(t)}, nil
}

// ListTargets lists targets; anyone signed in reads them.
func (s *TargetServer) ListTargets(ctx context.Context, req *tasktrackingv1.ListTargetsRequest) (*tasktrackingv1.ListTargetsResponse, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	ts, err := s.targets.ListTargets(ctx, strings.ToLower(req.GetDocumentId()), int(req.GetYear()))
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListTargetsResponse{}
	for _, t := range ts {
		resp.Targets = append(resp.Targets, targetToProto(t))
	}
	return resp, nil
}

// RecordMeasurement records a measurement: the secretariat for any unit, a unit's members
// for their own.
func (s *TargetServer) RecordMeasurement(ctx context.Context, req *tasktrackingv1.RecordMeasurementRequest) (*tasktrackingv1.RecordMeasurementResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	unit := strings.ToLower(req.GetUnitId())
	switch {
	case p.HasRole(auth.RoleSecretariat):
	case unitMember(p):
		if !strings.EqualFold(p.UnitID, unit) {
			return nil, status.Error(codes.PermissionDenied, msgOwnUnitMeasurement)
		}
	default:
		return nil, status.Error(codes.PermissionDenied, msgMayNotMeasure)
	}
	by := p.UserID
	if by == "" {
		by = p.Subject
	}
	m, achieved, err := s.targets.RecordMeasurement(ctx, tracking.Measurement{
		TargetID: strings.ToLower(req.GetTargetId()), UnitID: unit, Year: int(req.GetYear()),
		Value: req.GetValue(), Note: req.GetNote(), RecordedBy: by,
	})
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.RecordMeasurementResponse{Measurement: measurementToProto(m), Achieved: achieved}, nil
}

// ListAchievements lists where every unit in scope stands; anyone signed in reads it.
func (s *TargetServer) ListAchievements(ctx context.Context, req *tasktrackingv1.ListAchievementsRequest) (*tasktrackingv1.ListAchievementsResponse, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	rep, err := s.targets.Achievements(ctx, strings.ToLower(req.GetTargetId()), int(req.GetYear()))
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListAchievementsResponse{
		Target: targetToProto(rep.Target), Year: int32(rep.Year), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		UnitsInScope: int32(rep.InScope), UnitsMeasured: int32(rep.Measured), UnitsAchieved: int32(rep.AchievedNum), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	for _, a := range rep.Achievements {
		pa := &tasktrackingv1.Achievement{UnitId: a.UnitID, UnitName: a.UnitName, Achieved: a.Achieved, Gap: a.Gap}
		if a.Measurement != nil {
			pa.Measurement = measurementToProto(*a.Measurement)
		}
		resp.Achievements = append(resp.Achievements, pa)
	}
	return resp, nil
}

func targetToProto(t tracking.Target) *tasktrackingv1.Target {
	pb := &tasktrackingv1.Target{
		Id: t.ID, DocumentId: t.DocumentID, Code: t.Code, Metric: t.Metric, UnitOfMeasure: t.UnitOfMeasure,
		Comparator: comparatorsPB[t.Comparator], Value: t.Value, StartYear: int32(t.StartYear), EndYear: int32(t.EndYear), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		ScopeLevel: scopeLevelsPB[t.Scope], ScopeUnitIds: t.ScopeUnitIDs, Text: t.Text, CreateTime: timestamppb.New(t.CreateTime),
	}
	if !t.Deadline.IsZero() {
		pb.Deadline = t.Deadline.ISO()
	}
	return pb
}

func measurementToProto(m tracking.Measurement) *tasktrackingv1.Measurement {
	return &tasktrackingv1.Measurement{
		Id: m.ID, TargetId: m.TargetID, UnitId: m.UnitID, Year: int32(m.Year), Value: m.Value, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Note: m.Note, RecordedBy: m.RecordedBy, RecordTime: timestamppb.New(m.RecordTime),
	}
}
