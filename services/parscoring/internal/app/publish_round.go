package app

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/parindex/platform/services/parscoring/internal/results"
)

// RoundScores gives the final scores of an assessment round (Assessments implements it).
type RoundScores interface {
	FinalisedScores(ctx context.Context, roundID string) (FinalisedScores, error)
}

// ErrRoundNotFinalised means some subject of the round has no finalised appraisal yet.
var ErrRoundNotFinalised = errors.New("chưa thể công bố: còn đơn vị chưa được thẩm định xong")

// UseRounds lets Results publish rounds (round finalisation → publication).
func (r *Results) UseRounds(rounds RoundScores) { r.rounds = rounds }

// PublishRound publishes a round's results from its finalised appraisal scores: the year,
// the criteria set and the subjects are the round's. Every subject must be finalised, so a
// publication never ranks a unit against a partial peer group.
func (r *Results) PublishRound(ctx context.Context, roundID, decision string, grades []results.Grade) (*results.Snapshot, error) {
	if r.rounds == nil {
		return nil, errors.New("publish round: rounds are not wired")
	}
	fs, err := r.rounds.FinalisedScores(ctx, roundID)
	if err != nil {
		return nil, fmt.Errorf("publish round %s: %w", roundID, err)
	}
	if len(fs.Units) < len(fs.Round.Subjects) {
		return nil, fmt.Errorf("publish round %s: %d of %d finalised: %w", roundID, len(fs.Units), len(fs.Round.Subjects), ErrRoundNotFinalised)
	}
	subjects := make([]results.SubjectInput, len(fs.Units))
	for k, u := range fs.Units {
		in := results.SubjectInput{UnitID: u.UnitID, Name: u.UnitName, Scores: make([]results.ItemScore, 0, len(u.Scores))}
		for code, score := range u.Scores {
			in.Scores = append(in.Scores, results.ItemScore{Code: code, Score: score})
		}
		// Map order is random; problems (if any) should read the same on every try.
		sort.Slice(in.Scores, func(i, j int) bool { return in.Scores[i].Code < in.Scores[j].Code })
		subjects[k] = in
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prev := r.previousMeanwhile(ctx, fs.Round.Year-1, fs.Set.SubjectKind)
	snap, err := results.Compute(fs.Set, subjects, grades)
	if err != nil {
		return nil, fmt.Errorf("publish round %s: %w", roundID, err)
	}
	snap.Year, snap.Decision = fs.Round.Year, decision
	return r.freeze(ctx, &snap, prev)
}
