package protoconv

import (
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// RemediationToProto returns the remediation link of a task; nil for other tasks.
func RemediationToProto(r *tracking.Remediation) *tasktrackingv1.TaskRemediation {
	if r == nil {
		return nil
	}
	return &tasktrackingv1.TaskRemediation{
		ExplanationId:    r.ExplanationID,
		ActionId:         r.ActionID,
		ExplanationYear:  int32(r.ExplanationYear), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		NodeCode:         r.NodeCode,
		ExplanationTitle: r.ExplanationTitle,
		ExplainedUnitId:  r.ExplainedUnitID,
	}
}
