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
	"time"

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
	u, admin := server(t)
	schema := uniqueName(t, "rg_test_")
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return Database{Name: "postgres", URL: u.String()}
}

// OtherDatabase creates a database of its own on the server PostgresEnv
// names, beside the one tests use, and returns a connection pool to it;
// both are gone when the test ends. The test is skipped when PostgresEnv
// is unset.
func OtherDatabase(t testing.TB) *sql.DB {
	t.Helper()
	u, admin := server(t)
	name := uniqueName(t, "rg_test_other_")
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return db
}

// server returns the URL PostgresEnv names, parsed for the caller to
// change, and a connection to it for making and dropping what a test
// uses. The connection is closed after the cleanups registered later,
// which are the drops. The test is skipped when PostgresEnv is unset.
func server(t testing.TB) (*url.URL, *sql.DB) {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	return u, admin
}

// uniqueName is prefix and random hex digits: a schema's or database's
// name no other test run takes.
func uniqueName(t testing.TB, prefix string) string {
	t.Helper()
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(suffix)
}

// SettleOutbox waits until every transaction the server was running when
// it was called has ended. PostgreSQL's outbox shows an upload only once
// no older writing transaction of its database runs (see the store's
// outboxHorizon), and tests share that database with other tests' writes:
// after SettleOutbox, every upload committed before the call is in the
// outbox. SQLite's outbox needs no wait.
func SettleOutbox(t testing.TB, db Database) {
	t.Helper()
	if db.Name != "postgres" {
		return
	}
	conn, err := sql.Open("postgres", db.URL)
	if err != nil {
		t.Fatalf("open %s: %v", db.Name, err)
	}
	defer conn.Close()
	AwaitOlderTransactions(t, conn)
}

// AwaitOlderTransactions waits until every transaction the PostgreSQL
// server behind conn was running when it was called has ended.
func AwaitOlderTransactions(t testing.TB, conn *sql.DB) {
	t.Helper()
	// Taking a transaction id of its own marks the moment: every
	// transaction older than it has ended once the oldest one running is
	// newer.
	var mark string
	if err := conn.QueryRow(`SELECT pg_current_xact_id()::text`).Scan(&mark); err != nil {
		t.Fatalf("take a transaction id: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var settled bool
		err := conn.QueryRow(`SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8`, mark).Scan(&settled)
		if err != nil {
			t.Fatalf("read the oldest running transaction: %v", err)
		}
		if settled {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a transaction older than %s still runs on the server after 30 s", mark)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
