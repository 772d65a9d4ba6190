package grpcapi

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// matrixFromProto reads a PutResponsibilityMatrix request. Field names in the domain's
// violations match the request's (entries[i].owner_unit_id …).
func matrixFromProto(req *accountabilityv1.PutResponsibilityMatrixRequest) responsibility.Matrix {
	m := responsibility.Matrix{
		ProvinceUnitID: req.GetProvinceUnitId(),
		Year:           int(req.GetYear()),
		UnitsOwnIndex:  req.GetUnitsOwnIndex(),
		Entries:        make([]responsibility.Entry, len(req.GetEntries())),
	}
	for i, e := range req.GetEntries() {
		m.Entries[i] = responsibility.Entry{
			NodeCode:           e.GetNodeCode(),
			OwnerUnitID:        e.GetOwnerUnitId(),
			CooperatingUnitIDs: e.GetCooperatingUnitIds(),
			LegalBasis:         e.GetLegalBasis(),
		}
	}
	return m
}

func matrixToProto(m responsibility.Matrix) *accountabilityv1.ResponsibilityMatrix {
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
	return pb
}
