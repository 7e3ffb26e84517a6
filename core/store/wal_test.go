package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSQLiteWritesCheckpointTheWAL: each kind of write the host makes one
// at a time lets SQLite checkpoint and restart its write-ahead log, so the
// log stays near wal_autocheckpoint (1,000 frames) however many writes
// there are. An upload's insert, a DELETE and an ack are single
// statements with RETURNING; stopped after their first row, they committed
// without the checkpoint, and the log kept every frame they wrote.
func TestSQLiteWritesCheckpointTheWAL(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+t.TempDir()+"/wal.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const writes = 1500
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	newPackage := func(kind Kind, i int) *Package {
		id := uuid.NewString()
		p := &Package{ID: id, Direction: "fns", Kind: kind, UID: id, Filename: "p.zip", Size: 1, SHA256: "00",
			DateIn: Time{Time: now}, Type: "1c"}
		if kind == KindInbound {
			p.GUID, p.Gate = NullString(fmt.Sprintf("guid-%d", i)), "gate"
			p.LinkPath = NullString("files/gate/" + id)
		}
		return p
	}
	// framesSinceRestart is how many frames the log holds now. Asking
	// checkpoints it, so each phase starts from a log SQLite may restart.
	framesSinceRestart := func() int {
		var busy, frames, checkpointed int
		if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &checkpointed); err != nil {
			t.Fatal(err)
		}
		return frames
	}

	var uploads, inbound []*Package
	for i := range writes {
		inbound = append(inbound, newPackage(KindInbound, i))
		if err := s.Insert(ctx, inbound[i]); err != nil {
			t.Fatal(err)
		}
	}
	framesSinceRestart()

	for _, phase := range []struct {
		name  string
		write func(i int) error
	}{
		{"upload", func(i int) error {
			uploads = append(uploads, newPackage(KindUpload, i))
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
		if frames := framesSinceRestart(); frames > 1200 {
			t.Errorf("after %d writes of %s the log holds %d frames: SQLite never restarted it", writes, phase.name, frames)
		}
	}
}
