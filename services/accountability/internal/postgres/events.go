package postgres

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// Subjects of the events accountability publishes (stream ACCOUNTABILITY).
const (
	// SubjectMatrixChanged carries ResponsibilityMatrixChanged.
	SubjectMatrixChanged = "accountability.v1.matrix.changed"
)

// matrixChanged is the event payload: the whole matrix after the change, so a consumer
// can replace its copy without calling back.
func matrixChanged(m responsibility.Matrix) *accountabilityv1.ResponsibilityMatrixChanged {
	pb := &accountabilityv1.ResponsibilityMatrix{
		ProvinceUnitId: m.ProvinceUnitID,
		Year:           int32(m.Year), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		UnitsOwnIndex:  m.UnitsOwnIndex,
		Entries:        make([]*accountabilityv1.ResponsibilityEntry, len(m.Entries)),
		UpdateTime:     timestamppb.New(m.UpdateTime),
	}
	for i, e := range m.Entries {
		pb.Entries[i] = &accountabilityv1.ResponsibilityEntry{
			NodeCode:           e.NodeCode,
			OwnerUnitId:        e.OwnerUnitID,
			CooperatingUnitIds: e.CooperatingUnitIDs,
			LegalBasis:         e.LegalBasis,
		}
	}
	return &accountabilityv1.ResponsibilityMatrixChanged{Matrix: pb}
}

// Subjects of explanation events (stream ACCOUNTABILITY).
const (
	SubjectExplanationRequested = "accountability.v1.explanation.requested"
	SubjectExplanationSubmitted = "accountability.v1.explanation.submitted"
	SubjectExplanationReturned  = "accountability.v1.explanation.returned"
	SubjectExplanationOverdue   = "accountability.v1.explanation.overdue"
	SubjectExplanationConcluded = "accountability.v1.explanation.concluded"
	SubjectRoadmapCommitted     = "accountability.v1.roadmap.committed"
)

type event struct {
	subject string
	msg     proto.Message
}

// explanationRef is what every explanation event carries.
func explanationRef(e explanation.Explanation) *accountabilityv1.ExplanationRef {
	return &accountabilityv1.ExplanationRef{
		Id: e.ID, Year: int32(e.Year), NodeCode: e.NodeCode, Title: e.Title, UnitId: e.UnitID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		HeadUserId: e.HeadUserID, HeadName: e.HeadName, CooperatingUnitIds: e.CooperatingUnitIDs, DueDate: e.DueDate,
		IndexUnitId: e.IndexUnitID, IndexKind: e.IndexKind,
	}
}

// explanationEvents are the events a change records: its own, and on conclusion the
// roadmap of the owning unit and of the cooperating units' parts (Art. 16.4) for task
// tracking.
func explanationEvents(e explanation.Explanation, c app.Change) []event {
	ref := explanationRef(e)
	switch c.Event {
	case app.EventRequested:
		return []event{{SubjectExplanationRequested, &accountabilityv1.ExplanationRequested{Explanation: ref, Reason: e.Reason}}}
	case app.EventSubmitted:
		return []event{{SubjectExplanationSubmitted, &accountabilityv1.ExplanationSubmitted{Explanation: ref}}}
	case app.EventReturned:
		return []event{{SubjectExplanationReturned, &accountabilityv1.ExplanationReturned{Explanation: ref, Comment: e.ReviewComment}}}
	case app.EventOverdue:
		return []event{{SubjectExplanationOverdue, &accountabilityv1.ExplanationOverdue{Explanation: ref}}}
	case app.EventConcluded:
		causes := map[string]string{}
		for _, dc := range e.DeterminedCauses {
			causes[dc.NodeCode] = string(dc.Cause)
		}
		out := []event{{SubjectExplanationConcluded, &accountabilityv1.ExplanationConcluded{Explanation: ref, DeterminedCauses: causes}}}
		actions := append([]explanation.Action(nil), e.Content.Roadmap...)
		for _, p := range e.Parts {
			actions = append(actions, p.Content.Roadmap...)
		}
		if len(actions) > 0 {
			rc := &accountabilityv1.RoadmapCommitted{Explanation: ref, AssigningUnitId: c.AssigningUnitID}
			for _, a := range actions {
				rc.Actions = append(rc.Actions, RoadmapActionToProto(a))
			}
			out = append(out, event{SubjectRoadmapCommitted, rc})
		}
		return out
	}
	return nil
}

// RoadmapActionToProto maps a roadmap action to its message.
func RoadmapActionToProto(a explanation.Action) *accountabilityv1.RoadmapAction {
	return &accountabilityv1.RoadmapAction{
		Id: a.ID, Content: a.Content, OwnerUnitId: a.OwnerUnitID, CooperatingUnitIds: a.CooperatingUnitIDs,
		DueDate: a.DueDate, CriteriaCodes: a.CriteriaCodes, ExpectedProduct: a.ExpectedProduct,
	}
}
