package postgres

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Subjects of the events PAR scoring publishes (stream PARSCORING).
const (
	// SubjectCriteriaSetCreated carries CriteriaSetCreated.
	SubjectCriteriaSetCreated = "parscoring.v1.criteria_set.created"
)

// criteriaSetCreated is the event payload: the set without its nodes, since a consumer
// that needs the tree asks GetCriteriaSet and events stay small.
func criteriaSetCreated(s methodology.CriteriaSet) *parscoringv1.CriteriaSetCreated {
	return &parscoringv1.CriteriaSetCreated{CriteriaSet: &parscoringv1.CriteriaSet{
		Id:          s.ID,
		Year:        int32(s.Year),
		SubjectKind: s.SubjectKind,
		Name:        s.Name,
		Decision:    s.Decision,
		MaxPoints:   s.MaxPoints.String(),
		CreateTime:  timestamppb.New(s.CreateTime),
	}}
}
