package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// ResultsStore persists published snapshots. PublishSnapshot writes the snapshot and its
// events in one transaction.
type ResultsStore interface {
	// CriteriaSet returns a set with its nodes, or methodology.ErrNotFound.
	CriteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error)
	// PublishSnapshot stores a snapshot with ResultsPublished and its SubjectResultPublished
	// events; results.ErrAlreadyPublished when the year and kind are taken.
	PublishSnapshot(ctx context.Context, snap *results.Snapshot) error
	// SnapshotByYear returns the latest version of the snapshot of a year and kind (with its
	// subjects when asked), or results.ErrNotFound.
	SnapshotByYear(ctx context.Context, year int, kind string, withSubjects bool) (*results.Snapshot, error)
	// PreviousFigures returns the latest version of a year's snapshot of a kind with, of its
	// subjects, only what results.Snapshot.ApplyPrevious reads (unit, code, total, rank,
	// scores, ranks), or results.ErrNotFound.
	PreviousFigures(ctx context.Context, year int, kind string) (*results.Snapshot, error)
	// SnapshotByID returns one version, superseded or not, or results.ErrNotFound.
	SnapshotByID(ctx context.Context, id string, withSubjects bool) (*results.Snapshot, error)
	// UnitResults returns a unit's rows with their snapshots in the latest version of each
	// year's results, oldest year first; year 0: all.
	UnitResults(ctx context.Context, unitID string, year int) ([]UnitResult, error)
	// UnitResultIn returns a unit's row in one snapshot, or results.ErrNotFound.
	UnitResultIn(ctx context.Context, snapshotID, unitID string) (UnitResult, error)
	// ListSnapshots returns snapshot headers, newest year first: the latest versions, and
	// superseded ones when asked.
	ListSnapshots(ctx context.Context, year int, kind string, includeSuperseded bool) ([]*results.Snapshot, error)
}

// UnitResult is one unit's figures in one snapshot (the snapshot without other subjects,
// and with the sums of the unit's own peer group only).
type UnitResult struct {
	Snapshot *results.Snapshot
	Subject  results.Subject
}

// Results runs the publication and reading use cases.
type Results struct {
	store  ResultsStore
	rounds RoundScores
	now    func() time.Time
}

// NewResults returns the results use cases on store; now nil means time.Now.
func NewResults(store ResultsStore, now func() time.Time) *Results {
	if now == nil {
		now = time.Now
	}
	return &Results{store: store, now: now}
}

// PublishCommand is a publication request.
type PublishCommand struct {
	Year          int
	CriteriaSetID string
	Decision      string
	Grades        []results.Grade
	Subjects      []results.SubjectInput
}

// Publish computes the results of cmd on its criteria set, compares them with the previous
// year's published snapshot of the same kind, and freezes them with their events.
func (r *Results) Publish(ctx context.Context, cmd PublishCommand) (*results.Snapshot, error) {
	set, err := r.criteriaSet(ctx, cmd.CriteriaSetID)
	if err != nil {
		return nil, fmt.Errorf("publish results: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prev := r.previousMeanwhile(ctx, cmd.Year-1, set.SubjectKind)
	snap, err := results.Compute(set, cmd.Subjects, cmd.Grades)
	if err != nil {
		return nil, fmt.Errorf("publish results: %w", err)
	}
	snap.Year, snap.Decision = cmd.Year, cmd.Decision
	return r.freeze(ctx, &snap, prev)
}

// previousFigures returns the previous year's figures to compare with; nil when none.
type previousFigures func() (*results.Snapshot, error)

// previousMeanwhile starts reading the figures of year and kind, to compare a publication
// with, while the caller computes it: for 10,000 units each takes a fifth of a second,
// and the read waits on the database, not on this process. Cancel ctx to drop the read.
func (r *Results) previousMeanwhile(ctx context.Context, year int, kind string) previousFigures {
	type read struct {
		snap *results.Snapshot
		err  error
	}
	done := make(chan read, 1)
	go func() {
		snap, err := r.store.PreviousFigures(ctx, year, kind)
		done <- read{snap, err}
	}()
	return func() (*results.Snapshot, error) { got := <-done; return got.snap, got.err }
}

// criteriaSet loads a set, reporting an unknown one as a field problem of the request.
func (r *Results) criteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error) {
	set, err := r.store.CriteriaSet(ctx, id)
	if errors.Is(err, methodology.ErrNotFound) {
		return set, methodology.ValidationErrors{{Field: "criteria_set_id", Reason: "không có bộ tiêu chí này"}}
	}
	return set, err
}

// freeze adds the previous year's figures (from previous when read already, else read
// now), an id and the publication time, and stores.
func (r *Results) freeze(ctx context.Context, snap *results.Snapshot, previous previousFigures) (*results.Snapshot, error) {
	if previous == nil {
		previous = func() (*results.Snapshot, error) { return r.store.PreviousFigures(ctx, snap.Year-1, snap.SubjectKind) }
	}
	prev, err := previous()
	switch {
	case errors.Is(err, results.ErrNotFound):
		prev = nil
	case err != nil:
		return nil, fmt.Errorf("publish results %s: previous year: %w", snap, err)
	}
	snap.ApplyPrevious(prev)
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("publish results: new id: %w", err)
	}
	snap.ID = id.String()
	snap.PublishTime = r.now().UTC().Truncate(time.Microsecond)
	if err := r.store.PublishSnapshot(ctx, snap); err != nil {
		return nil, fmt.Errorf("publish results %s: %w", snap, err)
	}
	return snap, nil
}

