package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

const insertQuery = `INSERT INTO packages
	(id, direction, kind, uid, type, guid, gate, code, filename, link, link_path,
	 size, sha256, client_ip, sent_at, date_in, attrs)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`

// Insert stores a package row. When the package names both a guid and a
// gate, it also records that the guid belongs to that gate, and refuses
// with ErrGateConflict if it already belongs to another.
func (s *Store) Insert(ctx context.Context, p *Package) error {
	if p.GUID == "" || p.Gate == "" {
		// One statement needs no transaction of its own: it commits alone,
		// in one round trip instead of three.
		return s.commit(ctx, false, func(ctx context.Context, tx *sqlx.Tx) error { return s.insert(ctx, tx, p) })
	}
	return s.commit(ctx, true, func(ctx context.Context, tx *sqlx.Tx) error {
		if err := s.bindGate(ctx, tx, p.Direction, string(p.GUID), string(p.Gate)); err != nil {
			return err
		}
		return s.insert(ctx, tx, p)
	})
}

// insert writes the row, in tx when there is one.
func (s *Store) insert(ctx context.Context, tx *sqlx.Tx, p *Package) error {
	stmt, err := s.stmtIn(ctx, tx, insertQuery)
	if err != nil {
		return fmt.Errorf("insert package: %w", err)
	}
	err = returning(ctx, stmt, func(rows *sqlx.Rows) error { return rows.Scan(&p.Seq) },
		p.ID, p.Direction, p.Kind, p.UID, p.Type, p.GUID, p.Gate, p.Code, p.Filename, p.Link, p.LinkPath,
		p.Size, p.SHA256, p.ClientIP, s.atOrNil(p.SentAt.Ptr()), s.at(p.DateIn.Time), p.Attrs)
	if err != nil {
		return fmt.Errorf("insert package: %w", err)
	}
	return nil
}

// returning runs a write with a RETURNING clause, scans the first row it
// returns and reads the rest to the end; no row is ErrNotFound.
//
// Reading to the end is what lets SQLite's WAL be checkpointed. An
// autocommit statement commits when it finishes, and SQLite runs its
// automatic checkpoint (the WAL hook) only when sqlite3_step itself steps
// the statement to its end. QueryRow stops after the first row, and the
// statement then finished in sqlite3_reset, which commits without the
// hook: uploads, DELETEs and acks never checkpointed, and in a benchmark
// run the WAL grew to 1.1 GB, a frame for every page they ever wrote,
// each page read searching all of it.
func returning(ctx context.Context, stmt *sqlx.Stmt, scan func(*sqlx.Rows) error, args ...any) error {
	rows, err := stmt.QueryxContext(ctx, args...)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		if found {
			continue
		}
		if err := scan(rows); err != nil {
			return mapError(err)
		}
		found = true
	}
	if err := rows.Err(); err != nil {
		return mapError(err)
	}
	if !found {
		return ErrNotFound
	}
	return nil
}

func (s *Store) bindGate(ctx context.Context, q queryer, direction, guid, gate string) error {
	_, err := q.ExecContext(ctx, s.rebind(`INSERT INTO subscribers (direction, guid, gate) VALUES (?, ?, ?)
		ON CONFLICT (direction, guid) DO NOTHING`), direction, guid, gate)
	if err != nil {
		return fmt.Errorf("bind guid to gate: %w", mapError(err))
	}
	known, err := s.gateOf(ctx, q, direction, guid)
	if err != nil {
		return err
	}
	if known != gate {
		return ErrGateConflict
	}
	return nil
}

// GateOf returns the gate a guid belongs to in a direction, or
// ErrNotFound.
func (s *Store) GateOf(ctx context.Context, direction, guid string) (string, error) {
	return s.gateOf(ctx, s.db, direction, guid)
}

func (s *Store) gateOf(ctx context.Context, q queryer, direction, guid string) (string, error) {
	var gate string
	err := q.GetContext(ctx, &gate, s.rebind(`SELECT gate FROM subscribers WHERE direction = ? AND guid = ?`), direction, guid)
	if err != nil {
		return "", fmt.Errorf("gate of %s: %w", guid, mapError(err))
	}
	return gate, nil
}

