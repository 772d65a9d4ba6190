package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/assessment"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// PublicResultsMethods are the ResultsService methods callable without a token: the portal
// shows published results to anyone (issue 4 item 8). Every other method authenticates.
var PublicResultsMethods = map[string]bool{
	parscoringv1.ResultsService_GetPublishedScorecard_FullMethodName: true,
	parscoringv1.ResultsService_ListPublishedRankings_FullMethodName: true,
}

// ResultsServer implements parscoringv1.ResultsServiceServer.
type ResultsServer struct {
	parscoringv1.UnimplementedResultsServiceServer
	res *app.Results
	log *slog.Logger
}

// NewResults returns a ResultsServer on the results use cases.
func NewResults(res *app.Results, log *slog.Logger) *ResultsServer {
	return &ResultsServer{res: res, log: log}
}

// status extends toStatus with the results domain's errors.
func (s *ResultsServer) status(ctx context.Context, err error, prefix string) error {
	switch {
	case errors.Is(err, results.ErrNotFound):
		return status.Error(codes.NotFound, results.ErrNotFound.Error())
	case errors.Is(err, results.ErrAlreadyPublished):
		return status.Error(codes.FailedPrecondition, results.ErrAlreadyPublished.Error())
	case errors.Is(err, results.ErrSuperseded):
		return status.Error(codes.FailedPrecondition, results.ErrSuperseded.Error())
	case errors.Is(err, results.ErrNotCorrectable):
		return status.Error(codes.FailedPrecondition, results.ErrNotCorrectable.Error())
	case errors.Is(err, app.ErrRoundNotFinalised):
		return status.Error(codes.FailedPrecondition, app.ErrRoundNotFinalised.Error())
	case errors.Is(err, assessment.ErrRoundNotFound):
		return status.Error(codes.NotFound, assessment.ErrRoundNotFound.Error())
	}
	return toStatus(ctx, s.log, err, prefix)
}

// readsAnyUnit are the roles that read every unit's results; a unit's own staff and head
// read their own unit's.
var readsAnyUnit = []string{auth.RoleSecretariat, auth.RoleAppraiser, auth.RoleLeadership, auth.RoleService}

// authorizeUnit lets province-wide roles read any unit, and a unit's people their own.
// Another unit's results are NotFound, worded as for a unit with no results, so that the
// answer does not tell whether that unit was scored (the platform's rule for another unit's
// objects); the public routes are where anyone reads published figures.
func authorizeUnit(ctx context.Context, unitID string) error {
	p, err := authorize(ctx)
	if err != nil {
		return err
	}
	if p.HasRole(readsAnyUnit...) || (p.UnitID != "" && strings.EqualFold(p.UnitID, unitID)) {
		return nil
	}
	return fmt.Errorf("results of unit %s for a caller of unit %q: %w", unitID, p.UnitID, results.ErrNotFound)
}

// PublishResults computes and freezes results. Secretariat (or a service on its behalf) only.
func (s *ResultsServer) PublishResults(ctx context.Context, req *parscoringv1.PublishResultsRequest) (*parscoringv1.PublishResultsResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, s.status(ctx, err, "")
	}
	cmd, err := publishFromProto(req)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	snap, err := s.res.Publish(ctx, cmd)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.PublishResultsResponse{Snapshot: snapshotToProto(snap)}, nil
}

// PublishRoundResults publishes a round from its finalised scores. Secretariat only.
func (s *ResultsServer) PublishRoundResults(ctx context.Context, req *parscoringv1.PublishRoundResultsRequest) (*parscoringv1.PublishRoundResultsResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, s.status(ctx, err, "")
	}
	grades, err := gradesFromProto(req.GetGradeThresholds())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	snap, err := s.res.PublishRound(ctx, strings.ToLower(req.GetRoundId()), vntext.NFC(req.GetDecision()), grades)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.PublishRoundResultsResponse{Snapshot: snapshotToProto(snap)}, nil
}

