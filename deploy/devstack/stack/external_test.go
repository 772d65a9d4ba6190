package stack

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestCreateDatabaseAt covers `DATABASE_URL=… make run`: the services' databases are created
// on an external server once, and a second start finds them and keeps their data.
func TestCreateDatabaseAt(t *testing.T) {
	admin := os.Getenv(pgtest.EnvURL) // a superuser URL on the tests' server
	name := "par_stack_test"
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})

	first, err := createDatabaseAt(t.Context(), admin, name)
	if err != nil {
		t.Fatalf("first create: %v", err)
	}
	u, err := url.Parse(first)
	if err != nil || u.Path != "/"+name {
		t.Fatalf("database URL %q does not name %s", first, name)
	}
	conn, err := pgx.Connect(t.Context(), first)
	if err != nil {
		t.Fatalf("connect to created database: %v", err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('Sở Nội vụ')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())

	second, err := createDatabaseAt(t.Context(), admin, name)
	if err != nil {
		t.Fatalf("second create: %v", err)
	}
	conn, err = pgx.Connect(t.Context(), second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var v string
	if err := conn.QueryRow(t.Context(), "SELECT v FROM kept").Scan(&v); err != nil || v != "Sở Nội vụ" {
		t.Errorf("data after second start = %q, %v; want it kept", v, err)
	}
}
