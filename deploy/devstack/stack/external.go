package stack

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// createDatabaseAt creates database name on the server of adminURL unless it exists, and
// returns the URL of the new database (the admin URL with its path replaced).
func createDatabaseAt(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up database: %w", err)
	}
	if !exists {
		// CREATE DATABASE takes no parameters; the name is ours and quoted as an identifier.
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database: %w", err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
