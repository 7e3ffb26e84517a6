// Package migrations embeds the schema, one folder per SQL dialect. The
// two folders hold the same versions; they differ only where the dialects
// do (identity columns, time and JSON types, and PostgreSQL's outbox
// ordering by transaction, which SQLite's single writer does not need).
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// FS returns the migrations of one dialect: "sqlite" or "postgres".
func FS(dialect string) (fs.FS, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %q: %w", dialect, err)
	}
	return sub, nil
}
