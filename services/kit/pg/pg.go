// Package pg opens PostgreSQL pools with query tracing, applies migrations
// (kit's own tables, then a service's), runs transactions without ever losing a
// commit error, and recognises the constraint violations stores translate into
// domain errors.
package pg

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var kitMigrations embed.FS

// Version tables: kit's and the service's migrations are numbered
// independently, so each set keeps its own.
const (
	kitVersionTable     = "kit_schema_version"
	serviceVersionTable = "schema_version"
)

// migrateLockKey is the pg_advisory_lock key held while migrating, so replicas
// starting at once apply migrations one after the other. Advisory locks are per
// database, so services sharing a server do not wait for each other.
const migrateLockKey int64 = 0x7061725f6d696772 // "par_migr"

// SQLSTATE codes stores map to domain errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// Open returns a pool for url (a postgres:// URL or key=value DSN) whose queries
// are traced with OpenTelemetry (global tracer provider), after checking the
// server answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors keep the password out of the message.
		return nil, fmt.Errorf("pg: parse database URL: %w", err)
	}
	cfg.ConnConfig.Tracer = otelpgx.NewTracer()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pg: create pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pg: ping %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// KitMigrations returns kit's own migrations (outbox_events, processed_events,
// dead_letters), which Migrate applies before a service's. pgtest hashes them
// to name its template databases.
func KitMigrations() fs.FS {
	return Sub(kitMigrations, "migrations")
}

// Sub returns the folder dir of an embedded file system, where a package keeps its
// migrations (//go:embed migrations/*.sql), for Migrate and pgtest. It panics when dir is
// not there, which the embed pattern of the caller rules out.
func Sub(embedded fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(embedded, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// Migrate applies kit's migrations (version table kit_schema_version) and then
// the service's (version table schema_version). The service's files are tern
// migrations named NNN_name.sql at the root of migrations (use fs.Sub on an
// embed.FS); nil means the service has none. Already applied migrations are
// skipped, and an advisory lock makes concurrent callers on one database wait
// for each other.
func Migrate(ctx context.Context, pool *pgxpool.Pool, migrations fs.FS) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: acquire connection: %w", err)
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("pg: migrate: take advisory lock: %w", err)
	}
	defer func() {
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey)
		if unlockErr != nil {
			// A session lock would live on in the pool: drop the connection,
			// which releases it.
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("pg: migrate: release advisory lock: %w", unlockErr)
			}
		}
	}()

	if err := apply(ctx, conn.Conn(), KitMigrations(), kitVersionTable); err != nil {
		return fmt.Errorf("pg: kit migrations: %w", err)
	}
	if migrations == nil {
		return nil
	}
	if err := apply(ctx, conn.Conn(), migrations, serviceVersionTable); err != nil {
		return fmt.Errorf("pg: service migrations: %w", err)
	}
	return nil
}

func apply(ctx context.Context, conn *pgx.Conn, fsys fs.FS, versionTable string) error {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", versionTable, err)
	}
	// An FS without migrations is an error here (tern's NoMigrationsFoundError):
	// it usually means an embed pattern or fs.Sub path is wrong.
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// Beginner starts transactions: a *pgxpool.Pool, a *pgx.Conn, or a pgx.Tx
// (which gives a savepoint).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn in a transaction. If fn returns an error (or panics) the
// transaction is rolled back and fn's error returned unchanged; otherwise the
// commit's error is returned, so a commit the server refuses (a deferred
// constraint, a serialisation failure) is never mistaken for success.
func InTx(ctx context.Context, db Beginner, fn func(pgx.Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pg: begin: %w", err)
	}
	// After a successful commit this is a no-op (pgx.ErrTxClosed). It runs
	// even when ctx is cancelled so the connection goes back clean.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pg: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is (or wraps) a unique_violation
// (SQLSTATE 23505) and names the violated constraint.
func IsUniqueViolation(err error) (constraint string, ok bool) {
	return isViolation(err, codeUniqueViolation)
}

// IsForeignKeyViolation reports whether err is (or wraps) a
// foreign_key_violation (SQLSTATE 23503) and names the violated constraint.
func IsForeignKeyViolation(err error) (constraint string, ok bool) {
	return isViolation(err, codeForeignKeyViolation)
}

func isViolation(err error, code string) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == code {
		return pgErr.ConstraintName, true
	}
	return "", false
}
