package postgres

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// TestCorrectionsKeepVersionsFrozen: a correction adds a version and changes no row of the
// one it supersedes; a second correction of the same version (a concurrent one that lost
// the race) is refused by the database; the grade groups are kept for the next correction.
func TestCorrectionsKeepVersionsFrozen(t *testing.T) {
	pool := pgtestPool(t)
	store := NewStore(pool)
	set := validSet(t, 2024, "7/QĐ-UBND")
	if err := store.CreateCriteriaSet(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	res := app.NewResults(store, nil)
	p := methodology.MustParsePoints
	units := []string{uuid.NewString(), uuid.NewString()}
	in := func(u string, s11 string) results.SubjectInput {
		return results.SubjectInput{UnitID: u, Name: "Sở", Scores: []results.ItemScore{
			{Code: "1.1", Score: p(s11)}, {Code: "1.2", Score: p("5")}, {Code: "2.1.a", Score: p("10")}}}
	}
	grades := []results.Grade{{Label: "Xuất sắc", MinPercent: 9500}, {Label: "Đạt", MinPercent: 0}}
	v1, err := res.Publish(t.Context(), app.PublishCommand{Year: 2024, CriteriaSetID: set.ID, Grades: grades,
		Subjects: []results.SubjectInput{in(units[0], "3"), in(units[1], "2")}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := res.Correct(t.Context(), v1.ID, results.Correction{Reason: "Đính chính theo Quyết định 40/QĐ-UBND", Actor: "snv.cv01",
		Subjects: []results.CorrectedSubject{{UnitID: units[1], Scores: []results.ItemScore{{Code: "1.1", Score: p("3.25")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// 3.25 + 5 + 10 = 18.25 of 20 is 91.25 %: "Đạt" under the snapshot's own groups.
	got, err := store.SnapshotByYear(t.Context(), 2024, "department", true)
	if err != nil || got.ID != v2.ID || got.Version != 2 || got.Subjects[1].Total != p("18.25") || got.Subjects[1].Grade != "Đạt" ||
		len(got.Grades) != 2 || got.CorrectedBy != "snv.cv01" {
		t.Fatalf("latest = %+v, %v", got, err)
	}
	old, err := store.SnapshotByID(t.Context(), v1.ID, true)
	if err != nil || old.SupersededByID != v2.ID || old.Subjects[1].Total != p("17") || old.Version != 1 {
		t.Errorf("old version = %+v, %v", old, err)
	}
	// A concurrent correction of v1 that computed before v2 committed.
	late := *v2
	late.ID = uuid.NewString()
	if err := store.PublishSnapshot(t.Context(), &late); !errors.Is(err, results.ErrSuperseded) {
		t.Errorf("second correction of the same version: %v", err)
	}
	// The frozen rows refuse changes as before.
	if _, err := pool.Exec(t.Context(), `UPDATE result_subject SET total = 0 WHERE snapshot_id = $1`, v1.ID); err == nil {
		t.Error("a superseded version's rows were updated")
	}
}

// The per-node arrays of result_subject are compressed with lz4 where the server has it
// (migration 006): pglz took half of a large publication's COPY.
func TestResultSubjectArraysUseLZ4(t *testing.T) {
	pool := pgtestPool(t)
	var got []string
	if err := pool.QueryRow(t.Context(), `SELECT array_agg(attcompression::text ORDER BY attname) FROM pg_attribute
		WHERE attrelid = 'result_subject'::regclass AND attname IN ('scores', 'ranks', 'prev_scores', 'prev_ranks')`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "l" || got[1] != "l" || got[2] != "l" || got[3] != "l" {
		t.Errorf("compression of the arrays = %q, want lz4 (l) for all four", got)
	}
}