func publishFromProto(req *parscoringv1.PublishResultsRequest) (app.PublishCommand, error) {
	var bad methodology.ValidationErrors
	cmd := app.PublishCommand{Year: int(req.GetYear()), CriteriaSetID: req.GetCriteriaSetId(), Decision: vntext.NFC(req.GetDecision())}
	var err error
	if cmd.Grades, err = gradesFromProto(req.GetGradeThresholds()); err != nil {
		bad = append(bad, err.(methodology.ValidationErrors)...)
	}
	cmd.Subjects = make([]results.SubjectInput, len(req.GetSubjects()))
	for k, sub := range req.GetSubjects() {
		in := results.SubjectInput{UnitID: strings.ToLower(sub.GetUnitId()), Name: vntext.NFC(sub.GetName()), PeerGroup: sub.GetPeerGroup()}
		in.Scores, bad = itemScoresFromProto(k, sub.GetScores(), bad)
		cmd.Subjects[k] = in
	}
	if len(bad) > 0 {
		return cmd, bad
	}
	return cmd, nil
}

// itemScoresFromProto reads the scores of subjects[k], adding a problem to bad for each
// score that is not points with two decimals.
func itemScoresFromProto(k int, in []*parscoringv1.ItemScore, bad methodology.ValidationErrors) ([]results.ItemScore, methodology.ValidationErrors) {
	out := make([]results.ItemScore, len(in))
	for j, sc := range in {
		p, err := methodology.ParsePoints(sc.GetScore())
		if err != nil {
			bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("subjects[%d].scores[%d].score", k, j), Reason: methodology.ErrBadPoints.Error()})
		}
		out[j] = results.ItemScore{Code: sc.GetCode(), Score: p}
	}
	return out, bad
}

// gradesFromProto reads thresholds, highest first; they must strictly decrease.
func gradesFromProto(ts []*parscoringv1.GradeThreshold) ([]results.Grade, error) {
	var bad methodology.ValidationErrors
	grades := make([]results.Grade, len(ts))
	for i, t := range ts {
		p, err := methodology.ParsePoints(t.GetMinPercent())
		if err != nil || p < 0 || p > 10000 {
			bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("grade_thresholds[%d].min_percent", i), Reason: "ngưỡng phải từ 0 đến 100"})
			continue
		}
		if i > 0 && p >= methodology.Points(grades[i-1].MinPercent) {
			bad = append(bad, methodology.ValidationError{Field: fmt.Sprintf("grade_thresholds[%d].min_percent", i), Reason: "các ngưỡng phải giảm dần, nhóm cao nhất trước"})
		}
		grades[i] = results.Grade{Label: vntext.NFC(t.GetGrade()), MinPercent: int64(p)}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return grades, nil
}

// CorrectResults publishes a correction of a computed snapshot as a new version that
// supersedes it. Secretariat (or a service on its behalf) only.
func (s *ResultsServer) CorrectResults(ctx context.Context, req *parscoringv1.CorrectResultsRequest) (*parscoringv1.CorrectResultsResponse, error) {
	p, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	c := results.Correction{Reason: vntext.NFC(req.GetReason()), Actor: actor(p), Decision: vntext.NFC(strings.TrimSpace(req.GetDecision()))}
	var bad methodology.ValidationErrors
	if c.Grades, err = gradesFromProto(req.GetGradeThresholds()); err != nil {
		bad = append(bad, err.(methodology.ValidationErrors)...)
	}
	c.Subjects = make([]results.CorrectedSubject, len(req.GetSubjects()))
	for k, sub := range req.GetSubjects() {
		cs := results.CorrectedSubject{UnitID: strings.ToLower(sub.GetUnitId())}
		cs.Scores, bad = itemScoresFromProto(k, sub.GetScores(), bad)
		c.Subjects[k] = cs
	}
	if len(bad) > 0 {
		return nil, s.status(ctx, bad, "")
	}
	snap, err := s.res.Correct(ctx, strings.ToLower(req.GetSnapshotId()), c)
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.CorrectResultsResponse{Snapshot: snapshotToProto(snap)}, nil
}

