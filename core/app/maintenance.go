package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// purgeBatch is how many packages one purge round removes at most.
const purgeBatch = 500

// purgeLoop removes the bytes of packages deleted longer ago than the
// retention, after which their links answer 410.
func (a *App) purgeLoop(ctx context.Context) {
	ticker := time.NewTicker(a.cfg.Retention.Interval)
	defer ticker.Stop()
	for {
		if n, err := a.Purge(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Error("purge", "error", err)
		} else if n > 0 {
			a.log.Info("purged deleted packages", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Purge removes the bytes of every package deleted before now minus the
// retention, and returns how many it purged.
func (a *App) Purge(ctx context.Context, now time.Time) (int, error) {
	before := now.Add(-a.cfg.Retention.Deleted)
	total := 0
	for {
		batch, err := a.store.Purgeable(ctx, before, purgeBatch)
		if err != nil {
			return total, err
		}
		for _, p := range batch {
			if err := a.blobs.Remove(ctx, p.ID); err != nil {
				return total, err
			}
			if err := a.store.MarkPurged(ctx, p.ID, now); err != nil {
				return total, err
			}
			// Last: a record left by a crash before this line leads a
			// download to the missing bytes, and from them to the
			// database, which tells that the package is purged.
			if err := a.blobs.RemoveLinkRecord(string(p.LinkPath)); err != nil {
				return total, err
			}
			total++
		}
		if len(batch) < purgeBatch {
			return total, nil
		}
	}
}

// recoverBlobs finishes what a crash interrupted, before anything is
// served: it removes the files of uploads still being written, and for
// every upload caught between making its bytes durable and committing its
// row, keeps the bytes if the row exists and removes them if not. It
// looks at those uploads only, never at the rest of the store.
func (a *App) recoverBlobs(ctx context.Context) error {
	removed, err := a.blobs.RemovePartial()
	if err != nil {
		return err
	}
	if removed > 0 {
		a.log.Warn("removed the files of interrupted uploads", "count", removed)
	}
	ids, err := a.blobs.Unsettled()
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(n string) bool { _, err := uuid.Parse(n); return err != nil })
	discarded := 0
	for chunk := range slices.Chunk(ids, 1000) {
		known, err := a.store.Existing(ctx, chunk)
		if err != nil {
			return fmt.Errorf("recover uploads: %w", err)
		}
		for _, id := range chunk {
			if known[id] {
				err = a.blobs.Settle(id)
			} else {
				err = a.blobs.Discard(ctx, id)
				discarded++
			}
			if err != nil {
				return fmt.Errorf("recover uploads: %w", err)
			}
		}
	}
	if discarded > 0 {
		a.log.Warn("removed the bytes of uploads whose record was never committed", "count", discarded)
	}
	return nil
}
