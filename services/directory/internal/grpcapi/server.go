// Package grpcapi serves the directory's gRPC contract (par.directory.v1): it turns
// requests into domain values, checks who may call what, runs the use cases and chooses
// the status code of every error in one place (toStatus).
package grpcapi

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/app"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/directory/internal/pbconv"
	"github.com/parindex/platform/services/kit/page"
)

// Server implements directoryv1.DirectoryServiceServer on the use cases.
type Server struct {
	directoryv1.UnimplementedDirectoryServiceServer
	svc *app.Service
	log *slog.Logger
}

var _ directoryv1.DirectoryServiceServer = (*Server)(nil)

// New returns a Server; log receives the causes of internal errors.
func New(svc *app.Service, log *slog.Logger) *Server {
	return &Server{svc: svc, log: log}
}

// Register adds the directory service to a gRPC server.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	directoryv1.RegisterDirectoryServiceServer(r, s)
}

// CreateUnit implements the RPC of the same name.
func (s *Server) CreateUnit(ctx context.Context, req *directoryv1.CreateUnitRequest) (*directoryv1.CreateUnitResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	u, err := unitFromProto(req.GetUnit())
	if err != nil {
		return nil, s.toStatus(ctx, err, "unit.")
	}
	created, err := s.svc.CreateUnit(ctx, u)
	if err != nil {
		return nil, s.toStatus(ctx, err, "unit.")
	}
	return &directoryv1.CreateUnitResponse{Unit: pbconv.Unit(created)}, nil
}

// GetUnit implements the RPC of the same name.
func (s *Server) GetUnit(ctx context.Context, req *directoryv1.GetUnitRequest) (*directoryv1.GetUnitResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	u, err := s.svc.GetUnit(ctx, req.GetUnitId())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.GetUnitResponse{Unit: pbconv.Unit(u)}, nil
}

// LookupUnit implements the RPC of the same name.
func (s *Server) LookupUnit(ctx context.Context, req *directoryv1.LookupUnitRequest) (*directoryv1.LookupUnitResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	u, err := s.svc.LookupUnit(ctx, req.GetCode())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.LookupUnitResponse{Unit: pbconv.Unit(u)}, nil
}

// BatchGetUnits implements the RPC of the same name.
func (s *Server) BatchGetUnits(ctx context.Context, req *directoryv1.BatchGetUnitsRequest) (*directoryv1.BatchGetUnitsResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	units, missing, err := s.svc.BatchGetUnits(ctx, req.GetUnitIds())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.BatchGetUnitsResponse{MissingUnitIds: missing}
	for _, u := range units {
		resp.Units = append(resp.Units, pbconv.Unit(u))
	}
	return resp, nil
}

// ListUnits implements the RPC of the same name.
func (s *Server) ListUnits(ctx context.Context, req *directoryv1.ListUnitsRequest) (*directoryv1.ListUnitsResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	f := app.UnitFilter{
		ParentID: req.GetParentId(), Level: req.GetLevel(), Kind: req.GetKind(),
		Query: req.GetQuery(), IncludeDissolved: req.GetIncludeDissolved(),
	}
	units, next, err := s.svc.ListUnits(ctx, f, pageOf(req.GetPageSize(), req.GetPageToken()))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.ListUnitsResponse{NextPageToken: next}
	for _, u := range units {
		resp.Units = append(resp.Units, pbconv.Unit(u))
	}
	return resp, nil
}

