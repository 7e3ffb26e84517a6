package store

import (
	"context"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
)

// LinkCache resolves links as ByLink does, keeping recent answers in
// memory so that a link downloaded again costs no database round trip.
// A mass mailing's link is downloaded by every subscriber of its
// direction, and clients resume and retry downloads of large packages;
// those are the links it saves. An inbound package is mostly downloaded
// once, and the cache's two queues keep such one-time links from pushing
// the hot ones out.
//
// What it keeps cannot go stale: a link names one row for good
// (link_path is unique and rows are never deleted), and of the columns
// ByLink reads only purged_at ever changes. A purge removes the bytes
// before it records purged_at, so a caller that finds the bytes of a
// cached package gone calls Forget and resolves the link again, which
// reads the purge from the database, whichever host made it.
type LinkCache struct {
	store *Store
	// recent is nil when the cache is off.
	recent *lru.TwoQueueCache[string, linkTarget]
}

// linkTarget is what ByLink reads of a package, kept without the rest of
// Package's fields: a third of the memory a remembered link takes.
type linkTarget struct {
	id, direction, filename, sha256 string
	kind                            Kind
	size                            int64
	dateIn                          Time
	purgedAt                        NullTime
}

func targetOf(p *Package) linkTarget {
	return linkTarget{id: p.ID, direction: p.Direction, filename: p.Filename, sha256: p.SHA256,
		kind: p.Kind, size: p.Size, dateIn: p.DateIn, purgedAt: p.PurgedAt}
}

func (t *linkTarget) pkg() *Package {
	return &Package{ID: t.id, Direction: t.direction, Filename: t.filename, SHA256: t.sha256,
		Kind: t.kind, Size: t.size, DateIn: t.dateIn, PurgedAt: t.purgedAt}
}

// NewLinkCache resolves links through s, keeping up to entries of them;
// entries 0 turns the cache off, as UncachedLinks does.
func NewLinkCache(s *Store, entries int) (*LinkCache, error) {
	c := UncachedLinks(s)
	if entries == 0 {
		return c, nil
	}
	recent, err := lru.New2Q[string, linkTarget](entries)
	if err != nil {
		return nil, fmt.Errorf("link cache of %d entries: %w", entries, err)
	}
	c.recent = recent
	return c, nil
}

// UncachedLinks resolves every link in the database.
func UncachedLinks(s *Store) *LinkCache {
	return &LinkCache{store: s}
}

// ByLink returns the package at a link path, with the columns Store.ByLink
// reads, or ErrNotFound; cached tells whether the answer came from memory.
// An unknown link is not remembered, since it may be stored a moment
// later.
func (c *LinkCache) ByLink(ctx context.Context, path string) (p *Package, cached bool, err error) {
	if c.recent != nil {
		if t, ok := c.recent.Get(path); ok {
			return t.pkg(), true, nil
		}
	}
	p, err = c.store.ByLink(ctx, path)
	if err != nil {
		return nil, false, err
	}
	if c.recent != nil {
		c.recent.Add(path, targetOf(p))
	}
	return p, false, nil
}

// Forget drops what the cache holds for a link path.
func (c *LinkCache) Forget(path string) {
	if c.recent != nil {
		c.recent.Remove(path)
	}
}
