package postgres

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/outbox"
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
// this year's, so accountability's Art. 14 trigger needs no call back.
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
	// Maxima are the same for every subject: formatted once.
	maxes, prevMaxes := make([]string, len(snap.Nodes)), make([]string, len(snap.Nodes))
	for i, n := range snap.Nodes {
		maxes[i], prevMaxes[i] = results.Format(n.MaxPoints), results.Format(snap.PrevNodeMax(i))
	}
	for _, sub := range snap.Subjects {
		if sub.UnitID == "" {
			continue
		}
		head.SubjectUnitIds = append(head.SubjectUnitIds, sub.UnitID)
		ev := &parscoringv1.SubjectResultPublished{
			SnapshotId: snap.ID, Year: int32(snap.Year), SubjectKind: snap.SubjectKind, CriteriaSetId: snap.CriteriaSetID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			Source: source, Decision: snap.Decision, PublishTime: published, UnitId: sub.UnitID,
			Total: results.Format(sub.Total), MaxPoints: results.Format(snap.MaxPoints),
			IndexPercent: results.Format(results.IndexPercent(sub.Total, snap.MaxPoints)),
			Rank:         int32(sub.Rank), RankOf: int32(sub.RankOf), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			PreviousTotal: results.Format(sub.PrevTotal), PreviousRank: int32(sub.PrevRank), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			PeerGroup: sub.PeerGroup, Grade: sub.Grade,
			Version: version, SupersedesSnapshotId: snap.SupersedesID, CorrectionReason: snap.CorrectionReason,
			Nodes: make([]*parscoringv1.NodeResult, len(snap.Nodes)),
		}
		for i, n := range snap.Nodes {
			score, prevScore := sub.Scores[i], sub.PrevScores[i]
			// Names stay out: consumers have the criteria set, and ten thousand subjects ×
			// every node's name would double what a publication writes to the outbox.
			ev.Nodes[i] = &parscoringv1.NodeResult{
				Code: n.Code, ParentCode: n.ParentCode,
				Score: results.Format(score), MaxPoints: maxes[i],
				PreviousScore: results.Format(prevScore), PreviousMaxPoints: prevMaxes[i],
				Bonus: n.Bonus, Rank: sub.Ranks[i], PreviousRank: sub.PrevRanks[i],
				Fell:        score != results.NoScore && prevScore != results.NoScore && score < prevScore,
				ScoreChange: results.Format(results.Change(score, prevScore)),
				RankChange:  int32(results.RankChange(int(sub.Ranks[i]), int(sub.PrevRanks[i]))), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			}
		}
		events = append(events, outbox.Event{Subject: SubjectSubjectResultPublished, Msg: ev})
	}
	return events
}
