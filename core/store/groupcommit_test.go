package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// openMigrated is a migrated store on a test database.
func openMigrated(t *testing.T, db storetest.Database) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// walFrames is how many frames SQLite's log holds, since it was last
// restarted. Asking checkpoints them.
func walFrames(t *testing.T, s *Store) int {
	t.Helper()
	var busy, frames, checkpointed int
	if err := s.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &checkpointed); err != nil {
		t.Fatal(err)
	}
	return frames
}

// heldCommit starts a write that leads and holds the queue until release
// is called, so that the writes started meanwhile wait together.
func heldCommit(t *testing.T, s *Store) (release func()) {
	t.Helper()
	hold, leading := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.commit(context.Background(), false, func(context.Context, *sqlx.Tx) error {
			close(leading)
			<-hold
			return nil
		})
	}()
	<-leading
	return func() { close(hold) }
}

func uploadPackage() *Package {
	id := uuid.NewString()
	return &Package{ID: id, Direction: "fns", Kind: KindUpload, UID: id, Filename: "p.zip", Size: 1, SHA256: "00",
		DateIn: Time{Time: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}}
}

func deliveryPackage(guid, gate string) *Package {
	p := uploadPackage()
	p.Kind, p.Type, p.GUID, p.Gate = KindInbound, "1c", NullString(guid), NullString(gate)
	p.LinkPath = NullString("files/" + gate + "/" + p.ID)
	return p
}

// TestSQLiteWritesWaitingTogetherCommitTogether: writes that queue behind
// a commit are committed by the next one, in one transaction, and each
// keeps its own outcome: a failing write leaves nothing, and the others
// are stored.
func TestSQLiteWritesWaitingTogetherCommitTogether(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.SQLite(t))
	bound := deliveryPackage("guid-bound", "gate-a")
	if err := s.Insert(ctx, bound); err != nil {
		t.Fatal(err)
	}
	walFrames(t, s) // the log is checkpointed, and the batch restarts it

	const uploads = 20
	type outcome struct {
		what string
		err  error
	}
	want := map[string]error{}
	results := make(chan outcome)
	start := func(what string, wantErr error, write func() error) {
		want[what] = wantErr
		go func() { results <- outcome{what, write()} }()
	}

	release := heldCommit(t, s)
	var stored []*Package
	for i := range uploads {
		p := uploadPackage()
		stored = append(stored, p)
		start(fmt.Sprintf("upload %d", i), nil, func() error { return s.Insert(ctx, p) })
	}
	start("delivery to another gate", ErrGateConflict, func() error { return s.Insert(ctx, deliveryPackage("guid-bound", "gate-b")) })
	duplicate := uploadPackage()
	duplicate.ID = bound.ID
	start("duplicate id", ErrDuplicate, func() error { return s.Insert(ctx, duplicate) })
	// Its guid is bound, then its row refused: the binding goes too.
	halfDone := deliveryPackage("guid-new", "gate-a")
	halfDone.ID = bound.ID
	start("delivery with a taken id", ErrDuplicate, func() error { return s.Insert(ctx, halfDone) })
	start("delete of an unknown link", ErrNotFound, func() error {
		_, err := s.MarkDeleted(ctx, "files/none", []string{"fns"}, time.Now())
		return err
	})
	start("delete", nil, func() error {
		_, err := s.MarkDeleted(ctx, string(bound.LinkPath), []string{"fns"}, time.Now())
		return err
	})
	cancelled, cancel := context.WithCancel(ctx)
	gone := uploadPackage()
	start("upload of a request gone", context.Canceled, func() error { return s.Insert(cancelled, gone) })
	awaitBatchQueued(t, &s.writes, len(want))
	cancel()
	release()

	for range want {
		got := <-results
		if wantErr := want[got.what]; wantErr == nil && got.err != nil || wantErr != nil && !errors.Is(got.err, wantErr) {
			t.Errorf("%s: %v, want %v", got.what, got.err, wantErr)
		}
	}
	for _, p := range stored {
		if _, err := s.ByID(ctx, p.ID); err != nil {
			t.Errorf("upload %s: %v", p.ID, err)
		}
	}
	if _, err := s.ByID(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the gone request's upload: %v, want it not stored", err)
	}
	if got, err := s.ByID(ctx, bound.ID); err != nil || !got.DeletedAt.Valid || got.Filename != bound.Filename {
		t.Errorf("the delivery after a delete and a duplicate: %+v, %v; want it deleted and as delivered", got, err)
	}
	if gate, err := s.GateOf(ctx, "fns", "guid-bound"); gate != "gate-a" || err != nil {
		t.Errorf("guid-bound belongs to %q (%v), want gate-a", gate, err)
	}
	if gate, err := s.GateOf(ctx, "fns", "guid-new"); !errors.Is(err, ErrNotFound) {
		t.Errorf("guid-new belongs to %q (%v), want no gate: its delivery was refused", gate, err)
	}
	// Twenty uploads committed one by one write some 5 frames each; in one
	// transaction they share their pages.
	if n := walFrames(t, s); n >= uploads {
		t.Errorf("the batch wrote %d frames for %d uploads and more: not one transaction", n, uploads)
	}
}