// InboundFilter selects a subscriber's list. Empty GUID and Gate match any.
type InboundFilter struct {
	Direction, Type, GUID, Gate string
}

// EachInbound calls fn with every inbound package the filter selects that
// is not deleted, oldest first, read for the fields of the shape, as the
// rows are read: a list of any length is written without being held in
// memory. The row is valid only until fn returns.
func (s *Store) EachInbound(ctx context.Context, f InboundFilter, shape RowShape, fn func(*Row) error) error {
	query, args := inboundQuery(f, shape.columns)
	return s.each(ctx, query, args, shape, fn)
}

// inboundQuery is the list's SQL. Each combination of filters has an
// index of its own (see the migrations).
func inboundQuery(f InboundFilter, columns string) (string, []any) {
	query := `SELECT ` + columns + ` FROM packages
		WHERE kind = 'inbound' AND deleted_at IS NULL AND direction = ? AND type = ?`
	args := []any{f.Direction, f.Type}
	if f.GUID != "" {
		query += ` AND guid = ?`
		args = append(args, f.GUID)
	}
	if f.Gate != "" {
		query += ` AND gate = ?`
		args = append(args, f.Gate)
	}
	return query + ` ORDER BY seq`, args
}

// MailingFilter selects mass mailings received in [Since, Until). An
// empty Code matches any.
type MailingFilter struct {
	Direction, Code string
	Since, Until    time.Time
}

// EachMailing calls fn with every mailing the filter selects, oldest
// first, read for the fields of the shape; the row is valid only until fn
// returns.
func (s *Store) EachMailing(ctx context.Context, f MailingFilter, shape RowShape, fn func(*Row) error) error {
	query, args := s.mailingQuery(f, shape.columns)
	return s.each(ctx, query, args, shape, fn)
}

// mailingQuery is the massreport's SQL.
func (s *Store) mailingQuery(f MailingFilter, columns string) (string, []any) {
	from := `packages`
	if f.Code != "" && s.dialect == SQLite {
		// SQLite's planner takes the date index for a code and a range,
		// even analysed, and scans a day's mailings of every office: 1.4 ms
		// instead of 20 µs a query at a million rows in the benchmark.
		from = `packages INDEXED BY packages_mailing_code`
	}
	query := `SELECT ` + columns + ` FROM ` + from + `
		WHERE kind = 'mailing' AND direction = ?`
	args := []any{f.Direction}
	if f.Code != "" {
		query += ` AND code = ?`
		args = append(args, f.Code)
	}
	query += ` AND date_in >= ? AND date_in < ? ORDER BY date_in, seq`
	return query, append(args, s.at(f.Since), s.at(f.Until))
}

func (s *Store) each(ctx context.Context, query string, args []any, shape RowShape, fn func(*Row) error) error {
	stmt, err := s.stmt(ctx, query)
	if err != nil {
		return fmt.Errorf("query packages: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("query packages: %w", err)
	}
	defer rows.Close()
	var r Row
	dests := shape.dests(&r)
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return fmt.Errorf("read package: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read packages: %w", err)
	}
	return nil
}

// The lookups by link and the outbox page, each served by an index.
const (
	// A download needs no more than these, and reads them on every GET.
	byLinkQuery = `SELECT id, direction, kind, filename, size, sha256, date_in, purged_at
		FROM packages WHERE link_path = ?`
	// outboxQuery pages PostgreSQL's outbox in commit order: see the
	// migration 00002. SQLite's single writer commits in seq order.
	// The text of txid takes a name of its own: ORDER BY txid would
	// otherwise sort by that text, and "1000" < "999" would page
	// uploads out of order and skip some.
	outboxQuery = `SELECT ` + packageColumns + `, txid::text AS txid_text FROM packages
		WHERE kind = 'upload' AND acked_at IS NULL AND direction = ?
		AND (txid, seq) > (?::xid8, ?) AND txid < (` + outboxHorizon + `)
		ORDER BY packages.txid, packages.seq LIMIT ?`
	// outboxHorizon is the oldest transaction still running that could
	// yet commit an upload: the oldest in this statement's snapshot,
	// leaving out those shown to run in another database, which cannot
	// write to this one. Without that, any long writing transaction on the
	// server, in any database, held the outbox back. A transaction not
	// found running any more is kept: it may be this database's, ended
	// after the snapshot, and its uploads are not in this page. pg_locks
	// holds a transaction's 32-bit id, the snapshot its 64-bit one.
	outboxHorizon = `SELECT COALESCE(min(x), pg_snapshot_xmax(pg_current_snapshot()))
		FROM pg_snapshot_xip(pg_current_snapshot()) AS x
		WHERE NOT EXISTS (
			SELECT 1 FROM pg_lock_status() l JOIN pg_stat_get_activity(NULL) a ON a.pid = l.pid
			WHERE l.locktype = 'transactionid' AND l.transactionid::text::numeric = x::text::numeric % 4294967296
			AND a.datid <> (SELECT datid FROM pg_stat_get_activity(pg_backend_pid())))`
	outboxQuerySQLite = `SELECT ` + packageColumns + `, '0' AS txid_text FROM packages
		WHERE kind = 'upload' AND acked_at IS NULL AND direction = ? AND seq > ?
		ORDER BY seq LIMIT ?`
)

