package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// TestSQLiteWritesCheckpointTheWAL: each kind of write the host makes one
// at a time lets SQLite checkpoint and restart its write-ahead log, so the
// log stays near wal_autocheckpoint (1,000 frames) however many writes
// there are. An upload's insert, a DELETE and an ack are single
// statements with RETURNING; stopped after their first row, they committed
// without the checkpoint, and the log kept every frame they wrote.
func TestSQLiteWritesCheckpointTheWAL(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.SQLite(t))
	const writes = 1500
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

	var uploads, inbound []*Package
	for i := range writes {
		inbound = append(inbound, deliveryPackage(fmt.Sprintf("guid-%d", i), "gate"))
		if err := s.Insert(ctx, inbound[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Asking checkpoints the log, so each phase starts from one SQLite
	// may restart.
	walFrames(t, s)

	for _, phase := range []struct {
		name  string
		write func(i int) error
	}{
		{"upload", func(i int) error {
			uploads = append(uploads, uploadPackage())
			return s.Insert(ctx, uploads[i])
		}},
		{"delete", func(i int) error {
			_, err := s.MarkDeleted(ctx, string(inbound[i].LinkPath), []string{"fns"}, now)
			return err
		}},
		{"ack", func(i int) error {
			_, err := s.Ack(ctx, uploads[i].ID, now)
			return err
		}},
	} {
		for i := range writes {
			if err := phase.write(i); err != nil {
				t.Fatalf("%s %d: %v", phase.name, i, err)
			}
		}
		// A restart follows a complete checkpoint at the next write, so
		// the log holds at most the 1,000 frames before one and the
		// frames of the few writes after it.
		if frames := walFrames(t, s); frames > 1200 {
			t.Errorf("after %d writes of %s the log holds %d frames: SQLite never restarted it", writes, phase.name, frames)
		}
	}
}

// TestSQLiteCutsAGrownWALBack: a log that one long transaction grew past
// the journal size limit is cut back to the limit when SQLite starts it
// over, instead of keeping its largest size on disk until the server
// restarts. A read that lasts grows the log the same way; one large write
// is the quicker way to grow it here.
func TestSQLiteCutsAGrownWALBack(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := openMigrated(t, db)
	walPath := SQLitePath(db.URL) + "-wal"

	const grownBytes = sqliteWALLimitBytes + 16<<20
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE filler AS
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		SELECT randomblob(4000) AS b FROM n`, grownBytes/4000); err != nil {
		t.Fatal(err)
	}
	grown, err := os.Stat(walPath)
	if err != nil {
		t.Fatal(err)
	}
	if grown.Size() < grownBytes {
		t.Fatalf("the log holds %d bytes after the large write, want at least %d", grown.Size(), grownBytes)
	}

	// The checkpoint copies the log into the database; the next write
	// starts the log over.
	walFrames(t, s)
	if err := s.Insert(ctx, uploadPackage()); err != nil {
		t.Fatal(err)
	}
	cut, err := os.Stat(walPath)
	if err != nil {
		t.Fatal(err)
	}
	if cut.Size() > sqliteWALLimitBytes {
		t.Errorf("the log holds %d bytes after SQLite started it over, want at most %d", cut.Size(), sqliteWALLimitBytes)
	}
}