// ImportResults imports results published by another body. Secretariat (or a service) only.
// Problems of the file come back in the response (nothing stored), not as an error, so a
// dry run and a failed real import read alike.
func (s *ResultsServer) ImportResults(ctx context.Context, req *parscoringv1.ImportResultsRequest) (*parscoringv1.ImportResultsResponse, error) {
	if _, err := authorize(ctx, auth.RoleSecretariat, auth.RoleService); err != nil {
		return nil, s.status(ctx, err, "")
	}
	format := app.FormatCSV
	if req.GetFormat() == parscoringv1.FileFormat_FILE_FORMAT_XLSX {
		format = app.FormatXLSX
	}
	out, err := s.res.Import(ctx, app.ImportCommand{
		Year: int(req.GetYear()), CriteriaSetID: req.GetCriteriaSetId(), Decision: vntext.NFC(req.GetDecision()),
		UnitID: strings.ToLower(req.GetUnitId()), SubjectCode: vntext.NFC(strings.TrimSpace(req.GetSubjectCode())),
		Format: format, Content: req.GetContent(), DryRun: req.GetDryRun(),
	})
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	res := &parscoringv1.ImportResultsResponse{RowCount: int32(out.Rows), Snapshot: snapshotToProto(out.Snapshot)} // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	for _, p := range out.Problems {
		res.Problems = append(res.Problems, &parscoringv1.ImportProblem{Row: int32(p.Row), Column: p.Column, Message: p.Message}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	return res, nil
}

// ListResultSnapshots lists published snapshots to any authenticated caller.
func (s *ResultsServer) ListResultSnapshots(ctx context.Context, req *parscoringv1.ListResultSnapshotsRequest) (*parscoringv1.ListResultSnapshotsResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, s.status(ctx, err, "")
	}
	snaps, err := s.res.ListSnapshots(ctx, int(req.GetYear()), req.GetSubjectKind(), req.GetIncludeSuperseded())
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.ListResultSnapshotsResponse{}
	for _, snap := range snaps {
		out.Snapshots = append(out.Snapshots, snapshotToProto(snap))
	}
	return out, nil
}

