package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

// BenchmarkSaveResult stores one unit's result of 110 nodes (the size of a unit's index),
// as the results consumer does once per unit of a publication. "per-node" is the raw
// baseline: the result row as SaveResult writes it, then one INSERT per node in a batch
// (the previous SaveResult); "one-statement" is SaveResult. Run:
//
//	go test -run '^$' -bench SaveResult -count 3 ./internal/postgres
func BenchmarkSaveResult(b *testing.B) {
	s := NewStore(pgtest.NewPool(b, Migrations()))
	r := explanation.PublishedResult{SnapshotID: uuid.NewString(), Year: 2024, SubjectKind: "district", UnitID: uuid.NewString(),
		Source: "appraised", PublishTime: time.Date(2025, 2, 20, 3, 0, 0, 0, time.UTC), Total: "82.00"}
	for i := range 110 {
		r.Nodes = append(r.Nodes, explanation.NodeFigure{Code: fmt.Sprintf("%d.%d", i/10+1, i%10), ParentCode: fmt.Sprint(i/10 + 1),
			Score: "5.25", MaxPoints: "10.00", PreviousScore: "4.50"})
	}
	perNode := func(ctx context.Context, tx *TxStore) error {
		head := r
		head.Nodes = nil
		if err := tx.SaveResult(ctx, head); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		for i, n := range r.Nodes {
			batch.Queue(`INSERT INTO published_node (year, subject_kind, unit_id, code, ordinal, parent_code, name, score, max_points, previous_score, bonus)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
				r.Year, r.SubjectKind, r.UnitID, n.Code, i, n.ParentCode, n.Name, nullNum(n.Score), nullNum(n.MaxPoints), nullNum(n.PreviousScore), n.Bonus)
		}
		return tx.tx.SendBatch(ctx, batch).Close()
	}
	oneStatement := func(ctx context.Context, tx *TxStore) error { return tx.SaveResult(ctx, r) }
	for _, c := range []struct {
		name string
		save func(context.Context, *TxStore) error
	}{{"per-node", perNode}, {"one-statement", oneStatement}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := pgx.BeginFunc(b.Context(), s.pool, func(tx pgx.Tx) error { return c.save(b.Context(), NewTxStore(tx)) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
