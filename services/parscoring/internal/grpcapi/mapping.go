package grpcapi

import (
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// pointSources maps the API enum to the domain; UNSPECIFIED becomes "" so the domain
// applies its default.
var pointSources = map[parscoringv1.PointSource]methodology.PointSource{
	parscoringv1.PointSource_POINT_SOURCE_UNSPECIFIED: "",
	parscoringv1.PointSource_POINT_SOURCE_APPRAISED:   methodology.SourceAppraised,
	parscoringv1.PointSource_POINT_SOURCE_SURVEY:      methodology.SourceSurvey,
	parscoringv1.PointSource_POINT_SOURCE_IMPORTED:    methodology.SourceImported,
}

func pointSourceToProto(s methodology.PointSource) parscoringv1.PointSource {
	switch s {
	case methodology.SourceAppraised:
		return parscoringv1.PointSource_POINT_SOURCE_APPRAISED
	case methodology.SourceSurvey:
		return parscoringv1.PointSource_POINT_SOURCE_SURVEY
	case methodology.SourceImported:
		return parscoringv1.PointSource_POINT_SOURCE_IMPORTED
	default:
		return parscoringv1.PointSource_POINT_SOURCE_UNSPECIFIED
	}
}

// criteriaSetFromProto reads a set to create. Text is brought to NFC so that names typed
// with combining diacritics compare and sort like precomposed ones. Points that do not
// parse are reported as methodology.ValidationErrors with field paths relative to the set,
// like the domain's own; the interceptor's protovalidate pattern normally catches them
// first.
func criteriaSetFromProto(m *parscoringv1.CriteriaSet) (methodology.CriteriaSet, error) {
	var bad methodology.ValidationErrors
	parse := func(field, s string) methodology.Points {
		p, err := methodology.ParsePoints(s)
		if err != nil {
			bad = append(bad, methodology.ValidationError{Field: field, Reason: methodology.ErrBadPoints.Error()})
		}
		return p
	}
	s := methodology.CriteriaSet{
		Year:        int(m.GetYear()),
		SubjectKind: vntext.NFC(m.GetSubjectKind()),
		Name:        vntext.NFC(m.GetName()),
		Decision:    vntext.NFC(m.GetDecision()),
		Note:        vntext.NFC(m.GetNote()),
		MaxPoints:   parse("max_points", m.GetMaxPoints()),
		Nodes:       make([]methodology.Node, len(m.GetNodes())),
	}
	for i, n := range m.GetNodes() {
		src, ok := pointSources[n.GetPointSource()]
		if !ok {
			// Not a value of this API version: let the domain reject it by name.
			src = methodology.PointSource(n.GetPointSource().String())
		}
		var maxPoints methodology.Points
		// An incomplete node may leave its maximum out: it is not known.
		if !n.GetIncomplete() || n.GetMaxPoints() != "" {
			maxPoints = parse(fmt.Sprintf("nodes[%d].max_points", i), n.GetMaxPoints())
		}
		s.Nodes[i] = methodology.Node{
			Code:             n.GetCode(),
			ParentCode:       n.GetParentCode(),
			Name:             vntext.NFC(n.GetName()),
			MaxPoints:        maxPoints,
			Incomplete:       n.GetIncomplete(),
			Note:             vntext.NFC(n.GetNote()),
			Guidance:         vntext.NFC(n.GetGuidance()),
			RequiredEvidence: vntext.NFC(n.GetRequiredEvidence()),
			PointSource:      src,
			Bonus:            n.GetBonus(),
			MaxNotSum:        n.GetMaxNotSum(),
			Position:         int(n.GetPosition()),
		}
	}
	if len(bad) > 0 {
		return methodology.CriteriaSet{}, bad
	}
	return s, nil
}

// criteriaSetToProto writes a set; withNodes is false for lists, which leave the tree out.
func criteriaSetToProto(s methodology.CriteriaSet, withNodes bool) *parscoringv1.CriteriaSet {
	m := &parscoringv1.CriteriaSet{
		Id:          s.ID,
		Year:        int32(s.Year), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		SubjectKind: s.SubjectKind,
		Name:        s.Name,
		Decision:    s.Decision,
		MaxPoints:   s.MaxPoints.String(),
		CreateTime:  timestamppb.New(s.CreateTime),
		Note:        s.Note,
	}
	// Lists carry the nodes too (without sending them) so that every set says whether it
	// can be scored against.
	st := s.Status()
	m.Incomplete, m.Valid, m.Complete, m.Problems = s.Incomplete(), st.Valid(), st.Complete(), st.Messages()
	if !withNodes {
		return m
	}
	m.Nodes = make([]*parscoringv1.CriteriaNode, len(s.Nodes))
	for i, n := range s.Nodes {
		maxPoints := n.MaxPoints.String()
		if n.Incomplete && n.MaxPoints == 0 {
			maxPoints = "" // not known
		}
		m.Nodes[i] = &parscoringv1.CriteriaNode{
			Code:             n.Code,
			ParentCode:       n.ParentCode,
			Name:             n.Name,
			MaxPoints:        maxPoints,
			Incomplete:       n.Incomplete,
			Note:             n.Note,
			Guidance:         n.Guidance,
			RequiredEvidence: n.RequiredEvidence,
			PointSource:      pointSourceToProto(n.PointSource),
			Bonus:            n.Bonus,
			MaxNotSum:        n.MaxNotSum,
			Position:         int32(n.Position), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
	}
	return m
}
