package pgcluster_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg/pgcluster"
)

// traversableTempDir returns a temporary directory the postgres user can enter
// when the test runs as root (t.TempDir makes 0700 directories).
func traversableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestStartStopKeepsData(t *testing.T) {
	ctx := t.Context()
	opts := pgcluster.Options{Dir: filepath.Join(traversableTempDir(t), "data"), Throwaway: true}

	c, err := pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Stop again at the end even if a step below fails; stopping twice is a no-op.
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if err := c.CreateDatabase(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "kept"); err != nil {
		t.Fatalf("second CreateDatabase: %v", err)
	}
	exec(t, c.URL("kept"), "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('Sở Nội vụ')")

	// Starting again while it runs reuses the running postmaster.
	again, err := pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Port() != c.Port() {
		t.Errorf("second Start while running: port %d, want reuse of %d", again.Port(), c.Port())
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, c.URL("kept")); err == nil {
		t.Fatal("connected after Stop")
	}

	c, err = pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.URL("kept"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var body string
	if err := conn.QueryRow(ctx, "SELECT body FROM notes").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != "Sở Nội vụ" {
		t.Errorf("body after restart = %q, want %q", body, "Sở Nội vụ")
	}
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}
