package grpcapi

import (
	"context"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// AddTasks adds tasks to an existing document. Only who may amend the document may add to
// it; a caller who may not is told so only if they may see the document at all (documents
// are public to signed-in callers), so PermissionDenied reveals nothing.
func (s *Server) AddTasks(ctx context.Context, req *tasktrackingv1.AddTasksRequest) (*tasktrackingv1.AddTasksResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	// Only the tasks are read from the probe; its empty header raises no problem.
	draft, err := protoconv.DocumentFromProto(&tasktrackingv1.Document{Tasks: req.GetTasks()})
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	mayAmend := func(d tracking.Document) error {
		if mayIssue(p, d.IssuerUnitID) != nil {
			return &tracking.Error{Kind: tracking.ErrForbidden, Message: msgMayNotAmend}
		}
		return nil
	}
	tasks, err := s.svc.AddTasks(ctx, req.GetDocumentId(), draft.Tasks, mayAmend)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.AddTasksResponse{}
	for _, t := range tasks {
		resp.Tasks = append(resp.Tasks, protoconv.TaskToProto(t))
	}
	return resp, nil
}