// TestStoreConcurrentWritesKeepTheirOutcomes: many writes at once, through
// the public API, on both databases: every upload and delivery stored,
// every conflicting delivery refused and absent.
func TestStoreConcurrentWritesKeepTheirOutcomes(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := openMigrated(t, db)
			const writers = 64
			errs := make(chan error, writers)
			var ok, refused []*Package
			for i := range writers {
				var p *Package
				switch i % 4 {
				case 0, 1:
					p = uploadPackage()
					ok = append(ok, p)
				case 2:
					p = deliveryPackage(fmt.Sprintf("guid-%d", i), "gate-a")
					ok = append(ok, p)
				case 3:
					// Bound to gate-a by the delivery before it or after it:
					// one of each pair is refused, whichever comes second.
					p = deliveryPackage(fmt.Sprintf("guid-%d", i-1), "gate-b")
					refused = append(refused, p)
				}
				go func() { errs <- s.Insert(ctx, p) }()
			}
			conflicts := 0
			for range writers {
				err := <-errs
				switch {
				case errors.Is(err, ErrGateConflict):
					conflicts++
				case err != nil:
					t.Errorf("insert: %v", err)
				}
			}
			if conflicts != len(refused) {
				t.Errorf("%d inserts refused for the gate, want %d", conflicts, len(refused))
			}
			stored := 0
			for _, p := range append(ok, refused...) {
				if _, err := s.ByID(ctx, p.ID); err == nil {
					stored++
				} else if !errors.Is(err, ErrNotFound) {
					t.Fatal(err)
				}
			}
			if stored != len(ok) {
				t.Errorf("%d packages stored, want %d", stored, len(ok))
			}
		})
	}
}

// TestSQLiteWritePanickingInABatch: a write that panics (a bug, which
// net/http recovers from) fails the writes committed with it, leaves
// none of them stored, and leaves the queue and SQLite's write lock free
// for the next writes.
func TestSQLiteWritePanickingInABatch(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.SQLite(t))
	release := heldCommit(t, s)
	errs := make(chan error, 2)
	recovering := func(write func() error) {
		defer func() {
			if r := recover(); r != nil {
				errs <- fmt.Errorf("panicked: %v", r)
			}
		}()
		errs <- write()
	}
	upload := uploadPackage()
	go recovering(func() error { return s.Insert(ctx, upload) })
	awaitBatchQueued(t, &s.writes, 1)
	go recovering(func() error {
		return s.commit(ctx, false, func(ctx context.Context, tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE packages SET filename = 'x'`); err != nil {
				return err
			}
			panic("a bug")
		})
	})
	awaitBatchQueued(t, &s.writes, 2)
	release()
	for range 2 {
		if err := <-errs; err == nil {
			t.Error("a write of the batch that panicked succeeded")
		}
	}
	if _, err := s.ByID(ctx, upload.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the upload committed with the panic: %v, want it not stored", err)
	}
	next := uploadPackage()
	done := make(chan error, 1)
	go func() { done <- s.Insert(ctx, next) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the write after the panic: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write after the panic still waits: the lead or SQLite's write lock was left held")
	}
}
