package main

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	_ "modernc.org/sqlite" // the embedded SQLite driver, as the host uses
)

// packageColumns are the columns store.Insert writes; seq is the
// database's own, in the order the rows arrive.
var packageColumns = []string{
	"id", "direction", "kind", "uid", "type", "guid", "gate", "code", "filename", "link", "link_path",
	"size", "sha256", "client_ip", "sent_at", "date_in", "attrs",
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// writePostgres loads the subscribers and the packages with COPY, in one
// stream each, then vacuums and analyzes as autovacuum would have.
func writePostgres(ctx context.Context, dbURL string, g *generator) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if err := checkEmpty(func(q string) (int64, error) {
		var n int64
		err := conn.QueryRow(ctx, q).Scan(&n)
		return n, err
	}); err != nil {
		return err
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"subscribers"}, []string{"direction", "guid", "gate"},
		pgx.CopyFromSlice(len(g.subs), func(i int) ([]any, error) {
			s := &g.subs[i]
			return []any{dirNames[s.dir], s.guid, s.gate}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy subscribers: %w", err)
	}
	// The gates' and the mailings' versions (migrations 00003 and 00004)
	// are counted once, after the COPY, as the triggers would have counted
	// them row by row: in one transaction of a million rows, each version
	// row would otherwise be updated thousands of times over its own dead
	// versions, which made the COPY five times slower.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{
		`ALTER TABLE packages DISABLE TRIGGER packages_list_version_insert`,
		`ALTER TABLE packages DISABLE TRIGGER packages_mailing_version_insert`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("disable the version triggers: %w", err)
		}
	}
	next, stop := iter.Pull(g.rows())
	defer stop()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"packages"}, packageColumns, pgx.CopyFromFunc(func() ([]any, error) {
		rw, ok := next()
		if !ok {
			return nil, nil
		}
		return []any{
			pgtype.UUID{Bytes: rw.id, Valid: true}, rw.direction, rw.kind, rw.uid, null(rw.typ), null(rw.guid),
			null(rw.gate), null(rw.code), rw.filename, null(rw.link), null(rw.linkPath), rw.size, rw.sha256,
			nil, nil, rw.dateIn, rw.attrs,
		}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy packages: %w", err)
	}
	for _, q := range []string{
		`ALTER TABLE packages ENABLE TRIGGER packages_list_version_insert`,
		`ALTER TABLE packages ENABLE TRIGGER packages_mailing_version_insert`,
		`INSERT INTO list_versions (direction, gate, version)
			SELECT direction, gate, count(*) FROM packages WHERE kind = 'inbound' AND gate IS NOT NULL GROUP BY direction, gate`,
		`INSERT INTO mailing_versions (direction, version)
			SELECT direction, count(*) FROM packages WHERE kind = 'mailing' GROUP BY direction`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("count the versions: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit packages: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seed: copied %d packages\n", n)
	for _, q := range []string{"VACUUM ANALYZE packages", "VACUUM ANALYZE subscribers"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// sqliteBatch rows go in one INSERT: 17 columns each, well under SQLite's
// limit on parameters.
const sqliteBatch = 500

// writeSQLite loads everything with multi-row INSERTs in one transaction.
// Durability is off while seeding (a crash would only mean seeding again);
// the host opens the file with its own settings.
func writeSQLite(ctx context.Context, path string, g *generator) error {
	q := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)&_txlock=immediate"
	db, err := sql.Open("sqlite", q)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := checkEmpty(func(q string) (int64, error) {
		var n int64
		err := db.QueryRowContext(ctx, q).Scan(&n)
		return n, err
	}); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	subArgs := make([]any, 0, 3*sqliteBatch)
	flushSubs := func() error {
		if len(subArgs) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, multiInsert("subscribers", []string{"direction", "guid", "gate"}, len(subArgs)/3), subArgs...)
		subArgs = subArgs[:0]
		return err
	}
	for i := range g.subs {
		s := &g.subs[i]
		subArgs = append(subArgs, dirNames[s.dir], s.guid, s.gate)
		if len(subArgs) == cap(subArgs) {
			if err := flushSubs(); err != nil {
				return fmt.Errorf("insert subscribers: %w", err)
			}
		}
	}
	if err := flushSubs(); err != nil {
		return fmt.Errorf("insert subscribers: %w", err)
	}
	width := len(packageColumns)
	stmt, err := tx.PrepareContext(ctx, multiInsert("packages", packageColumns, sqliteBatch))
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, 0, width*sqliteBatch)
	total := 0
	for rw := range g.rows() {
		args = append(args, rw.idString(), rw.direction, rw.kind, rw.uid, null(rw.typ), null(rw.guid),
			null(rw.gate), null(rw.code), rw.filename, null(rw.link), null(rw.linkPath), rw.size, rw.sha256,
			nil, nil, rw.dateIn.UnixMicro(), rw.attrs)
		if len(args) == cap(args) {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert packages: %w", err)
			}
			total += sqliteBatch
			args = args[:0]
		}
	}
	if len(args) > 0 {
		if _, err := tx.ExecContext(ctx, multiInsert("packages", packageColumns, len(args)/width), args...); err != nil {
			return fmt.Errorf("insert packages: %w", err)
		}
		total += len(args) / width
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seed: inserted %d packages\n", total)
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

func checkEmpty(count func(string) (int64, error)) error {
	n, err := count("SELECT count(*) FROM packages")
	if err != nil {
		return fmt.Errorf("the database is not migrated (run reportgate migrate first): %w", err)
	}
	if n > 0 {
		return fmt.Errorf("packages already holds %d rows: seed a fresh database", n)
	}
	return nil
}

func multiInsert(table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// writeBlob stores bytes where the host's local blob store keeps a
// package: dir/packages/<last two hex digits of the id>/<id>.
func writeBlob(dir, id string, data []byte) (string, error) {
	path, err := blobPath(dir, id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, data, 0o640); err != nil {
		return "", err
	}
	return filepath.Abs(path)
}

// linkBlob gives the package id the bytes of file, as a hard link in the
// blob store's layout.
func linkBlob(dir, id, file string) error {
	path, err := blobPath(dir, id)
	if err != nil {
		return err
	}
	return os.Link(file, path)
}

// blobPath is where the blob store keeps a package's bytes, its folder
// made.
func blobPath(dir, id string) (string, error) {
	shard := filepath.Join(dir, "packages", id[len(id)-2:])
	if err := os.MkdirAll(shard, 0o750); err != nil {
		return "", err
	}
	return filepath.Join(shard, id), nil
}
