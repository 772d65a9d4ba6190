// Package tasksclient implements the app's RemediationTracker port with task tracking's
// gRPC API: the remediation tasks task tracking made from an explanation's roadmap
// (RoadmapCommitted) and how far each has come. Calls carry the caller's token.
package tasksclient

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/kit/vntime"
)

const callTimeout = 5 * time.Second

// Client implements app.RemediationTracker.
type Client struct {
	tasks tasktrackingv1.TaskTrackingServiceClient
}

var _ app.RemediationTracker = (*Client)(nil)

// New returns a Client on a connection to task tracking.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{tasks: tasktrackingv1.NewTaskTrackingServiceClient(cc)}
}

// Progress implements app.RemediationTracker: ListTasks for what each task is, and
// ListOccurrences for where it stands (the latest occurrence of each task).
func (c *Client) Progress(ctx context.Context, explanationID string) ([]app.RemediationTask, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	tasks, err := c.tasks.ListTasks(ctx, &tasktrackingv1.ListTasksRequest{ExplanationId: explanationID, PageSize: 500})
	if err != nil {
		return nil, fmt.Errorf("task tracking ListTasks: %w", err)
	}
	occ, err := c.tasks.ListOccurrences(ctx, &tasktrackingv1.ListOccurrencesRequest{ExplanationId: explanationID, PageSize: 500})
	if err != nil {
		return nil, fmt.Errorf("task tracking ListOccurrences: %w", err)
	}
	latest := map[string]*tasktrackingv1.Occurrence{}
	for _, o := range occ.GetOccurrences() {
		if prev, ok := latest[o.GetTaskId()]; !ok || o.GetDueTime().AsTime().After(prev.GetDueTime().AsTime()) {
			latest[o.GetTaskId()] = o
		}
	}
	var out []app.RemediationTask
	for _, t := range tasks.GetTasks() {
		r := app.RemediationTask{TaskID: t.GetId(), ActionID: t.GetRemediation().GetActionId(), Title: t.GetContent(), Status: "not_scheduled"}
		if o := latest[t.GetId()]; o != nil {
			r.Status = strings.ToLower(strings.TrimPrefix(o.GetState().String(), "OCCURRENCE_STATE_"))
			if o.GetOverdue() {
				r.Status += ",overdue"
			}
			if o.GetDueTime() != nil {
				r.DueDate = vntime.DateOf(o.GetDueTime().AsTime()).ISO()
			}
		}
		out = append(out, r)
	}
	return out, nil
}
