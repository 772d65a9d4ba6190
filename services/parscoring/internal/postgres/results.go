package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

var _ app.ResultsStore = (*Store)(nil)

// Unique keys of result_snapshot: one row per version of a year's results of a kind, and
// a version superseded at most once.
const (
	constraintSnapshotVersionKey    = "result_snapshot_year_kind_version_key"
	constraintSnapshotSupersedesKey = "result_snapshot_supersedes_key"
)

var subjectColumns = []string{
	"snapshot_id", "ordinal", "unit_id", "code", "name", "peer_group", "total", "rank", "rank_of",
	"grade", "prev_total", "prev_rank", "scores", "ranks", "prev_scores", "prev_ranks",
}

// PublishSnapshot implements app.ResultsStore: the snapshot, its subjects and peer sums, and
// ResultsPublished with one SubjectResultPublished per unit, in one transaction.
func (s *Store) PublishSnapshot(ctx context.Context, snap *results.Snapshot) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n := len(snap.Nodes)
		codes, parents, names := make([]string, n), make([]string, n), make([]string, n)
		maxes, bonus := make([]int64, n), make([]bool, n)
		for i, node := range snap.Nodes {
			codes[i], parents[i], names[i] = node.Code, node.ParentCode, node.Name
			maxes[i], bonus[i] = int64(node.MaxPoints), node.Bonus
		}
		var gradeLabels []string
		var gradeMin []int64
		if snap.Grades != nil {
			gradeLabels, gradeMin = make([]string, len(snap.Grades)), make([]int64, len(snap.Grades))
			for i, g := range snap.Grades {
				gradeLabels[i], gradeMin[i] = g.Label, g.MinPercent
			}
		}
		version := max(snap.Version, 1)
		_, err := tx.Exec(ctx, `
			INSERT INTO result_snapshot (id, year, subject_kind, criteria_set_id, source, decision,
			    published_at, max_points, prev_snapshot_id, subject_count, node_codes, node_parents,
			    node_names, node_max, node_bonus, version, supersedes_id, correction_reason, corrected_by,
			    grade_labels, grade_min)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
			snap.ID, snap.Year, snap.SubjectKind, snap.CriteriaSetID, string(snap.Source), snap.Decision,
			snap.PublishTime, int64(snap.MaxPoints), optString(snap.PrevSnapshotID), len(snap.Subjects), codes, parents, names, maxes, bonus,
			version, optString(snap.SupersedesID), snap.CorrectionReason, snap.CorrectedBy, gradeLabels, gradeMin)
		if c, ok := pg.IsUniqueViolation(err); ok {
			switch {
			case c == constraintSnapshotVersionKey && version == 1:
				return results.ErrAlreadyPublished
			case c == constraintSnapshotVersionKey, c == constraintSnapshotSupersedesKey:
				// Another correction of the same version committed first.
				return results.ErrSuperseded
			}
		}
		if err != nil {
			return fmt.Errorf("insert result snapshot: %w", err)
		}

		// Ids go to COPY as 16 bytes: as text, pgx first fails to encode each one (an error
		// value built per row) before falling back to parsing it.
		snapID, err := uuid.Parse(snap.ID)
		if err != nil {
			return fmt.Errorf("snapshot id %q: %w", snap.ID, err)
		}
		rows := make([][]any, len(snap.Subjects))
		for k, sub := range snap.Subjects {
			var unit *uuid.UUID
			if sub.UnitID != "" {
				u, err := uuid.Parse(sub.UnitID)
				if err != nil {
					return fmt.Errorf("unit id %q: %w", sub.UnitID, err)
				}
				unit = &u
			}
			rows[k] = []any{snapID, k, unit, sub.Code, sub.Name, sub.PeerGroup, int64(sub.Total), sub.Rank, sub.RankOf,
				sub.Grade, int64(sub.PrevTotal), sub.PrevRank, pointsArray(sub.Scores), sub.Ranks, pointsArray(sub.PrevScores), sub.PrevRanks}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"result_subject"}, subjectColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert %d result subjects: %w", len(rows), err)
		}
		peers := make([][]any, len(snap.Peers))
		for i, p := range snap.Peers {
			peers[i] = []any{snapID, p.PeerGroup, p.Sums, p.Counts}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"result_peer"}, []string{"snapshot_id", "peer_group", "sums", "counts"}, pgx.CopyFromRows(peers)); err != nil {
			return fmt.Errorf("insert peer sums: %w", err)
		}

		if _, err := outbox.AddBatch(ctx, tx, resultEvents(snap)); err != nil {
			return fmt.Errorf("record results published: %w", err)
		}
		return nil
	})
}

// optString is nil for "" (a NULL column), else s.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pointsArray views points as the int64 hundredths the bigint[] columns hold.
func pointsArray(p []methodology.Points) []int64 {
	out := make([]int64, len(p))
	for i, v := range p {
		out[i] = int64(v)
	}
	return out
}

func toPoints(v []int64) []methodology.Points {
	out := make([]methodology.Points, len(v))
	for i, x := range v {
		out[i] = methodology.Points(x)
	}
	return out
}

// snapshotColumns are a snapshot's header columns, on result_snapshot aliased snap; the
// version that superseded it is looked up through the unique index on supersedes_id.
const snapshotColumns = `snap.id::text, snap.year, snap.subject_kind, snap.criteria_set_id::text, snap.source,
	snap.decision, snap.published_at, snap.max_points, coalesce(snap.prev_snapshot_id::text, ''), snap.subject_count,
	snap.node_codes, snap.node_parents, snap.node_names, snap.node_max, snap.node_bonus,
	snap.version, coalesce(snap.supersedes_id::text, ''), snap.correction_reason, snap.corrected_by,
	snap.grade_labels, snap.grade_min,
	coalesce((SELECT nx.id::text FROM result_snapshot nx WHERE nx.supersedes_id = snap.id), '')`

// snapshotRow receives snapshotColumns.
type snapshotRow struct {
	snap                  results.Snapshot
	source                string
	max                   int64
	count                 int
	codes, parents, names []string
	maxes                 []int64
	bonus                 []bool
	gradeLabels           []string
	gradeMin              []int64
}

// dest returns the scan destinations of snapshotColumns.
func (r *snapshotRow) dest() []any {
	s := &r.snap
	return []any{&s.ID, &s.Year, &s.SubjectKind, &s.CriteriaSetID, &r.source, &s.Decision, &s.PublishTime,
		&r.max, &s.PrevSnapshotID, &r.count, &r.codes, &r.parents, &r.names, &r.maxes, &r.bonus,
		&s.Version, &s.SupersedesID, &s.CorrectionReason, &s.CorrectedBy, &r.gradeLabels, &r.gradeMin, &s.SupersededByID}
}

// finish builds the snapshot from what was scanned.
func (r *snapshotRow) finish() *results.Snapshot {
	snap := r.snap
	snap.Source, snap.MaxPoints = results.Source(r.source), methodology.Points(r.max)
	snap.PublishTime = snap.PublishTime.UTC()
	snap.Nodes = make([]results.Node, len(r.codes))
	for i := range r.codes {
		snap.Nodes[i] = results.Node{Code: r.codes[i], ParentCode: r.parents[i], Name: r.names[i], MaxPoints: methodology.Points(r.maxes[i]), Bonus: r.bonus[i]}
	}
	if r.gradeLabels != nil {
		snap.Grades = make([]results.Grade, len(r.gradeLabels))
		for i := range r.gradeLabels {
			snap.Grades[i] = results.Grade{Label: r.gradeLabels[i], MinPercent: r.gradeMin[i]}
		}
	}
	// The count travels in Subjects' capacity until subjects are loaded; headers only need it.
	snap.Subjects = make([]results.Subject, 0, r.count)
	return &snap
}

func scanSnapshot(row pgx.Row) (*results.Snapshot, error) {
	var r snapshotRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// subjectSelect are a subject's columns, on result_subject aliased sub.
const subjectSelect = `coalesce(sub.unit_id::text, ''), sub.code, sub.name, sub.peer_group, sub.total, sub.rank,
	sub.rank_of, sub.grade, sub.prev_total, sub.prev_rank, sub.scores, sub.ranks, sub.prev_scores, sub.prev_ranks`

func scanSubject(row pgx.CollectableRow) (results.Subject, error) {
	var (
		sub                 results.Subject
		total, prevTotal    int64
		scores, prevScores  []int64
		ranks, prevRanksArr []int32
	)
	if err := row.Scan(&sub.UnitID, &sub.Code, &sub.Name, &sub.PeerGroup, &total, &sub.Rank, &sub.RankOf, &sub.Grade,
		&prevTotal, &sub.PrevRank, &scores, &ranks, &prevScores, &prevRanksArr); err != nil {
		return results.Subject{}, err
	}
	sub.Total, sub.PrevTotal = methodology.Points(total), methodology.Points(prevTotal)
	sub.Scores, sub.PrevScores = toPoints(scores), toPoints(prevScores)
	sub.Ranks, sub.PrevRanks = ranks, prevRanksArr
	return sub, nil
}

func (s *Store) peers(ctx context.Context, snapshotID string) ([]results.PeerStats, error) {
	rows, _ := s.pool.Query(ctx, `SELECT peer_group, sums, counts FROM result_peer WHERE snapshot_id = $1 ORDER BY peer_group`, snapshotID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (results.PeerStats, error) {
		var p results.PeerStats
		err := row.Scan(&p.PeerGroup, &p.Sums, &p.Counts)
		return p, err
	})
}

// SnapshotByYear implements app.ResultsStore: the latest version of the year's results.
func (s *Store) SnapshotByYear(ctx context.Context, year int, kind string, withSubjects bool) (*results.Snapshot, error) {
	return s.snapshot(ctx, withSubjects, `SELECT `+snapshotColumns+` FROM result_snapshot snap
		WHERE year = $1 AND subject_kind = $2 ORDER BY version DESC LIMIT 1`, year, kind)
}

// PreviousFigures implements app.ResultsStore: the subjects without the columns publishing
// does not compare with (names, last year's own previous figures), which are half of what a
// 10,000-unit snapshot reads.
func (s *Store) PreviousFigures(ctx context.Context, year int, kind string) (*results.Snapshot, error) {
	snap, err := s.snapshot(ctx, false, `SELECT `+snapshotColumns+` FROM result_snapshot snap
		WHERE year = $1 AND subject_kind = $2 ORDER BY version DESC LIMIT 1`, year, kind)
	if err != nil {
		return nil, err
	}
	rows, _ := s.pool.Query(ctx, `SELECT coalesce(unit_id::text, ''), code, total, rank, scores, ranks
		FROM result_subject WHERE snapshot_id = $1 ORDER BY ordinal`, snap.ID)
	var (
		sub    results.Subject
		total  int64
		scores []int64
	)
	_, err = pgx.ForEachRow(rows, []any{&sub.UnitID, &sub.Code, &total, &sub.Rank, &scores, &sub.Ranks}, func() error {
		sub.Total, sub.Scores = methodology.Points(total), toPoints(scores)
		snap.Subjects = append(snap.Subjects, sub)
		sub.Ranks = nil // scanned into afresh: the appended subject keeps its own
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("select previous figures: %w", err)
	}
	return snap, nil
}

// SnapshotByID implements app.ResultsStore: one version, superseded or not.
func (s *Store) SnapshotByID(ctx context.Context, id string, withSubjects bool) (*results.Snapshot, error) {
	return s.snapshot(ctx, withSubjects, `SELECT `+snapshotColumns+` FROM result_snapshot snap WHERE id = $1`, id)
}

// snapshot reads the snapshot query selects, with its peer sums and, when asked, subjects.
func (s *Store) snapshot(ctx context.Context, withSubjects bool, query string, args ...any) (*results.Snapshot, error) {
	snap, err := scanSnapshot(s.pool.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, results.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select result snapshot: %w", err)
	}
	if snap.Peers, err = s.peers(ctx, snap.ID); err != nil {
		return nil, fmt.Errorf("select peer sums: %w", err)
	}
	if !withSubjects {
		return snap, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+subjectSelect+` FROM result_subject sub WHERE snapshot_id = $1 ORDER BY ordinal`, snap.ID)
	if snap.Subjects, err = pgx.CollectRows(rows, scanSubject); err != nil {
		return nil, fmt.Errorf("select result subjects: %w", err)
	}
	return snap, nil
}

// UnitResults implements app.ResultsStore: the unit's subject rows with their snapshots
// (without other subjects) in the latest version of each year's results, oldest year first;
// year 0 means every year.
func (s *Store) UnitResults(ctx context.Context, unitID string, year int) ([]app.UnitResult, error) {
	return s.unitResults(ctx, `
		SELECT `+snapshotColumns+`, `+subjectSelect+`, `+unitPeerSelect+`
		FROM result_subject sub JOIN result_snapshot snap ON snap.id = sub.snapshot_id `+unitPeerJoin+`
		WHERE sub.unit_id = $1 AND ($2::integer = 0 OR snap.year = $2)
		  AND NOT EXISTS (SELECT 1 FROM result_snapshot nx WHERE nx.supersedes_id = snap.id)
		ORDER BY snap.year, snap.published_at`, unitID, year)
}

// UnitResultIn implements app.ResultsStore: the unit's row in one given snapshot, or
// results.ErrNotFound.
func (s *Store) UnitResultIn(ctx context.Context, snapshotID, unitID string) (app.UnitResult, error) {
	out, err := s.unitResults(ctx, `
		SELECT `+snapshotColumns+`, `+subjectSelect+`, `+unitPeerSelect+`
		FROM result_subject sub JOIN result_snapshot snap ON snap.id = sub.snapshot_id `+unitPeerJoin+`
		WHERE sub.snapshot_id = $1 AND sub.unit_id = $2`, snapshotID, unitID)
	if err != nil {
		return app.UnitResult{}, err
	}
	if len(out) == 0 {
		return app.UnitResult{}, results.ErrNotFound
	}
	return out[0], nil
}

// A unit's result needs only its own peer group's sums (its scorecard's means and gaps):
// joined to its row, a scorecard is one query, not a second one for the peer sums.
const (
	unitPeerJoin   = `LEFT JOIN result_peer peer ON peer.snapshot_id = snap.id AND peer.peer_group = sub.peer_group`
	unitPeerSelect = `peer.sums, peer.counts`
)

// unitResults reads rows of snapshotColumns, subjectSelect and unitPeerSelect; each
// snapshot carries the subject's own peer group's sums only.
func (s *Store) unitResults(ctx context.Context, query string, args ...any) ([]app.UnitResult, error) {
	rows, _ := s.pool.Query(ctx, query, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.UnitResult, error) {
		snap, sub, err := scanSnapshotSubject(row)
		return app.UnitResult{Snapshot: snap, Subject: sub}, err
	})
	if err != nil {
		return nil, fmt.Errorf("select unit results: %w", err)
	}
	return out, nil
}

func scanSnapshotSubject(row pgx.CollectableRow) (*results.Snapshot, results.Subject, error) {
	var (
		r                snapshotRow
		sub              results.Subject
		total, prevTotal int64
		scores, prevs    []int64
	)
	var peer results.PeerStats
	dest := append(r.dest(), &sub.UnitID, &sub.Code, &sub.Name, &sub.PeerGroup, &total, &sub.Rank, &sub.RankOf, &sub.Grade,
		&prevTotal, &sub.PrevRank, &scores, &sub.Ranks, &prevs, &sub.PrevRanks, &peer.Sums, &peer.Counts)
	if err := row.Scan(dest...); err != nil {
		return nil, results.Subject{}, err
	}
	sub.Total, sub.PrevTotal = methodology.Points(total), methodology.Points(prevTotal)
	sub.Scores, sub.PrevScores = toPoints(scores), toPoints(prevs)
	snap := r.finish()
	if peer.Sums != nil {
		peer.PeerGroup = sub.PeerGroup
		snap.Peers = []results.PeerStats{peer}
	}
	return snap, sub, nil
}

// ListSnapshots implements app.ResultsStore: the latest versions, and the superseded ones
// too when asked, newest year first, then kind, then newest version.
func (s *Store) ListSnapshots(ctx context.Context, year int, kind string, includeSuperseded bool) ([]*results.Snapshot, error) {
	rows, _ := s.pool.Query(ctx, `
		SELECT `+snapshotColumns+` FROM result_snapshot snap
		WHERE ($1::integer = 0 OR year = $1) AND ($2::text = '' OR subject_kind = $2)
		  AND ($3 OR NOT EXISTS (SELECT 1 FROM result_snapshot nx WHERE nx.supersedes_id = snap.id))
		ORDER BY year DESC, subject_kind, version DESC LIMIT 500`, year, kind, includeSuperseded)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*results.Snapshot, error) { return scanSnapshot(row) })
}
