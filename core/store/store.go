// Package store keeps package records in PostgreSQL or in embedded SQLite.
// SQL is written once with ? placeholders and rebound for the dialect;
// the two dialects differ only in their migrations and in how a time is
// passed (timestamptz in PostgreSQL, integer microseconds in SQLite).
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver, registered as "postgres"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the embedded SQLite driver, registered as "sqlite"

	"github.com/reportgate/reportgate/migrations"
)

// Dialect is the SQL dialect of a database.
type Dialect string

const (
	// Postgres is PostgreSQL through lib/pq.
	Postgres Dialect = "postgres"
	// SQLite is embedded SQLite through modernc.org/sqlite.
	SQLite Dialect = "sqlite"
)

// Store is the package database.
type Store struct {
	db      *sqlx.DB
	dialect Dialect
	// stmts holds the hot queries prepared, by their text; see stmt.
	stmts sync.Map
	// queueWrites is set for SQLite: writes then queue in writes and
	// commit together (see commit).
	queueWrites bool
	writes      batchQueue[*pendingWrite]
	// versionLookups queues PostgreSQL's version lookups of gates and of
	// mailings (see GateVersion).
	versionLookups batchQueue[*versionLookup]
}

// Option tunes how Open connects.
type Option func(*options)

type options struct {
	maxConnections  int
	sqliteMmapBytes int64
}

// WithMaxConnections caps the connections the store keeps open; 0 keeps
// the dialect's default: 16 for PostgreSQL, 8 for SQLite.
func WithMaxConnections(n int) Option {
	return func(o *options) { o.maxConnections = n }
}

// WithSQLiteMmap sets how many bytes of a SQLite file reads map
// (mmap_size); 0 maps none. Without it, DefaultSQLiteMmapBytes.
func WithSQLiteMmap(bytes int64) Option {
	return func(o *options) { o.sqliteMmapBytes = bytes }
}

// Open connects to a database URL: postgres://… (or postgresql://…) or
// sqlite:PATH. It does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	o := options{sqliteMmapBytes: DefaultSQLiteMmapBytes}
	for _, opt := range opts {
		opt(&o)
	}
	dialect, dsn, err := parseURL(databaseURL, o.sqliteMmapBytes)
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// The embedded database lives where the operator says, such as
		// data/ of a fresh checkout; its folder is made, as storage.dir is.
		if err := os.MkdirAll(filepath.Dir(SQLitePath(databaseURL)), 0o750); err != nil {
			return nil, fmt.Errorf("prepare the sqlite folder: %w", err)
		}
	}
	db, err := sqlx.Open(string(dialect), dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	conns := o.maxConnections
	if conns == 0 {
		// SQLite has one writer at a time; a small pool of connections
		// lets reads go on beside it under WAL. PostgreSQL's pool is kept
		// near a few times the server's cores rather than one connection a
		// request in flight: on the benchmark's two cores, 16 connections
		// served lists by guid at c=32 with a p99 of 8.7 ms where 32 took
		// 12–13 ms, the backends no longer crowding the scheduler.
		conns = map[Dialect]int{SQLite: 8, Postgres: 16}[dialect]
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &Store{db: db, dialect: dialect, queueWrites: dialect == SQLite}, nil
}

// ParseURL splits a database URL into its dialect and the driver's DSN,
// with the store's default settings.
func ParseURL(databaseURL string) (Dialect, string, error) {
	return parseURL(databaseURL, DefaultSQLiteMmapBytes)
}

// parseURL is ParseURL with a SQLite file's memory map as given.
func parseURL(databaseURL string, sqliteMmapBytes int64) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		if _, err := url.Parse(databaseURL); err != nil {
			return "", "", fmt.Errorf("postgres URL: %w", err)
		}
		return Postgres, databaseURL, nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := SQLitePath(databaseURL)
		if path == "" {
			return "", "", errors.New("sqlite URL names no file: want sqlite:PATH")
		}
		return SQLite, sqliteDSN(path, sqliteMmapBytes), nil
	default:
		return "", "", errors.New("unknown database: want postgres://… or sqlite:PATH")
	}
}

// DefaultSQLiteMmapBytes is how much of a SQLite file reads map unless
// told otherwise (WithSQLiteMmap); the rest of a larger file is read as
// before.
const DefaultSQLiteMmapBytes = 1 << 30

// sqliteWALLimitBytes is the size SQLite cuts its write-ahead log back to
// when it starts the log over. Far above the 4–5 MB the log holds between
// checkpoints, so a log that has not grown is never cut (cutting it would
// cost a truncate and growing it again).
const sqliteWALLimitBytes = 64 << 20

