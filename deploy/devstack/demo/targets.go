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

// demoTarget is one line of data/targets.json: a target of a demo document — Plan
// 56/KH-UBND of Tuyên Quang (seed 001, section II), Directive 18/CT-UBND of Thanh Hóa (seed
// 000) or Letter 7761/UBND-HC of Đồng Nai (seed 004) — named by its number and issuer's unit
// code, with unit codes for named scopes.
type demoTarget struct {
	Document      string   `json:"document"`
	Issuer        string   `json:"issuer"`
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

// LoadTargets sets the targets of the demo documents, once: a target whose code its document
// already has is left as it is. It returns how many it created. The documents must be
// loaded already (Load).
func LoadTargets(ctx context.Context, log *slog.Logger, unitIDs map[string]string, taskConn grpc.ClientConnInterface) (int, error) {
	b, err := files.ReadFile("data/targets.json")
	if err != nil {
		return 0, fmt.Errorf("read targets data: %w", err)
	}
	var list []demoTarget
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, fmt.Errorf("parse targets data: %w", err)
	}
	tasks := tasktrackingv1.NewTaskTrackingServiceClient(taskConn)
	docIDs := map[string]string{} // number and issuer code → document id
	documentID := func(number, issuer string) (string, error) {
		key := number + "\x00" + issuer
		if id, ok := docIDs[key]; ok {
			return id, nil
		}
		docs, err := tasks.ListDocuments(ctx, &tasktrackingv1.ListDocumentsRequest{Query: number, IssuerUnitId: unitIDs[issuer]})
		if err != nil {
			return "", fmt.Errorf("find document %s of %s: %w", number, issuer, err)
		}
		// The query matches text, so a number may also appear in another document's title.
		for _, d := range docs.GetDocuments() {
			if d.GetNumber() == number {
				docIDs[key] = d.GetId()
				return d.GetId(), nil
			}
		}
		return "", fmt.Errorf("find document %s of %s: not loaded", number, issuer)
	}
	targets := tasktrackingv1.NewTargetServiceClient(taskConn)
	created := 0
	for _, d := range list {
		if _, ok := unitIDs[d.Issuer]; !ok {
			return created, fmt.Errorf("target %s of %s: unknown issuer %q", d.Code, d.Document, d.Issuer)
		}
		docID, err := documentID(d.Document, d.Issuer)
		if err != nil {
			return created, err
		}
		t := &tasktrackingv1.Target{
			DocumentId: docID, Code: d.Code, Metric: d.Metric, UnitOfMeasure: d.UnitOfMeasure,
			Comparator: tasktrackingv1.Comparator(tasktrackingv1.Comparator_value[d.Comparator]), Value: d.Value,
			StartYear: d.StartYear, EndYear: d.EndYear, Deadline: d.Deadline,
			ScopeLevel: tasktrackingv1.ScopeLevel(tasktrackingv1.ScopeLevel_value[d.ScopeLevel]), Text: d.Text,
		}
		for _, code := range d.ScopeUnits {
			id, ok := unitIDs[code]
			if !ok {
				return created, fmt.Errorf("target %s of %s: unknown unit %q", d.Code, d.Document, code)
			}
			t.ScopeUnitIds = append(t.ScopeUnitIds, id)
		}
		_, err = targets.CreateTarget(ctx, &tasktrackingv1.CreateTargetRequest{Target: t})
		switch status.Code(err) {
		case codes.OK:
			created++
		case codes.AlreadyExists:
		default:
			return created, fmt.Errorf("create target %s of %s: %w", d.Code, d.Document, err)
		}
	}
	log.InfoContext(ctx, "demo targets loaded", slog.Int("created", created), slog.Int("targets", len(list)))
	return created, nil
}
