// Package postgres is the PostgreSQL store of accountability: embedded migrations, SQL,
// and the outbox writes that make each change and its event one transaction.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
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

var entryColumns = []string{"province_unit_id", "year", "node_code", "ordinal", "owner_unit_id", "cooperating_unit_ids", "legal_basis"}

// PutMatrix implements app.Store. The upsert of the matrix row locks it first, so two
// concurrent replacements of the same matrix run one after the other and their events
// leave in the same order.
func (s *Store) PutMatrix(ctx context.Context, m responsibility.Matrix) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The previous version, for the audit trail (nil on creation).
		var before any
		if old, err := readMatrix(ctx, tx, m.ProvinceUnitID, m.Year); err == nil {
			before = old
		} else if !errors.Is(err, responsibility.ErrNotFound) {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO responsibility_matrix (province_unit_id, year, units_own_index, updated_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (province_unit_id, year)
			DO UPDATE SET units_own_index = EXCLUDED.units_own_index, updated_at = EXCLUDED.updated_at`,
			m.ProvinceUnitID, m.Year, m.UnitsOwnIndex, m.UpdateTime); err != nil {
			return fmt.Errorf("upsert matrix: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM responsibility_entry WHERE province_unit_id = $1 AND year = $2`,
			m.ProvinceUnitID, m.Year); err != nil {
			return fmt.Errorf("delete old entries: %w", err)
		}

		province, err := uuidValue(m.ProvinceUnitID)
		if err != nil {
			return err
		}
		rows := make([][]any, len(m.Entries))
		for i, e := range m.Entries {
			owner, err := uuidValue(e.OwnerUnitID)
			if err != nil {
				return err
			}
			coop := make([]pgtype.UUID, len(e.CooperatingUnitIDs))
			for j, id := range e.CooperatingUnitIDs {
				if coop[j], err = uuidValue(id); err != nil {
					return err
				}
			}
			rows[i] = []any{province, m.Year, e.NodeCode, i, owner, coop, e.LegalBasis}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"responsibility_entry"}, entryColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert %d entries: %w", len(rows), err)
		}

		// The actor is the request's caller: the use case runs on its behalf.
		p, _ := auth.FromContext(ctx)
		c := app.Change{Action: "matrix_replaced", Actor: app.Actor{UserID: p.UserID, Name: p.Name}}
		if err := addAudit(ctx, tx, "responsibility_matrix", fmt.Sprintf("%s/%d", m.ProvinceUnitID, m.Year), c, before, m); err != nil {
			return err
		}
		if _, err := outbox.Add(ctx, tx, SubjectMatrixChanged, matrixChanged(m)); err != nil {
			return fmt.Errorf("record %s: %w", SubjectMatrixChanged, err)
		}
		return nil
	})
}

// Matrix implements app.Store. Both reads run in one repeatable-read snapshot, since a
// replacement may commit between them.
func (s *Store) Matrix(ctx context.Context, provinceUnitID string, year int) (responsibility.Matrix, error) {
	var m responsibility.Matrix
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		m, err = readMatrix(ctx, tx, provinceUnitID, year)
		return err
	})
	if err != nil {
		return responsibility.Matrix{}, err
	}
	return m, nil
}

// readMatrix reads a matrix within tx.
func readMatrix(ctx context.Context, tx pgx.Tx, provinceUnitID string, year int) (responsibility.Matrix, error) {
	m := responsibility.Matrix{ProvinceUnitID: provinceUnitID, Year: year}
	err := tx.QueryRow(ctx, `
		SELECT units_own_index, updated_at FROM responsibility_matrix
		WHERE province_unit_id = $1 AND year = $2`, provinceUnitID, year).Scan(&m.UnitsOwnIndex, &m.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, responsibility.ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("select matrix: %w", err)
	}
	m.UpdateTime = m.UpdateTime.UTC()
	rows, _ := tx.Query(ctx, `
		SELECT node_code, owner_unit_id::text, cooperating_unit_ids::text[], legal_basis
		FROM responsibility_entry
		WHERE province_unit_id = $1 AND year = $2
		ORDER BY ordinal`, provinceUnitID, year)
	m.Entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (responsibility.Entry, error) {
		var e responsibility.Entry
		if err := row.Scan(&e.NodeCode, &e.OwnerUnitID, &e.CooperatingUnitIDs, &e.LegalBasis); err != nil {
			return responsibility.Entry{}, err
		}
		if len(e.CooperatingUnitIDs) == 0 {
			e.CooperatingUnitIDs = nil // the domain's one way of saying "nobody"
		}
		return e, nil
	})
	if err != nil {
		return m, fmt.Errorf("select entries: %w", err)
	}
	return m, nil
}

// uuidValue converts a validated id for COPY, which needs binary-encodable values.
func uuidValue(id string) (pgtype.UUID, error) {
	var u pgtype.UUID
	if err := u.Scan(id); err != nil {
		return pgtype.UUID{}, fmt.Errorf("unit id %q: %w", id, err)
	}
	return u, nil
}