// Correct publishes a correction of the snapshot with id (the latest version of its year's
// results): a new version computed from the corrected leaf scores supersedes it, compared
// with the previous year's latest version, frozen with its events.
func (r *Results) Correct(ctx context.Context, snapshotID string, c results.Correction) (*results.Snapshot, error) {
	if _, err := uuid.Parse(snapshotID); err != nil {
		return nil, fmt.Errorf("correct results %q: %w", snapshotID, results.ErrNotFound)
	}
	old, err := r.store.SnapshotByID(ctx, snapshotID, true)
	if err != nil {
		return nil, fmt.Errorf("correct results %s: %w", snapshotID, err)
	}
	set, err := r.store.CriteriaSet(ctx, old.CriteriaSetID)
	if err != nil {
		return nil, fmt.Errorf("correct results %s: criteria set: %w", snapshotID, err)
	}
	snap, err := results.Correct(old, set, c)
	if err != nil {
		return nil, fmt.Errorf("correct results %s: %w", snapshotID, err)
	}
	return r.freeze(ctx, &snap, nil)
}

// ScorecardIn returns a unit's results in one given snapshot of a year (e.g. a version a
// correction superseded).
func (r *Results) ScorecardIn(ctx context.Context, snapshotID, unitID string, year int) (UnitResult, error) {
	if _, err := uuid.Parse(snapshotID); err != nil {
		return UnitResult{}, fmt.Errorf("scorecard of %s in %q: %w", unitID, snapshotID, results.ErrNotFound)
	}
	ur, err := r.store.UnitResultIn(ctx, snapshotID, unitID)
	if err == nil && ur.Snapshot.Year != year {
		err = results.ErrNotFound
	}
	if err != nil {
		return UnitResult{}, fmt.Errorf("scorecard of %s in %s: %w", unitID, snapshotID, err)
	}
	return ur, nil
}

// Scorecard returns a unit's results for a year.
func (r *Results) Scorecard(ctx context.Context, unitID string, year int) (UnitResult, error) {
	rs, err := r.store.UnitResults(ctx, unitID, year)
	if err != nil {
		return UnitResult{}, fmt.Errorf("scorecard of %s for %d: %w", unitID, year, err)
	}
	if len(rs) == 0 {
		return UnitResult{}, fmt.Errorf("scorecard of %s for %d: %w", unitID, year, results.ErrNotFound)
	}
	return rs[len(rs)-1], nil
}

// History returns a unit's results across years, oldest first.
func (r *Results) History(ctx context.Context, unitID string) ([]UnitResult, error) {
	rs, err := r.store.UnitResults(ctx, unitID, 0)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", unitID, err)
	}
	return rs, nil
}

// ListSnapshots returns snapshot headers, newest year first: the latest versions, and the
// superseded ones too when asked.
func (r *Results) ListSnapshots(ctx context.Context, year int, kind string, includeSuperseded bool) ([]*results.Snapshot, error) {
	snaps, err := r.store.ListSnapshots(ctx, year, kind, includeSuperseded)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return snaps, nil
}

// RankingQuery selects a ranking.
type RankingQuery struct {
	Year        int
	SubjectKind string
	PeerGroup   string
	NodeCode    string
}

// Entry is one subject's line of a ranking at one node (node −1: the total).
type Entry struct {
	Subject results.Subject
	Node    int
}

// Score returns the entry's figure this year.
func (e Entry) Score() methodology.Points {
	if e.Node < 0 {
		return e.Subject.Total
	}
	return e.Subject.Scores[e.Node]
}

// PrevScore returns the entry's figure last year.
func (e Entry) PrevScore() methodology.Points {
	if e.Node < 0 {
		return e.Subject.PrevTotal
	}
	return e.Subject.PrevScores[e.Node]
}

// Rank returns the entry's rank this year.
func (e Entry) Rank() int {
	if e.Node < 0 {
		return e.Subject.Rank
	}
	return int(e.Subject.Ranks[e.Node])
}

// PrevRank returns the entry's rank last year.
func (e Entry) PrevRank() int {
	if e.Node < 0 {
		return e.Subject.PrevRank
	}
	return int(e.Subject.PrevRanks[e.Node])
}

// Ranking is a snapshot's entries at one node, by peer group then rank.
type Ranking struct {
	Snapshot *results.Snapshot
	Node     int
	Entries  []Entry
}

