package pg_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// units has a deferred unique constraint, so a duplicate is only caught at
// commit, and a foreign key from staff.
var serviceMigrations = fstest.MapFS{
	"001_units.sql": {Data: []byte(`
CREATE TABLE units (
    id   int  PRIMARY KEY,
    code text NOT NULL CONSTRAINT units_code_key UNIQUE DEFERRABLE INITIALLY DEFERRED
);`)},
	"002_staff.sql": {Data: []byte(`
CREATE TABLE staff (
    id      int PRIMARY KEY,
    unit_id int NOT NULL CONSTRAINT staff_unit_fk REFERENCES units (id)
);`)},
}

func TestMigrateIsIdempotent(t *testing.T) {
	pool := pgtest.NewPool(t, serviceMigrations)

	if err := pg.Migrate(t.Context(), pool, serviceMigrations); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if diff := cmp.Diff(versions{Kit: 1, Service: 2}, readVersions(t, pool)); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestMigrateConcurrentReplicas(t *testing.T) {
	pool := pgtest.NewPool(t, serviceMigrations)
	next := fstest.MapFS{
		"003_notes.sql": {Data: []byte("CREATE TABLE notes (body text);")},
	}
	for name, f := range serviceMigrations {
		next[name] = f
	}

	// Two replicas starting at once: without the advisory lock both would
	// try CREATE TABLE notes and one would fail.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = pg.Migrate(t.Context(), pool, next) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(versions{Kit: 1, Service: 3}, readVersions(t, pool)); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestMigrateRejectsEmptyFS(t *testing.T) {
	pool := pgtest.NewPool(t, nil)
	if err := pg.Migrate(t.Context(), pool, fstest.MapFS{}); err == nil {
		t.Fatal("Migrate with no migration files: want an error (wrong embed path?)")
	}
}

func TestInTx(t *testing.T) {
	pool := pgtest.NewPool(t, serviceMigrations)
	ctx := t.Context()
	errHandler := errors.New("handler failed")

	err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO units VALUES (1, 'SNV')")
		return err
	})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}

	err = pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO units VALUES (2, 'STP')"); err != nil {
			return err
		}
		return errHandler
	})
	if !errors.Is(err, errHandler) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}

	// A duplicate code passes the INSERT (deferred constraint) and fails the
	// commit: InTx must report it.
	err = pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO units VALUES (3, 'SNV')")
		return err
	})
	if constraint, ok := pg.IsUniqueViolation(err); !ok || constraint != "units_code_key" {
		t.Fatalf("failed commit: InTx = %v, want unique violation of units_code_key", err)
	}

	if diff := cmp.Diff([]string{"SNV"}, unitCodes(t, pool)); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	pool := pgtest.NewPool(t, serviceMigrations)
	ctx := t.Context()
	func() {
		defer func() { _ = recover() }()
		_ = pg.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO units VALUES (1, 'SNV')"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if got := unitCodes(t, pool); len(got) != 0 {
		t.Errorf("units after panic = %v, want none", got)
	}
}

func TestViolations(t *testing.T) {
	pool := pgtest.NewPool(t, serviceMigrations)
	ctx := t.Context()
	_, fkErr := pool.Exec(ctx, "INSERT INTO staff VALUES (1, 42)")

	tests := []struct {
		name       string
		err        error
		wantUnique string
		wantFK     string
	}{
		{name: "foreign key", err: fkErr, wantFK: "staff_unit_fk"},
		{name: "wrapped foreign key", err: errors.Join(errors.New("ctx"), fkErr), wantFK: "staff_unit_fk"},
		{name: "other", err: errors.New("x")},
		{name: "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotUnique, _ := pg.IsUniqueViolation(tt.err)
			gotFK, okFK := pg.IsForeignKeyViolation(tt.err)
			if gotUnique != tt.wantUnique || gotFK != tt.wantFK || okFK != (tt.wantFK != "") {
				t.Errorf("unique=%q fk=%q (ok %v), want unique=%q fk=%q", gotUnique, gotFK, okFK, tt.wantUnique, tt.wantFK)
			}
		})
	}
}

type versions struct{ Kit, Service int32 }

func readVersions(t *testing.T, pool *pgxpool.Pool) versions {
	t.Helper()
	var v versions
	err := pool.QueryRow(t.Context(), "SELECT (SELECT version FROM kit_schema_version), (SELECT version FROM schema_version)").Scan(&v.Kit, &v.Service)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func unitCodes(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.WithoutCancel(t.Context()), "SELECT code FROM units ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return codes
}
