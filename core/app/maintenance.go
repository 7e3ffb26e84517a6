package app

import (
	"context"
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
			total++
		}
		if len(batch) < purgeBatch {
			return total, nil
		}
	}
}

// sweepOrphans removes stored bytes that have no row: what is left when
// the process died between making an upload durable and committing its
// row. Only files written before this process started are considered, so
// an upload in flight now is never mistaken for an orphan.
func (a *App) sweepOrphans(ctx context.Context) {
	removed := 0
	err := a.blobs.EachCommitted(a.started, func(names []string) error {
		// A file whose name is not a package id is not the store's to
		// remove.
		ids := slices.DeleteFunc(names, func(n string) bool { _, err := uuid.Parse(n); return err != nil })
		for chunk := range slices.Chunk(ids, 1000) {
			known, err := a.store.Existing(ctx, chunk)
			if err != nil {
				return err
			}
			for _, id := range chunk {
				if known[id] {
					continue
				}
				if err := a.blobs.Remove(ctx, id); err != nil {
					return err
				}
				removed++
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		a.log.Error("sweep orphaned package bytes", "error", err)
	}
	if removed > 0 {
		a.log.Warn("removed package bytes that had no record", "count", removed)
	}
}
