package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// writeFunc is one write the store makes: its statements, run in tx, or
// on the pool in autocommit when tx is nil.
type writeFunc func(ctx context.Context, tx *sqlx.Tx) error

// commit runs a write and returns once it is durable, or has failed and
// left nothing behind. several says it has more than one statement and
// needs a transaction even alone.
//
// PostgreSQL's writers commit side by side, and PostgreSQL flushes the WAL
// once for the commits that wait together. SQLite lets one writer in at a
// time and flushes its log on every commit: DELETEs there stopped at
// 2,300–2,700 a second at c=32, each waiting in turn for the fsync
// before it, where the same host without the fsync answered 6,100–6,500.
// So on SQLite the writes that arrive while one commits wait together
// (a batchQueue), and the next commit takes them all in one transaction,
// each in a savepoint of its own so that one failing leaves the others'.
// Nothing waits on purpose: a write alone commits at once, as before.
func (s *Store) commit(ctx context.Context, several bool, fn writeFunc) error {
	if !s.queueWrites {
		return s.commitAlone(ctx, several, fn)
	}
	w := &pendingWrite{ctx: ctx, several: several, fn: fn}
	if err := s.writes.do(ctx, w, s.commitBatch); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return w.err
}

// commitAlone commits a write by itself: in a transaction of its own if
// it has several statements, else in autocommit.
func (s *Store) commitAlone(ctx context.Context, several bool, fn writeFunc) error {
	if several {
		return s.inTx(ctx, func(tx *sqlx.Tx) error { return fn(ctx, tx) })
	}
	return fn(ctx, nil)
}

// pendingWrite is a write in SQLite's queue and, once its batch has run,
// its outcome.
type pendingWrite struct {
	ctx     context.Context
	several bool
	fn      writeFunc
	err     error
}

// commitBatch commits the writes of a batch, setting each one's err.
func (s *Store) commitBatch(batch []*pendingWrite) {
	finished := false
	defer func() {
		if !finished {
			// A write panicked, and its transaction was rolled back:
			// none of the batch is known to be stored.
			for _, w := range batch {
				w.err = errors.New("commit: a write committed with this one panicked; neither was stored")
			}
		}
	}()
	s.runBatch(batch)
	finished = true
}

// runBatch runs the writes of a batch, setting each one's err.
func (s *Store) runBatch(batch []*pendingWrite) {
	if len(batch) == 1 {
		w := batch[0]
		w.err = s.commitAlone(w.ctx, w.several, w.fn)
		return
	}
	// One request's cancellation must not reach the others' transaction:
	// SQLite rolls back the whole transaction when a statement in it is
	// interrupted. A write whose request is gone by now is left out; once
	// begun, each is committed.
	ctx := context.WithoutCancel(batch[0].ctx)
	failAll := func(err error) {
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	// After a commit this does nothing; after a panic it frees SQLite's
	// write lock, which the open transaction holds.
	defer func() { _ = tx.Rollback() }()
	for _, w := range batch {
		if w.err = w.ctx.Err(); w.err != nil {
			continue
		}
		if err := s.inSavepoint(ctx, tx, w); err != nil {
			failAll(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("commit: %w", mapError(err)))
	}
}

// inSavepoint runs one write of a batch in a savepoint, which its failure
// rolls back, leaving the writes before it. The error returned is one the
// transaction cannot go on after; the write's own is in w.err.
func (s *Store) inSavepoint(ctx context.Context, tx *sqlx.Tx, w *pendingWrite) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT batched_write"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if w.err = w.fn(ctx, tx); w.err != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO batched_write"); err != nil {
			return errors.Join(w.err, fmt.Errorf("roll back to savepoint: %w", err))
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE batched_write"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
