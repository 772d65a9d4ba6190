// Package pgtest gives store tests a fresh, migrated PostgreSQL database each,
// cheaply: the migrations run once into a template database, and every test
// gets a clone (CREATE DATABASE … TEMPLATE, tens of milliseconds) that is
// dropped when the test ends.
//
// The server is the one named by TEST_DATABASE_URL (a postgres:// URL whose
// user may create databases) or, when that is unset, a throwaway cluster that
// Main starts for the test binary (see pgcluster: as root it runs as the
// postgres user).
//
// Templates are named after a hash of the migrations' file names and contents
// (kit's and the service's), so one built by an earlier test binary on the same
// server is reused and a changed migration gets a new template. The package keeps
// no state of its own: Main passes the server's URL to the tests through the
// environment, and a server-side advisory lock serialises template building
// across parallel tests and test binaries.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/pg/pgcluster"
)

// EnvURL names the environment variable holding the server's URL. Its database
// is used only for administration (creating and dropping databases).
const EnvURL = "TEST_DATABASE_URL"

// setupTimeout bounds creating or dropping a database; cleanups cannot use the
// test's context, which is cancelled before they run.
const setupTimeout = 2 * time.Minute

// Main runs the package's tests, for use as TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Unless TEST_DATABASE_URL is set, it first starts a throwaway cluster in a
// temporary directory on a free port, and stops and removes it after the tests.
// It exits with the tests' exit code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(EnvURL) != "" {
		return m.Run()
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	root, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	defer os.RemoveAll(root)
	// The postgres user must be able to reach its data directory inside root.
	if err := os.Chmod(root, 0o755); err != nil { // #nosec G302 -- a directory: the postgres user must traverse it to reach its data directory
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(root, "data"), Log: log, Throwaway: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: start PostgreSQL: %v\n", err)
		return 1
	}
	defer func() {
		if err := cluster.Stop(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v\n", err)
		}
	}()
	if err := os.Setenv(EnvURL, cluster.URL("postgres")); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// NewPool returns a pool on a new database holding kit's tables and the given
// service migrations (NNN_name.sql at the root of the FS; nil for none). The
// pool is closed and the database dropped when the test ends.
func NewPool(t testing.TB, migrations fs.FS) *pgxpool.Pool {
	t.Helper()
	pool, err := pg.Open(t.Context(), URL(t, migrations))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// URL is NewPool for code that opens its own pool, such as a service started
// in-process by a component test: it returns the URL of a new migrated database
// that is dropped (with any connections still open) when the test ends.
func URL(t testing.TB, migrations fs.FS) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Fatalf("pgtest: %s is not set: call pgtest.Main(m) from TestMain", EnvURL)
	}
	if _, err := withDatabase(base, "x"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
	defer cancel()

	sum, err := hashFS(pg.KitMigrations(), migrations)
	if err != nil {
		t.Fatalf("pgtest: hash migrations: %v", err)
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer admin.Close(context.WithoutCancel(ctx))

	tmpl := "tmpl_" + hex.EncodeToString(sum[:8])
	if err := ensureTemplate(ctx, admin, base, tmpl, sum, migrations); err != nil {
		t.Fatalf("pgtest: template database: %v", err)
	}

	name := "t_" + randomHex(8)
	u, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("pgtest: clone %s: %v", tmpl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := dropDatabase(ctx, base, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return u
}

// ensureTemplate builds the template database tmpl unless it exists. It builds
// under a temporary name and renames at the end, so a build interrupted half
// way never passes for a template.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, base, tmpl string, sum [32]byte, migrations fs.FS) (err error) {
	if ok, err := databaseExists(ctx, admin, tmpl); err != nil || ok {
		return err
	}
	// One builder per template across every test and test binary on the server.
	key := int64(binary.BigEndian.Uint64(sum[8:16])) // #nosec G115 -- hash bits reinterpreted as an advisory-lock key; wrapping is intended
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("take advisory lock: %w", err)
	}
	defer func() {
		if _, unlockErr := admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); unlockErr != nil && err == nil {
			err = fmt.Errorf("release advisory lock: %w", unlockErr)
		}
	}()
	if ok, err := databaseExists(ctx, admin, tmpl); err != nil || ok {
		return err
	}

	// Builds left by a test binary killed half way: nobody else builds this
	// template while we hold the lock.
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", tmpl+"_b_")
	if err != nil {
		return fmt.Errorf("list abandoned builds: %w", err)
	}
	abandoned, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list abandoned builds: %w", err)
	}
	for _, name := range abandoned {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop abandoned build %s: %w", name, err)
		}
	}

	build := tmpl + "_b_" + randomHex(4)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+build); err != nil {
		return fmt.Errorf("create %s: %w", build, err)
	}
	buildURL, err := withDatabase(base, build)
	if err != nil {
		return err
	}
	pool, err := pg.Open(ctx, buildURL)
	if err != nil {
		return err
	}
	err = pg.Migrate(ctx, pool, migrations)
	// Cloning and renaming need the template free of connections.
	pool.Close()
	if err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+build+" RENAME TO "+tmpl); err != nil {
		return fmt.Errorf("rename %s to %s: %w", build, tmpl, err)
	}
	return nil
}

func databaseExists(ctx context.Context, admin *pgx.Conn, name string) (bool, error) {
	var ok bool
	err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	return ok, nil
}

// dropDatabase drops a test's database; FORCE ends sessions the code under test
// left open, which would otherwise make the drop fail.
func dropDatabase(ctx context.Context, base, name string) error {
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect to drop %s: %w", name, err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// hashFS hashes the names and contents of every file in the given file
// systems (nil ones are skipped); fs.WalkDir visits them in lexical order.
func hashFS(fsyss ...fs.FS) ([32]byte, error) {
	h := sha256.New()
	for i, fsys := range fsyss {
		fmt.Fprintf(h, "fs %d\x00", i)
		if fsys == nil {
			continue
		}
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return [32]byte{}, err
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// withDatabase returns base with its database replaced by name.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s must be a postgres:// URL", EnvURL)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// randomHex returns 2n lower-case hex digits: database names stay valid
// unquoted identifiers.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}
