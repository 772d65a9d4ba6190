// Package postgres is the PostgreSQL store of PAR scoring: embedded migrations, SQL, and
// the outbox writes that make each change and its event one transaction.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the service's tern migrations, for pg.Migrate and pgtest.
func Migrations() fs.FS {
	return pg.Sub(migrations, "migrations")
}

// Store implements app.Store on a pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ app.Store = (*Store)(nil)

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// constraintSetKey is the unique key on (year, subject_kind, decision).
const constraintSetKey = "criteria_set_year_kind_decision_key"

var nodeColumns = []string{
	"criteria_set_id", "code", "parent_code", "ordinal", "name", "max_points", "guidance",
	"required_evidence", "point_source", "bonus", "max_not_sum", "position", "incomplete", "note",
}

// CreateCriteriaSet implements app.Store.
func (s *Store) CreateCriteriaSet(ctx context.Context, set methodology.CriteriaSet) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO criteria_set (id, year, subject_kind, name, decision, max_points, created_at, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			set.ID, set.Year, set.SubjectKind, set.Name, set.Decision, numeric(set.MaxPoints), set.CreateTime, set.Note)
		if c, ok := pg.IsUniqueViolation(err); ok && c == constraintSetKey {
			return methodology.ErrAlreadyExists
		}
		if err != nil {
			return fmt.Errorf("insert criteria set: %w", err)
		}

		var setID pgtype.UUID
		if err := setID.Scan(set.ID); err != nil {
			return fmt.Errorf("criteria set id: %w", err)
		}
		rows := make([][]any, len(set.Nodes))
		for i, n := range set.Nodes {
			var parent *string
			if n.ParentCode != "" {
				parent = &n.ParentCode
			}
			rows[i] = []any{setID, n.Code, parent, i, n.Name, numeric(n.MaxPoints), n.Guidance,
				n.RequiredEvidence, string(n.PointSource), n.Bonus, n.MaxNotSum, n.Position, n.Incomplete, n.Note}
		}
		// COPY checks the parent foreign key at the end of the statement, after every
		// node is in.
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"criteria_node"}, nodeColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert %d criteria nodes: %w", len(rows), err)
		}

		if _, err := outbox.Add(ctx, tx, SubjectCriteriaSetCreated, criteriaSetCreated(set)); err != nil {
			return fmt.Errorf("record %s: %w", SubjectCriteriaSetCreated, err)
		}
		return nil
	})
}

// setColumns are read into a CriteriaSet by scanSet, in this order.
const setColumns = `id::text, year, subject_kind, name, decision, max_points, created_at, note`

func scanSet(row pgx.Row) (methodology.CriteriaSet, error) {
	var (
		set methodology.CriteriaSet
		max pgtype.Numeric
	)
	if err := row.Scan(&set.ID, &set.Year, &set.SubjectKind, &set.Name, &set.Decision, &max, &set.CreateTime, &set.Note); err != nil {
		return methodology.CriteriaSet{}, err
	}
	var err error
	if set.MaxPoints, err = points(max); err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("criteria set %s max_points: %w", set.ID, err)
	}
	set.CreateTime = set.CreateTime.UTC()
	return set, nil
}

