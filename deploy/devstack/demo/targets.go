package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

// demoTarget is one line of data/targets.json: a target of Plan 56/KH-UBND (seed 001,
// section II), with unit codes for named scopes.
type demoTarget struct {
	Code          string   `json:"code"`
	Metric        string   `json:"metric"`
	UnitOfMeasure string   `json:"unit_of_measure"`
	Comparator    string   `json:"comparator"`
	Value         float64  `json:"value"`
	StartYear     int32    `json:"start_year"`
	EndYear       int32    `json:"end_year"`
	Deadline      string   `json:"deadline"`
	ScopeLevel    string   `json:"scope_level"`
	ScopeUnits    []string `json:"scope_units"`
	Text          string   `json:"text"`
}

// LoadTargets sets the targets of Plan 56/KH-UBND, once: a target whose code the plan
// already has is left as it is. It returns how many it created.
func LoadTargets(ctx context.Context, log *slog.Logger, unitIDs map[string]string, taskConn grpc.ClientConnInterface) (int, error) {
	b, err := files.ReadFile("data/targets.json")
	if err != nil {
		return 0, fmt.Errorf("read targets data: %w", err)
	}
	var list []demoTarget
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, fmt.Errorf("parse targets data: %w", err)
	}
	docs, err := tasktrackingv1.NewTaskTrackingServiceClient(taskConn).ListDocuments(ctx, &tasktrackingv1.ListDocumentsRequest{
		Query: "56/KH-UBND", IssuerUnitId: unitIDs["TQ"],
	})
	if err != nil {
		return 0, fmt.Errorf("find plan 56/KH-UBND: %w", err)
	}
	if len(docs.GetDocuments()) != 1 {
		return 0, fmt.Errorf("find plan 56/KH-UBND: %d documents", len(docs.GetDocuments()))
	}
	docID := docs.GetDocuments()[0].GetId()
	targets := tasktrackingv1.NewTargetServiceClient(taskConn)
	created := 0
	for _, d := range list {
		t := &tasktrackingv1.Target{
			DocumentId: docID, Code: d.Code, Metric: d.Metric, UnitOfMeasure: d.UnitOfMeasure,
			Comparator: tasktrackingv1.Comparator(tasktrackingv1.Comparator_value[d.Comparator]), Value: d.Value,
			StartYear: d.StartYear, EndYear: d.EndYear, Deadline: d.Deadline,
			ScopeLevel: tasktrackingv1.ScopeLevel(tasktrackingv1.ScopeLevel_value[d.ScopeLevel]), Text: d.Text,
		}
		for _, code := range d.ScopeUnits {
			id, ok := unitIDs[code]
			if !ok {
				return created, fmt.Errorf("target %s: unknown unit %q", d.Code, code)
			}
			t.ScopeUnitIds = append(t.ScopeUnitIds, id)
		}
		_, err := targets.CreateTarget(ctx, &tasktrackingv1.CreateTargetRequest{Target: t})
		switch status.Code(err) {
		case codes.OK:
			created++
		case codes.AlreadyExists:
		default:
			return created, fmt.Errorf("create target %s: %w", d.Code, err)
		}
	}
	log.InfoContext(ctx, "demo targets loaded", slog.Int("created", created), slog.Int("targets", len(list)))
	return created, nil
}
