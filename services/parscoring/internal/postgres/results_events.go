package postgres

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// Subjects of the results events (stream PARSCORING).
const (
	// SubjectResultsPublished carries ResultsPublished.
	SubjectResultsPublished = "parscoring.v1.results.published"
	// SubjectSubjectResultPublished carries SubjectResultPublished.
	SubjectSubjectResultPublished = "parscoring.v1.subject_result.published"
	// SubjectResultsCorrected carries ResultsCorrected.
	SubjectResultsCorrected = "parscoring.v1.results.corrected"
)

func sourceToProto(s results.Source) parscoringv1.ResultSource {
	if s == results.SourceImported {
		return parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED
	}
	return parscoringv1.ResultSource_RESULT_SOURCE_APPRAISED
}

// resultEvents is ResultsPublished followed by one SubjectResultPublished per unit of the
// snapshot (subjects kept only for rank context have no unit and no event), preceded by
// ResultsCorrected for a correction. Each carries every node with last year's figures beside
// this year's, so accountability's Art. 14 trigger needs no call back: as NodeFigures
// columns of hundredths, whose encoding costs a tenth of one NodeResult of decimal strings
// per node (a 10,000-unit publication spent more on its events than on its snapshot).
func resultEvents(snap *results.Snapshot) []outbox.Event {
	published := timestamppb.New(snap.PublishTime)
	source := sourceToProto(snap.Source)
	version := int32(max(snap.Version, 1)) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	head := &parscoringv1.ResultsPublished{
		SnapshotId: snap.ID, Year: int32(snap.Year), SubjectKind: snap.SubjectKind, CriteriaSetId: snap.CriteriaSetID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Source: source, Decision: snap.Decision, PublishTime: published,
		Version: version, SupersedesSnapshotId: snap.SupersedesID, CorrectionReason: snap.CorrectionReason,
	}
	events := make([]outbox.Event, 0, len(snap.Subjects)+2)
	if snap.SupersedesID != "" {
		events = append(events, outbox.Event{Subject: SubjectResultsCorrected, Msg: &parscoringv1.ResultsCorrected{
			SnapshotId: snap.ID, SupersededSnapshotId: snap.SupersedesID, Year: int32(snap.Year), SubjectKind: snap.SubjectKind, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			Version: version, Reason: snap.CorrectionReason, CorrectedBy: snap.CorrectedBy, CorrectTime: published,
			CorrectedUnitIds: snap.CorrectedUnits,
		}})
	}
	events = append(events, outbox.Event{Subject: SubjectResultsPublished, Msg: head})
	// The node columns are the same for every subject: built once and shared by the events
	// (marshalling only reads them).
	n := len(snap.Nodes)
	codes, parents, bonus := make([]string, n), make([]string, n), make([]bool, n)
	maxes, prevMaxes := make([]methodology.Points, n), make([]methodology.Points, n)
	for i, node := range snap.Nodes {
		codes[i], parents[i], bonus[i] = node.Code, node.ParentCode, node.Bonus
		maxes[i], prevMaxes[i] = knownMax(node.MaxPoints), knownMax(snap.PrevNodeMax(i))
	}
	maxCol, prevMaxCol := pointsColumn(maxes), pointsColumn(prevMaxes)
	maxPoints := results.Format(snap.MaxPoints)
	for _, sub := range snap.Subjects {
		if sub.UnitID == "" {
			continue
		}
		head.SubjectUnitIds = append(head.SubjectUnitIds, sub.UnitID)
		ev := &parscoringv1.SubjectResultPublished{
			SnapshotId: snap.ID, Year: int32(snap.Year), SubjectKind: snap.SubjectKind, CriteriaSetId: snap.CriteriaSetID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			Source: source, Decision: snap.Decision, PublishTime: published, UnitId: sub.UnitID,
			Total: results.Format(sub.Total), MaxPoints: maxPoints,
			IndexPercent: results.Format(results.IndexPercent(sub.Total, snap.MaxPoints)),
			Rank:         int32(sub.Rank), RankOf: int32(sub.RankOf), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			PreviousTotal: results.Format(sub.PrevTotal), PreviousRank: int32(sub.PrevRank), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			PeerGroup: sub.PeerGroup, Grade: sub.Grade,
			Version: version, SupersedesSnapshotId: snap.SupersedesID, CorrectionReason: snap.CorrectionReason,
			NodeFigures: &parscoringv1.NodeFigures{
				Codes: codes, ParentCodes: parents, Bonus: bonus, MaxPoints: maxCol,
				Scores: pointsColumn(sub.Scores), Ranks: sub.Ranks,
				PreviousMaxPoints: prevMaxCol, PreviousScores: pointsColumn(sub.PrevScores), PreviousRanks: ranksColumn(sub.PrevRanks),
			},
		}
		events = append(events, outbox.Event{Subject: SubjectSubjectResultPublished, Msg: ev})
	}
	return events
}

// noFigure is NodeFigures' marker of a node without a figure.
const noFigure = int64(parscoringv1.NodeFigures_MARKER_NO_FIGURE)

// pointsColumn is a NodeFigures points column: hundredths, NoScore as the marker; nil when
// no node has a figure (e.g. last year's of a unit scored for the first time).
func pointsColumn(p []methodology.Points) []int64 {
	out, figures := make([]int64, len(p)), false
	for i, v := range p {
		if v == results.NoScore {
			out[i] = noFigure
			continue
		}
		out[i], figures = int64(v), true
	}
	if !figures {
		return nil
	}
	return out
}

// knownMax is a node's maximum for NodeFigures, NoScore when it is not known. A criteria
// set gives every node a non-zero maximum (negative for a penalty) except where the maximum
// is unknown (an incomplete set, such as QĐ 876's fields whose maxima were not published,
// used for imported results): sending that 0 would tell a consumer that any score is at the
// maximum (002 Art. 17.1.a: "excellent" when an owned item is at its maximum).
func knownMax(p methodology.Points) methodology.Points {
	if p == 0 {
		return results.NoScore
	}
	return p
}

// ranksColumn is a NodeFigures ranks column: nil when no node is ranked.
func ranksColumn(r []int32) []int32 {
	for _, v := range r {
		if v != 0 {
			return r
		}
	}
	return nil
}