// GetScorecard returns a unit's scorecard to the unit itself and province-wide roles.
func (s *ResultsServer) GetScorecard(ctx context.Context, req *parscoringv1.GetScorecardRequest) (*parscoringv1.GetScorecardResponse, error) {
	if err := authorizeUnit(ctx, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	var (
		ur  app.UnitResult
		err error
	)
	if id := req.GetSnapshotId(); id != "" {
		ur, err = s.res.ScorecardIn(ctx, strings.ToLower(id), strings.ToLower(req.GetUnitId()), int(req.GetYear()))
	} else {
		ur, err = s.res.Scorecard(ctx, strings.ToLower(req.GetUnitId()), int(req.GetYear()))
	}
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.GetScorecardResponse{Scorecard: scorecardToProto(ur)}, nil
}

// GetPublishedScorecard is GetScorecard for anyone, without a token: every stored result is
// published.
func (s *ResultsServer) GetPublishedScorecard(ctx context.Context, req *parscoringv1.GetPublishedScorecardRequest) (*parscoringv1.GetPublishedScorecardResponse, error) {
	ur, err := s.res.Scorecard(ctx, strings.ToLower(req.GetUnitId()), int(req.GetYear()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.GetPublishedScorecardResponse{Scorecard: scorecardToProto(ur)}, nil
}

// ListRankings ranks a snapshot's subjects to any authenticated caller.
func (s *ResultsServer) ListRankings(ctx context.Context, req *parscoringv1.ListRankingsRequest) (*parscoringv1.ListRankingsResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, s.status(ctx, err, "")
	}
	rk, err := s.res.Rankings(ctx, app.RankingQuery{Year: int(req.GetYear()), SubjectKind: req.GetSubjectKind(), PeerGroup: req.GetPeerGroup(), NodeCode: req.GetNodeCode()})
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.ListRankingsResponse{Snapshot: snapshotToProto(rk.Snapshot), Entries: entriesToProto(rk.Snapshot, rk.Entries)}, nil
}

// ListPublishedRankings is ListRankings for anyone, without a token.
func (s *ResultsServer) ListPublishedRankings(ctx context.Context, req *parscoringv1.ListPublishedRankingsRequest) (*parscoringv1.ListPublishedRankingsResponse, error) {
	rk, err := s.res.Rankings(ctx, app.RankingQuery{Year: int(req.GetYear()), SubjectKind: req.GetSubjectKind(), PeerGroup: req.GetPeerGroup(), NodeCode: req.GetNodeCode()})
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.ListPublishedRankingsResponse{Snapshot: snapshotToProto(rk.Snapshot), Entries: entriesToProto(rk.Snapshot, rk.Entries)}, nil
}

// GetHistory returns a unit's series across years to the unit itself and province-wide roles.
func (s *ResultsServer) GetHistory(ctx context.Context, req *parscoringv1.GetHistoryRequest) (*parscoringv1.GetHistoryResponse, error) {
	if err := authorizeUnit(ctx, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	rs, err := s.res.History(ctx, strings.ToLower(req.GetUnitId()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	out := &parscoringv1.GetHistoryResponse{}
	for _, ur := range rs {
		e := app.Entry{Subject: ur.Subject, Node: -1}
		max := ur.Snapshot.MaxPoints
		if req.GetNodeCode() != "" {
			if e.Node = ur.Snapshot.NodeIndex(req.GetNodeCode()); e.Node < 0 {
				continue // the node did not exist that year
			}
			max = ur.Snapshot.Nodes[e.Node].MaxPoints
		}
		out.Points = append(out.Points, &parscoringv1.HistoryPoint{
			Year: int32(ur.Snapshot.Year), SnapshotId: ur.Snapshot.ID, Score: results.Format(e.Score()), MaxPoints: max.String(), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			IndexPercent: results.Format(results.IndexPercent(e.Score(), max)), Rank: int32(e.Rank()), RankOf: int32(ur.Subject.RankOf), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			Source: sourceToProto(ur.Snapshot.Source),
		})
	}
	return out, nil
}

// GetGapAnalysis lists a unit's items below maximum and below the peer mean.
func (s *ResultsServer) GetGapAnalysis(ctx context.Context, req *parscoringv1.GetGapAnalysisRequest) (*parscoringv1.GetGapAnalysisResponse, error) {
	if err := authorizeUnit(ctx, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	ga, err := s.res.GapAnalysis(ctx, strings.ToLower(req.GetUnitId()), int(req.GetYear()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	card := scorecardToProto(ga.Result)
	gap := func(g app.Gap) *parscoringv1.GapItem {
		return &parscoringv1.GapItem{Node: card.GetNodes()[g.Node], GapToMax: g.ToMax.String(), GapToMean: results.Format(g.ToMean)}
	}
	out := &parscoringv1.GetGapAnalysisResponse{Snapshot: card.GetSnapshot()}
	for _, g := range ga.BelowMax {
		out.BelowMax = append(out.BelowMax, gap(g))
	}
	for _, g := range ga.BelowMean {
		out.BelowPeerMean = append(out.BelowPeerMean, gap(g))
	}
	return out, nil
}

// ListBiggestMovers lists risers and fallers to any authenticated caller.
func (s *ResultsServer) ListBiggestMovers(ctx context.Context, req *parscoringv1.ListBiggestMoversRequest) (*parscoringv1.ListBiggestMoversResponse, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, s.status(ctx, err, "")
	}
	q := app.RankingQuery{Year: int(req.GetYear()), SubjectKind: req.GetSubjectKind(), NodeCode: req.GetNodeCode()}
	m, err := s.res.BiggestMovers(ctx, q, int(req.GetLimit()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &parscoringv1.ListBiggestMoversResponse{Risers: entriesToProto(m.Snapshot, m.Risers), Fallers: entriesToProto(m.Snapshot, m.Fallers)}, nil
}

// ExportScorecard writes a unit's scorecard as XLSX.
func (s *ResultsServer) ExportScorecard(ctx context.Context, req *parscoringv1.ExportScorecardRequest) (*httpbody.HttpBody, error) {
	if err := authorizeUnit(ctx, req.GetUnitId()); err != nil {
		return nil, s.status(ctx, err, "")
	}
	ur, err := s.res.Scorecard(ctx, strings.ToLower(req.GetUnitId()), int(req.GetYear()))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	data, err := scorecardXLSX(scorecardToProto(ur))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &httpbody.HttpBody{ContentType: xlsxContentType, Data: data}, nil
}

// ExportRankings writes a ranking as XLSX.
func (s *ResultsServer) ExportRankings(ctx context.Context, req *parscoringv1.ExportRankingsRequest) (*httpbody.HttpBody, error) {
	if _, err := authorize(ctx); err != nil {
		return nil, s.status(ctx, err, "")
	}
	rk, err := s.res.Rankings(ctx, app.RankingQuery{Year: int(req.GetYear()), SubjectKind: req.GetSubjectKind(), NodeCode: req.GetNodeCode()})
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	data, err := rankingXLSX(snapshotToProto(rk.Snapshot), entriesToProto(rk.Snapshot, rk.Entries))
	if err != nil {
		return nil, s.status(ctx, err, "")
	}
	return &httpbody.HttpBody{ContentType: xlsxContentType, Data: data}, nil
}

func sourceToProto(s results.Source) parscoringv1.ResultSource {
	if s == results.SourceImported {
		return parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED
	}
	return parscoringv1.ResultSource_RESULT_SOURCE_APPRAISED
}

func snapshotToProto(s *results.Snapshot) *parscoringv1.ResultSnapshot {
	if s == nil {
		return nil
	}
	return &parscoringv1.ResultSnapshot{
		Id: s.ID, Year: int32(s.Year), SubjectKind: s.SubjectKind, CriteriaSetId: s.CriteriaSetID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Source: sourceToProto(s.Source), Decision: s.Decision, PublishTime: timestamppb.New(s.PublishTime),
		SubjectCount: int32(max(len(s.Subjects), cap(s.Subjects))), PreviousSnapshotId: s.PrevSnapshotID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Version: int32(max(s.Version, 1)), SupersedesSnapshotId: s.SupersedesID, SupersededBySnapshotId: s.SupersededByID, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CorrectionReason: s.CorrectionReason, CorrectedBy: s.CorrectedBy,
	}
}

func scorecardToProto(ur app.UnitResult) *parscoringv1.Scorecard {
	snap, sub := ur.Snapshot, ur.Subject
	peer, _ := snap.Peer(sub.PeerGroup)
	card := &parscoringv1.Scorecard{
		Snapshot: snapshotToProto(snap), UnitId: sub.UnitID, SubjectCode: sub.Code, SubjectName: sub.Name, PeerGroup: sub.PeerGroup,
		Total: results.Format(sub.Total), MaxPoints: snap.MaxPoints.String(),
		IndexPercent: results.Format(results.IndexPercent(sub.Total, snap.MaxPoints)), Grade: sub.Grade,
		Rank: int32(sub.Rank), RankOf: int32(sub.RankOf), PreviousTotal: results.Format(sub.PrevTotal), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		TotalChange: results.Format(results.Change(sub.Total, sub.PrevTotal)), PreviousRank: int32(sub.PrevRank), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		RankChange: int32(results.RankChange(sub.Rank, sub.PrevRank)), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Nodes:      make([]*parscoringv1.ScorecardNode, len(snap.Nodes)),
	}
	for i, n := range snap.Nodes {
		score, prev := sub.Scores[i], sub.PrevScores[i]
		node := &parscoringv1.ScorecardNode{
			Code: n.Code, ParentCode: n.ParentCode, Name: n.Name, Score: results.Format(score), MaxPoints: n.MaxPoints.String(),
			IndexPercent: results.Format(results.IndexPercent(score, n.MaxPoints)), PreviousScore: results.Format(prev),
			ScoreChange: results.Format(results.Change(score, prev)), Rank: sub.Ranks[i], PreviousRank: sub.PrevRanks[i],
			RankChange: int32(results.RankChange(int(sub.Ranks[i]), int(sub.PrevRanks[i]))), Bonus: n.Bonus, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
		if sub.Ranks[i] > 0 {
			node.RankOf = int32(sub.RankOf) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
		if peer.Counts != nil {
			node.PeerMean = results.Format(peer.Mean(i))
		}
		card.Nodes[i] = node
	}
	return card
}

func entriesToProto(snap *results.Snapshot, es []app.Entry) []*parscoringv1.RankingEntry {
	out := make([]*parscoringv1.RankingEntry, len(es))
	for i, e := range es {
		max := snap.MaxPoints
		grade := e.Subject.Grade
		if e.Node >= 0 {
			max, grade = snap.Nodes[e.Node].MaxPoints, ""
		}
		out[i] = &parscoringv1.RankingEntry{
			Rank: int32(e.Rank()), RankOf: int32(e.Subject.RankOf), UnitId: e.Subject.UnitID, SubjectCode: e.Subject.Code, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
			SubjectName: e.Subject.Name, Score: results.Format(e.Score()), MaxPoints: max.String(),
			IndexPercent: results.Format(results.IndexPercent(e.Score(), max)), Grade: grade,
			PreviousScore: results.Format(e.PrevScore()), ScoreChange: results.Format(results.Change(e.Score(), e.PrevScore())),
			PreviousRank: int32(e.PrevRank()), RankChange: int32(results.RankChange(e.Rank(), e.PrevRank())), PeerGroup: e.Subject.PeerGroup, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
	}
	return out
}