// ByLink returns the package whose link, without leading slashes, is
// path, with what a download needs: its id, direction, kind, file name,
// size, digest, receipt and purge times.
func (s *Store) ByLink(ctx context.Context, path string) (*Package, error) {
	stmt, err := s.stmt(ctx, byLinkQuery)
	if err != nil {
		return nil, fmt.Errorf("get package by link: %w", err)
	}
	var p Package
	err = stmt.QueryRowContext(ctx, path).
		Scan(&p.ID, &p.Direction, &p.Kind, &p.Filename, &p.Size, &p.SHA256, &p.DateIn, &p.PurgedAt)
	if err != nil {
		return nil, fmt.Errorf("get package by link: %w", mapError(err))
	}
	return &p, nil
}

// GateVersion counts the changes to a gate's inbound packages in a
// direction: any insert, update or delete of one, by anyone, moves it on,
// in the same transaction (a trigger; see migration 00003). A gate never
// changed is at 0. Read before a list, it tells whether the list read
// after it is still current: a change committed between the two moves
// the version past the one read, never the other way.
//
// On PostgreSQL the lookups that arrive while one runs wait together, and
// the next reads all their versions in one query (a batchQueue): each is
// read by a query that began after it arrived, so it sees every change
// committed before. The version lookup was half the machine's CPU a kept
// list of a gate: a host that skipped it served 1.78 times the lists at
// c=32 (hand runs, the hosts taking turns). SQLite, in the process,
// reads each at once.
func (s *Store) GateVersion(ctx context.Context, direction, gate string) (int64, error) {
	return s.version(ctx, versionKey{direction: direction, gate: gate})
}

// MailingVersion counts the changes to a direction's mass mailings, as
// GateVersion does a gate's inbound packages (migration 00004): a mailing
// published, changed or removed moves it on; a write that leaves a
// mailing's row as it was does not. A direction never changed is at 0.
func (s *Store) MailingVersion(ctx context.Context, direction string) (int64, error) {
	return s.version(ctx, versionKey{direction: direction, mailings: true})
}

// versionKey names what a version counts: the changes to a gate's inbound
// packages in a direction, or, with mailings, to a direction's mass
// mailings.
type versionKey struct {
	direction, gate string
	mailings        bool
}

func (s *Store) version(ctx context.Context, key versionKey) (int64, error) {
	if s.dialect == SQLite {
		return s.versionAlone(ctx, key)
	}
	l := &versionLookup{ctx: ctx, key: key}
	if err := s.versionLookups.do(ctx, l, s.lookUpVersions); err != nil {
		return 0, fmt.Errorf("read list version: %w", err)
	}
	return l.version, l.err
}

// versionAlone reads one version.
func (s *Store) versionAlone(ctx context.Context, key versionKey) (int64, error) {
	query, args := `SELECT version FROM list_versions WHERE direction = ? AND gate = ?`, []any{key.direction, key.gate}
	if key.mailings {
		query, args = `SELECT version FROM mailing_versions WHERE direction = ?`, []any{key.direction}
	}
	stmt, err := s.stmt(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("read list version: %w", err)
	}
	var v int64
	err = stmt.QueryRowContext(ctx, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read list version: %w", err)
	}
	return v, nil
}