// Rankings ranks the subjects of a snapshot at a node (the total when NodeCode is empty).
func (r *Results) Rankings(ctx context.Context, q RankingQuery) (Ranking, error) {
	snap, err := r.store.SnapshotByYear(ctx, q.Year, q.SubjectKind, true)
	if err != nil {
		return Ranking{}, fmt.Errorf("rankings %d/%s: %w", q.Year, q.SubjectKind, err)
	}
	node := -1
	if q.NodeCode != "" {
		if node = snap.NodeIndex(q.NodeCode); node < 0 {
			return Ranking{}, methodology.ValidationErrors{{Field: "node_code", Reason: fmt.Sprintf("kết quả không có mục %q", q.NodeCode)}}
		}
	}
	res := Ranking{Snapshot: snap, Node: node}
	for _, sub := range snap.Subjects {
		if q.PeerGroup == "" || sub.PeerGroup == q.PeerGroup {
			res.Entries = append(res.Entries, Entry{Subject: sub, Node: node})
		}
	}
	sort.SliceStable(res.Entries, func(a, b int) bool {
		ea, eb := res.Entries[a], res.Entries[b]
		if ea.Subject.PeerGroup != eb.Subject.PeerGroup {
			return ea.Subject.PeerGroup < eb.Subject.PeerGroup
		}
		ra, rb := ea.Rank(), eb.Rank()
		if (ra == 0) != (rb == 0) {
			return rb == 0 // unranked last
		}
		return ra < rb
	})
	return res, nil
}

// Movers are the largest rank rises and falls at a node.
type Movers struct {
	Snapshot        *results.Snapshot
	Risers, Fallers []Entry
}

// BiggestMovers returns at most limit risers and fallers by rank change (ties: score change).
func (r *Results) BiggestMovers(ctx context.Context, q RankingQuery, limit int) (Movers, error) {
	if limit <= 0 {
		limit = 10
	}
	rk, err := r.Rankings(ctx, q)
	if err != nil {
		return Movers{}, err
	}
	var moved []Entry
	for _, e := range rk.Entries {
		if results.RankChange(e.Rank(), e.PrevRank()) != 0 {
			moved = append(moved, e)
		}
	}
	change := func(e Entry) (int, methodology.Points) {
		sc := results.Change(e.Score(), e.PrevScore())
		if sc == results.NoScore {
			sc = 0
		}
		return results.RankChange(e.Rank(), e.PrevRank()), sc
	}
	sort.SliceStable(moved, func(a, b int) bool {
		ra, sa := change(moved[a])
		rb, sb := change(moved[b])
		if ra != rb {
			return ra > rb
		}
		return sa > sb
	})
	m := Movers{Snapshot: rk.Snapshot}
	for _, e := range moved {
		if rc, _ := change(e); rc > 0 && len(m.Risers) < limit {
			m.Risers = append(m.Risers, e)
		}
	}
	for i := len(moved) - 1; i >= 0; i-- {
		if rc, _ := change(moved[i]); rc < 0 && len(m.Fallers) < limit {
			m.Fallers = append(m.Fallers, moved[i])
		}
	}
	return m, nil
}

// Gap is a scorecard item with a gap to its maximum or to its peer group's mean.
type Gap struct {
	Node      int
	ToMax     methodology.Points
	ToMean    methodology.Points // NoScore when not below the mean
	PeerMean  methodology.Points
	BelowMean bool
}

// GapAnalysis is a unit's items below maximum and below the peer group's mean.
type GapAnalysis struct {
	Result              UnitResult
	BelowMax, BelowMean []Gap
}

// GapAnalysis lists a unit's leaf and parent items below their maximum, and those below the
// peer group's exact mean (seed 000 item 2.2), largest gap first. Bonus and penalty items
// are left out: missing a bonus is not a shortfall to plan a fix for.
func (r *Results) GapAnalysis(ctx context.Context, unitID string, year int) (GapAnalysis, error) {
	ur, err := r.Scorecard(ctx, unitID, year)
	if err != nil {
		return GapAnalysis{}, err
	}
	peer, _ := ur.Snapshot.Peer(ur.Subject.PeerGroup)
	res := GapAnalysis{Result: ur}
	for i, n := range ur.Snapshot.Nodes {
		score := ur.Subject.Scores[i]
		if score == results.NoScore || n.Bonus || n.MaxPoints < 0 {
			continue
		}
		g := Gap{Node: i, ToMax: n.MaxPoints - score, ToMean: results.NoScore, PeerMean: results.NoScore}
		if peer.Counts != nil {
			g.PeerMean = peer.Mean(i)
			if peer.BelowMean(i, score) {
				g.BelowMean = true
				g.ToMean = g.PeerMean - score
			}
		}
		if g.ToMax > 0 {
			res.BelowMax = append(res.BelowMax, g)
		}
		if g.BelowMean {
			res.BelowMean = append(res.BelowMean, g)
		}
	}
	sort.SliceStable(res.BelowMax, func(a, b int) bool { return res.BelowMax[a].ToMax > res.BelowMax[b].ToMax })
	sort.SliceStable(res.BelowMean, func(a, b int) bool { return res.BelowMean[a].ToMean > res.BelowMean[b].ToMean })
	return res, nil
}
