package server_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

// fakeTasks is the task tracking peer: one remediation task per explanation it was asked
// about, in progress, recording the explanation ids asked for.
type fakeTasks struct {
	tasktrackingv1.UnimplementedTaskTrackingServiceServer
	mu    sync.Mutex
	asked []string
}

func (f *fakeTasks) ListTasks(_ context.Context, req *tasktrackingv1.ListTasksRequest) (*tasktrackingv1.ListTasksResponse, error) {
	f.mu.Lock()
	f.asked = append(f.asked, req.GetExplanationId())
	f.mu.Unlock()
	return &tasktrackingv1.ListTasksResponse{Tasks: []*tasktrackingv1.Task{{
		Id: "task-1", Content: "Rút ngắn thời gian giải quyết hồ sơ đầu tư",
		Remediation: &tasktrackingv1.TaskRemediation{ExplanationId: req.GetExplanationId(), ActionId: "action-1"},
	}}}, nil
}

func (f *fakeTasks) ListOccurrences(_ context.Context, req *tasktrackingv1.ListOccurrencesRequest) (*tasktrackingv1.ListOccurrencesResponse, error) {
	return &tasktrackingv1.ListOccurrencesResponse{Occurrences: []*tasktrackingv1.Occurrence{{
		TaskId: "task-1", State: tasktrackingv1.OccurrenceState_OCCURRENCE_STATE_IN_PROGRESS,
		DueTime: timestamppb.New(time.Date(2025, 12, 31, 16, 59, 59, 0, time.UTC)),
	}}}, nil
}

func startTasks(t *testing.T, f *fakeTasks) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	tasktrackingv1.RegisterTaskTrackingServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}