// CriteriaSet implements app.Store. Two plain queries suffice: a set and its nodes are
// written in one transaction and never change afterwards.
func (s *Store) CriteriaSet(ctx context.Context, id string) (methodology.CriteriaSet, error) {
	set, err := scanSet(s.pool.QueryRow(ctx, `SELECT `+setColumns+` FROM criteria_set WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return methodology.CriteriaSet{}, methodology.ErrNotFound
	}
	if err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("select criteria set: %w", err)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+nodeColumnsSelect+` FROM criteria_node WHERE criteria_set_id = $1 ORDER BY ordinal`, id)
	set.Nodes, err = pgx.CollectRows(rows, scanNode)
	if err != nil {
		return methodology.CriteriaSet{}, fmt.Errorf("select criteria nodes: %w", err)
	}
	return set, nil
}

// nodeColumnsSelect are read into a Node by scanNodeInto, in this order.
const nodeColumnsSelect = `code, coalesce(parent_code, ''), name, max_points, guidance, required_evidence,
	point_source, bonus, max_not_sum, position, incomplete, note`

func scanNode(row pgx.CollectableRow) (methodology.Node, error) { return scanNodeInto(row) }

// scanNodeInto scans nodeColumnsSelect after the destinations lead of columns selected
// before them.
func scanNodeInto(row pgx.Row, lead ...any) (methodology.Node, error) {
	var (
		n   methodology.Node
		max pgtype.Numeric
		src string
	)
	dest := append(lead, &n.Code, &n.ParentCode, &n.Name, &max, &n.Guidance, &n.RequiredEvidence,
		&src, &n.Bonus, &n.MaxNotSum, &n.Position, &n.Incomplete, &n.Note)
	if err := row.Scan(dest...); err != nil {
		return methodology.Node{}, err
	}
	n.PointSource = methodology.PointSource(src)
	var err error
	if n.MaxPoints, err = points(max); err != nil {
		return methodology.Node{}, fmt.Errorf("node %s max_points: %w", n.Code, err)
	}
	return n, nil
}

// ListCriteriaSets implements app.Store: the page's sets with their nodes (two queries).
func (s *Store) ListCriteriaSets(ctx context.Context, q app.ListQuery) ([]methodology.CriteriaSet, error) {
	var afterYear *int
	var afterID *string
	if q.After != nil {
		afterYear, afterID = &q.After.Year, &q.After.ID
	}
	// Row comparison on (year, id) matches ORDER BY year DESC, id DESC and uses
	// criteria_set_list_idx.
	rows, _ := s.pool.Query(ctx, `
		SELECT `+setColumns+`
		FROM criteria_set
		WHERE ($1::integer = 0 OR year = $1)
		  AND ($2::text = '' OR subject_kind = $2)
		  AND ($3::uuid IS NULL OR (year, id) < ($4::integer, $3::uuid))
		ORDER BY year DESC, id DESC
		LIMIT $5`,
		q.Year, q.SubjectKind, afterID, afterYear, q.Limit)
	sets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (methodology.CriteriaSet, error) { return scanSet(row) })
	if err != nil {
		return nil, fmt.Errorf("select criteria sets: %w", err)
	}
	if len(sets) == 0 {
		return sets, nil
	}
	// The page's nodes in one query: whether a set is complete is worked out from its tree.
	ids := make([]string, len(sets))
	at := make(map[string]int, len(sets))
	for i, set := range sets {
		ids[i], at[set.ID] = set.ID, i
	}
	rows, _ = s.pool.Query(ctx, `
		SELECT criteria_set_id::text, `+nodeColumnsSelect+`
		FROM criteria_node WHERE criteria_set_id = ANY($1::uuid[]) ORDER BY criteria_set_id, ordinal`, ids)
	var setID string
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		n, err := scanNodeInto(row, &setID)
		if err == nil {
			sets[at[setID]].Nodes = append(sets[at[setID]].Nodes, n)
		}
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("select criteria nodes: %w", err)
	}
	return sets, nil
}

// numeric converts points to a NUMERIC(7,2) value exactly: hundredths with exponent -2.
func numeric(p methodology.Points) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(p.Hundredths()), Exp: -2, Valid: true}
}

// points converts a NUMERIC read back to points; a value with more than two decimals
// cannot come from a NUMERIC(7,2) column and is an error rather than rounded.
func points(n pgtype.Numeric) (methodology.Points, error) {
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite {
		return 0, errors.New("not a finite number")
	}
	v := new(big.Int).Set(n.Int)
	ten := big.NewInt(10)
	for e := n.Exp; e < -2; e++ {
		var rem big.Int
		v.QuoRem(v, ten, &rem)
		if rem.Sign() != 0 {
			return 0, fmt.Errorf("%s has more than two decimals", n.Int)
		}
	}
	for e := n.Exp; e > -2; e-- {
		v.Mul(v, ten)
	}
	if !v.IsInt64() || methodology.Points(v.Int64()) > methodology.MaxAbsPoints || methodology.Points(v.Int64()) < -methodology.MaxAbsPoints {
		return 0, fmt.Errorf("%s is out of range", v)
	}
	return methodology.Points(v.Int64()), nil
}