// UpdateUnit implements the RPC of the same name.
func (s *Server) UpdateUnit(ctx context.Context, req *directoryv1.UpdateUnitRequest) (*directoryv1.UpdateUnitResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	id, patch, err := unitPatchFromProto(req.GetUnit(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, s.toStatus(ctx, err, "unit.")
	}
	u, err := s.svc.UpdateUnit(ctx, id, patch)
	if err != nil {
		return nil, s.toStatus(ctx, err, "unit.")
	}
	return &directoryv1.UpdateUnitResponse{Unit: pbconv.Unit(u)}, nil
}

// ListUnitLevels implements the RPC of the same name.
func (s *Server) ListUnitLevels(ctx context.Context, _ *directoryv1.ListUnitLevelsRequest) (*directoryv1.ListUnitLevelsResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	levels, err := s.svc.ListUnitLevels(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.ListUnitLevelsResponse{}
	for _, l := range levels {
		resp.Levels = append(resp.Levels, pbconv.Level(l))
	}
	return resp, nil
}

// CreateUnitLevel implements the RPC of the same name.
func (s *Server) CreateUnitLevel(ctx context.Context, req *directoryv1.CreateUnitLevelRequest) (*directoryv1.CreateUnitLevelResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	l := req.GetLevel()
	created, err := s.svc.CreateUnitLevel(ctx, directory.Level{Code: l.GetCode(), Name: l.GetName(), Rank: int(l.GetRank())})
	if err != nil {
		return nil, s.toStatus(ctx, err, "level.")
	}
	return &directoryv1.CreateUnitLevelResponse{Level: pbconv.Level(created)}, nil
}

// ListUnitKinds implements the RPC of the same name.
func (s *Server) ListUnitKinds(ctx context.Context, _ *directoryv1.ListUnitKindsRequest) (*directoryv1.ListUnitKindsResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	kinds, err := s.svc.ListUnitKinds(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.ListUnitKindsResponse{}
	for _, k := range kinds {
		resp.Kinds = append(resp.Kinds, pbconv.Kind(k))
	}
	return resp, nil
}

// CreateUnitKind implements the RPC of the same name.
func (s *Server) CreateUnitKind(ctx context.Context, req *directoryv1.CreateUnitKindRequest) (*directoryv1.CreateUnitKindResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	k := req.GetKind()
	created, err := s.svc.CreateUnitKind(ctx, directory.Kind{Code: k.GetCode(), Name: k.GetName()})
	if err != nil {
		return nil, s.toStatus(ctx, err, "kind.")
	}
	return &directoryv1.CreateUnitKindResponse{Kind: pbconv.Kind(created)}, nil
}

// AssignHead implements the RPC of the same name.
func (s *Server) AssignHead(ctx context.Context, req *directoryv1.AssignHeadRequest) (*directoryv1.AssignHeadResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	t, err := tenureFromProto(req)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	started, ended, err := s.svc.AssignHead(ctx, t)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.AssignHeadResponse{Tenure: pbconv.Tenure(&started), EndedTenure: pbconv.Tenure(ended)}, nil
}

// EndHeadTenure implements the RPC of the same name.
func (s *Server) EndHeadTenure(ctx context.Context, req *directoryv1.EndHeadTenureRequest) (*directoryv1.EndHeadTenureResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	var v directory.ValidationErrors
	end := parseDate(&v, "end_date", req.GetEndDate(), true)
	if len(v) > 0 {
		return nil, s.toStatus(ctx, v, "")
	}
	closed, err := s.svc.EndHeadTenure(ctx, req.GetUnitId(), req.GetTenureId(), end)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.EndHeadTenureResponse{Tenure: pbconv.Tenure(&closed)}, nil
}

// ListHeadTenures implements the RPC of the same name.
func (s *Server) ListHeadTenures(ctx context.Context, req *directoryv1.ListHeadTenuresRequest) (*directoryv1.ListHeadTenuresResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	tenures, next, err := s.svc.ListHeadTenures(ctx, req.GetUnitId(), pageOf(req.GetPageSize(), req.GetPageToken()))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.ListHeadTenuresResponse{NextPageToken: next}
	for i := range tenures {
		resp.Tenures = append(resp.Tenures, pbconv.Tenure(&tenures[i]))
	}
	return resp, nil
}

// GetHeadOnDate implements the RPC of the same name.
func (s *Server) GetHeadOnDate(ctx context.Context, req *directoryv1.GetHeadOnDateRequest) (*directoryv1.GetHeadOnDateResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	var v directory.ValidationErrors
	d := parseDate(&v, "date", req.GetDate(), true)
	if len(v) > 0 {
		return nil, s.toStatus(ctx, v, "")
	}
	h, err := s.svc.HeadOnDate(ctx, req.GetUnitId(), d)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.GetHeadOnDateResponse{
		Head:        pbconv.Tenure(h.Head),
		ActingHead:  pbconv.Tenure(h.Acting),
		Responsible: pbconv.Tenure(h.Responsible()),
	}, nil
}

// CreateUser implements the RPC of the same name.
func (s *Server) CreateUser(ctx context.Context, req *directoryv1.CreateUserRequest) (*directoryv1.CreateUserResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	u, err := userFromProto(req.GetUser())
	if err != nil {
		return nil, s.toStatus(ctx, err, "user.")
	}
	created, err := s.svc.CreateUser(ctx, u)
	if err != nil {
		return nil, s.toStatus(ctx, err, "user.")
	}
	return &directoryv1.CreateUserResponse{User: pbconv.User(created)}, nil
}

// GetUser implements the RPC of the same name.
func (s *Server) GetUser(ctx context.Context, req *directoryv1.GetUserRequest) (*directoryv1.GetUserResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	u, err := s.svc.GetUser(ctx, req.GetUserId())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &directoryv1.GetUserResponse{User: pbconv.User(u)}, nil
}

// ListUsers implements the RPC of the same name.
func (s *Server) ListUsers(ctx context.Context, req *directoryv1.ListUsersRequest) (*directoryv1.ListUsersResponse, error) {
	if err := authorize(ctx, read); err != nil {
		return nil, err
	}
	f := app.UserFilter{UnitID: req.GetUnitId(), Query: req.GetQuery()}
	if req.GetRole() != directoryv1.Role_ROLE_UNSPECIFIED {
		r, ok := pbconv.RoleFromProto(req.GetRole())
		if !ok {
			return nil, s.toStatus(ctx, directory.ValidationError{Field: "role", Reason: "Vai trò không hợp lệ"}, "")
		}
		f.Role = r
	}
	users, next, err := s.svc.ListUsers(ctx, f, pageOf(req.GetPageSize(), req.GetPageToken()))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &directoryv1.ListUsersResponse{NextPageToken: next}
	for _, u := range users {
		resp.Users = append(resp.Users, pbconv.User(u))
	}
	return resp, nil
}

// UpdateUser implements the RPC of the same name.
func (s *Server) UpdateUser(ctx context.Context, req *directoryv1.UpdateUserRequest) (*directoryv1.UpdateUserResponse, error) {
	if err := authorize(ctx, write); err != nil {
		return nil, err
	}
	id, patch, err := userPatchFromProto(req.GetUser(), req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, s.toStatus(ctx, err, "user.")
	}
	u, err := s.svc.UpdateUser(ctx, id, patch)
	if err != nil {
		return nil, s.toStatus(ctx, err, "user.")
	}
	return &directoryv1.UpdateUserResponse{User: pbconv.User(u)}, nil
}

// pageOf applies the platform's page-size defaults (50, at most 500).
func pageOf(size int32, token string) app.Page {
	return app.Page{Size: page.Size(size), Token: token}
}
