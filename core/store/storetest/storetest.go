// Package storetest gives each test its own database: a fresh SQLite file
// always, and a fresh PostgreSQL schema when POSTGRES_TEST_URL
// names a server. Tests that take Databases run once per backend.
package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq" // the PostgreSQL driver
)

// PostgresEnv names the PostgreSQL server tests may use.
const PostgresEnv = "POSTGRES_TEST_URL"

// Database is one backend for a test: its name and a database URL as the
// host's configuration takes it.
type Database struct {
	Name string
	URL  string
}

// Databases returns a fresh SQLite database and, when PostgresEnv is set,
// a fresh PostgreSQL schema; both are removed when the test ends.
func Databases(t testing.TB) []Database {
	t.Helper()
	dbs := []Database{SQLite(t)}
	if os.Getenv(PostgresEnv) == "" {
		t.Logf("%s is not set: PostgreSQL is not tested", PostgresEnv)
		return dbs
	}
	return append(dbs, Postgres(t))
}

// SQLite returns a fresh SQLite database file's URL.
func SQLite(t testing.TB) Database {
	t.Helper()
	return Database{Name: "sqlite", URL: "sqlite:" + filepath.Join(t.TempDir(), "reportgate.db")}
}

// Postgres creates a schema of its own in the server PostgresEnv names
// and returns a URL whose search_path is that schema. The test is skipped
// when PostgresEnv is unset.
func Postgres(t testing.TB) Database {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", PostgresEnv)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	schema := "rg_test_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		cleanup, err := sql.Open("postgres", base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer cleanup.Close()
		if _, err := cleanup.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return Database{Name: "postgres", URL: u.String()}
}