// versionLookup is a version asked for on PostgreSQL and, once its batch
// has run, the answer.
type versionLookup struct {
	ctx     context.Context
	key     versionKey
	version int64
	err     error
}

// lookUpVersions reads the versions of a batch of lookups, setting each
// one's version or err. A lookup whose request is gone by now is left
// out; the others are read in one query, which no one request's
// cancellation stops, but which stops once every one of them is gone.
func (s *Store) lookUpVersions(batch []*versionLookup) {
	if len(batch) == 1 {
		l := batch[0]
		l.version, l.err = s.versionAlone(l.ctx, l.key)
		return
	}
	var live []*versionLookup
	var liveCtxs []context.Context
	var gateDirections, gates, mailingDirections []string
	for _, l := range batch {
		if l.err = l.ctx.Err(); l.err != nil {
			continue
		}
		live, liveCtxs = append(live, l), append(liveCtxs, l.ctx)
		if l.key.mailings {
			mailingDirections = append(mailingDirections, l.key.direction)
		} else {
			gateDirections = append(gateDirections, l.key.direction)
			gates = append(gates, l.key.gate)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := untilAllDone(liveCtxs)
	defer cancel()
	versions, err := s.versions(ctx, gateDirections, gates, mailingDirections)
	for _, l := range live {
		l.version, l.err = versions[l.key], err
	}
}

// versions reads, on PostgreSQL, the versions of several gates, given as
// a direction and a gate each, and of several directions' mailings, in
// one query; what was never changed has no row and reads as 0.
func (s *Store) versions(ctx context.Context, gateDirections, gates, mailingDirections []string) (map[versionKey]int64, error) {
	stmt, err := s.stmt(ctx, `SELECT v.direction, v.gate, v.version FROM list_versions v
		JOIN unnest(?::text[], ?::text[]) AS asked(direction, gate)
		ON v.direction = asked.direction AND v.gate = asked.gate
		UNION ALL
		SELECT m.direction, NULL, m.version FROM mailing_versions m WHERE m.direction = ANY(?::text[])`)
	if err != nil {
		return nil, fmt.Errorf("read list versions: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, pq.Array(gateDirections), pq.Array(gates), pq.Array(mailingDirections))
	if err != nil {
		return nil, fmt.Errorf("read list versions: %w", err)
	}
	defer rows.Close()
	versions := make(map[versionKey]int64, len(gates)+len(mailingDirections))
	for rows.Next() {
		var (
			k    versionKey
			gate sql.NullString
			v    int64
		)
		if err := rows.Scan(&k.direction, &gate, &v); err != nil {
			return nil, fmt.Errorf("read list versions: %w", err)
		}
		k.gate, k.mailings = gate.String, !gate.Valid
		versions[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read list versions: %w", err)
	}
	return versions, nil
}

// ByID returns the package with the id.
func (s *Store) ByID(ctx context.Context, id string) (*Package, error) {
	return s.one(ctx, `SELECT `+packageColumns+` FROM packages WHERE id = ?`, id)
}

// written commits a one-statement write with RETURNING and gives the
// package it changed, or ErrNotFound.
func (s *Store) written(ctx context.Context, query string, args ...any) (*Package, error) {
	var p Package
	err := s.commit(ctx, false, func(ctx context.Context, tx *sqlx.Tx) error {
		stmt, err := s.stmtIn(ctx, tx, query)
		if err != nil {
			return err
		}
		return returning(ctx, stmt, func(rows *sqlx.Rows) error { return rows.StructScan(&p) }, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("write package: %w", err)
	}
	return &p, nil
}

func (s *Store) one(ctx context.Context, query string, args ...any) (*Package, error) {
	stmt, err := s.stmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("get package: %w", err)
	}
	var p Package
	if err := stmt.GetContext(ctx, &p, args...); err != nil {
		return nil, fmt.Errorf("get package: %w", mapError(err))
	}
	return &p, nil
}

// MarkDeleted takes the inbound package at a link off every list,
// recording when; a package already deleted keeps its first date, and a
// mass mailing, which is every subscriber's, is left as it is. Only
// packages of the listed directions are touched. It returns the package,
// or ErrNotFound.
func (s *Store) MarkDeleted(ctx context.Context, path string, directions []string, at time.Time) (*Package, error) {
	if len(directions) == 0 {
		return nil, ErrNotFound
	}
	query, args, err := sqlx.In(`UPDATE packages
		SET deleted_at = CASE WHEN kind = 'inbound' THEN COALESCE(deleted_at, ?) ELSE deleted_at END
		WHERE link_path = ? AND direction IN (?) RETURNING `+packageColumns, s.at(at), path, directions)
	if err != nil {
		return nil, fmt.Errorf("build delete: %w", err)
	}
	return s.written(ctx, query, args...)
}

// Ack records that an upload was forwarded to the regulator; acking again
// keeps the first date. It returns ErrNotFound for an unknown id, and for
// a package that is not an upload.
func (s *Store) Ack(ctx context.Context, id string, at time.Time) (*Package, error) {
	return s.written(ctx, `UPDATE packages SET acked_at = COALESCE(acked_at, ?)
		WHERE id = ? AND kind = 'upload' RETURNING `+packageColumns, s.at(at), id)
}

// Cursor is a position in a direction's outbox.
type Cursor struct {
	// TxID is the inserting transaction's id, on PostgreSQL; 0 on SQLite.
	TxID uint64
	// Seq is the package's sequence number.
	Seq int64
}

// Queued is an upload in the outbox, with the cursor that follows it.
type Queued struct {
	Package
	TxID string `db:"txid_text"`
}

// Cursor is the position just after the upload.
func (q *Queued) Cursor() Cursor {
	txid, _ := strconv.ParseUint(q.TxID, 10, 64)
	return Cursor{TxID: txid, Seq: q.Seq}
}

// Outbox returns up to limit uploads of a direction not yet acknowledged,
// after the cursor, in commit order. An upload becomes visible here only
// once every upload that could come before it has committed, so paging on
// never skips one.
func (s *Store) Outbox(ctx context.Context, direction string, after Cursor, limit int) ([]Queued, error) {
	var out []Queued
	var err error
	if s.dialect == Postgres {
		err = s.db.SelectContext(ctx, &out, s.rebind(outboxQuery),
			direction, strconv.FormatUint(after.TxID, 10), after.Seq, limit)
	} else {
		err = s.db.SelectContext(ctx, &out, s.rebind(outboxQuerySQLite), direction, after.Seq, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox of %s: %w", direction, err)
	}
	return out, nil
}

// Purgeable returns up to limit packages deleted before the time whose
// bytes are still kept.
func (s *Store) Purgeable(ctx context.Context, before time.Time, limit int) ([]Package, error) {
	var out []Package
	err := s.db.SelectContext(ctx, &out, s.rebind(`SELECT `+packageColumns+` FROM packages
		WHERE deleted_at IS NOT NULL AND purged_at IS NULL AND deleted_at < ?
		ORDER BY deleted_at LIMIT ?`), s.at(before), limit)
	if err != nil {
		return nil, fmt.Errorf("purgeable packages: %w", err)
	}
	return out, nil
}

// MarkPurged records that a package's bytes are gone.
func (s *Store) MarkPurged(ctx context.Context, id string, at time.Time) error {
	err := s.commit(ctx, false, func(ctx context.Context, tx *sqlx.Tx) error {
		var q queryer = s.db
		if tx != nil {
			q = tx
		}
		_, err := q.ExecContext(ctx, s.rebind(`UPDATE packages SET purged_at = ? WHERE id = ?`), s.at(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %s purged: %w", id, err)
	}
	return nil
}

// Existing returns which of the ids have a row.
func (s *Store) Existing(ctx context.Context, ids []string) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	query, args, err := sqlx.In(`SELECT id FROM packages WHERE id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("build id query: %w", err)
	}
	var have []string
	if err := s.db.SelectContext(ctx, &have, s.rebind(query), args...); err != nil {
		return nil, fmt.Errorf("look up ids: %w", err)
	}
	for _, id := range have {
		found[id] = true
	}
	return found, nil
}

// IsNotFound reports whether err is a lookup that matched nothing.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
