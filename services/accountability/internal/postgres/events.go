package postgres

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
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
		Year:           int32(m.Year),
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