// SQLitePath is the file a sqlite:PATH URL names.
func SQLitePath(databaseURL string) string {
	return strings.TrimPrefix(databaseURL, "sqlite:")
}

// sqliteDSN sets the pragmas the store relies on: WAL so reads go on
// during a write, a busy timeout so writers queue rather than fail, full
// sync so a committed package survives a power cut, and immediate
// transactions so two writers never deadlock upgrading a read lock.
//
// Reads go through a memory map of the first mmapBytes of the file.
// Without it every page a read needs beyond the connection's 2 MB page
// cache is a pread and a copy, and a list of a gate on a million rows took
// 3.8–5.3 ms of CPU; mapped, 2.5–3.3 ms. The price, as SQLite documents
// it: an I/O error while reading the mapped file is a signal that stops
// the process, not an error the request can answer with. And each
// connection maps the file apart, so the kernel counts a page read in the
// resident set once for every connection that read it.
//
// A read that lasts holds back the checkpoint, and the write-ahead log
// grows meanwhile; SQLite keeps the file at its largest size unless a
// journal size limit is set, so one slow client's list would leave
// gigabytes on disk until the server restarts. With the limit, the log is
// cut back to it when SQLite starts it over after a checkpoint.
func sqliteDSN(path string, mmapBytes int64) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "mmap_size("+strconv.FormatInt(mmapBytes, 10)+")")
	q.Add("_pragma", "journal_size_limit("+strconv.FormatInt(sqliteWALLimitBytes, 10)+")")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Dialect reports the database's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the connection pool, for tests and benchmarks that inspect
// the database directly.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the prepared statements and the connection pool.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool {
		v.(*sqlx.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// stmt returns a query prepared, once. The hot queries' texts come from a
// small set (a few column lists times a few filters), and a prepared
// statement spares the database parsing and planning it on every request,
// and lib/pq a round trip: the link lookup of a download went from about
// 220 µs to 80 µs on PostgreSQL.
func (s *Store) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if v, ok := s.stmts.Load(query); ok {
		return v.(*sqlx.Stmt), nil
	}
	prepared, err := s.db.PreparexContext(ctx, s.rebind(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if v, loaded := s.stmts.LoadOrStore(query, prepared); loaded {
		prepared.Close()
		return v.(*sqlx.Stmt), nil
	}
	return prepared, nil
}

// stmtIn is stmt's prepared query, bound to tx when there is one.
//
// On PostgreSQL, within a transaction, a query not prepared yet is
// prepared on the transaction's own connection, and on the pool in the
// background for the next time. Preparing it on the pool there would wait
// for a second connection while the transaction holds one: as many
// writers as the pool has connections, each the first of its kind after a
// start, waited for each other for good. SQLite's writes take turns, one
// transaction at a time (commit), so a second connection always comes
// free, and a prepare in the background would only take read locks
// beside the writer.
func (s *Store) stmtIn(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	if tx == nil || s.queueWrites {
		stmt, err := s.stmt(ctx, query)
		if err != nil || tx == nil {
			return stmt, err
		}
		return tx.StmtxContext(ctx, stmt), nil
	}
	if v, ok := s.stmts.Load(query); ok {
		return tx.StmtxContext(ctx, v.(*sqlx.Stmt)), nil
	}
	// A prepare that fails leaves the query to be prepared again; the
	// store may be closed by then, and nothing waits for it.
	go func() { _, _ = s.stmt(context.WithoutCancel(ctx), query) }()
	prepared, err := tx.PreparexContext(ctx, s.rebind(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return prepared, nil
}

// Migrate applies every pending migration and returns the versions it
// applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	fsys, err := migrations.FS(string(s.dialect))
	if err != nil {
		return nil, err
	}
	gooseDialect := goose.DialectPostgres
	if s.dialect == SQLite {
		gooseDialect = goose.DialectSQLite3
	}
	provider, err := goose.NewProvider(gooseDialect, s.db.DB, fsys)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// queryer is what both *sqlx.DB and *sqlx.Tx offer, so a query can run
// inside or outside a transaction as its caller decides.
type queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

var (
	_ queryer = (*sqlx.DB)(nil)
	_ queryer = (*sqlx.Tx)(nil)
)

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Rolls back on an error and on a panic, which would otherwise leave
	// the transaction open with its connection (and, on SQLite, the write
	// lock); after a commit it does nothing.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	return nil
}

// rebind turns ? placeholders into the dialect's own.
func (s *Store) rebind(query string) string { return s.db.Rebind(query) }

// at is a time as the dialect stores it.
func (s *Store) at(t time.Time) any {
	if s.dialect == SQLite {
		return t.UnixMicro()
	}
	return t.UTC()
}

// atOrNil is at for an optional time.
func (s *Store) atOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.at(*t)
}
