package store

import (
	"context"
	"fmt"
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
