package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// LinkCache resolves links as ByLink does, from memory, then from the
// link records on disk, then from the database.
//
// Memory keeps recent answers, so that a link downloaded again costs
// nothing: a mass mailing's link is downloaded by every subscriber of its
// direction, and clients resume and retry downloads of large packages. An
// inbound package is mostly downloaded once, and the cache's two queues
// keep such one-time links from pushing the hot ones out.
//
// The link records serve that first download: a package stored through
// the host has one from the moment it is answered, so its download opens
// a small file instead of making a round trip to the database.
//
// Neither can go stale: a link names one row for good (link_path is
// unique and rows are never deleted), and of the columns ByLink reads
// only purged_at ever changes. A purge removes the bytes before it
// records purged_at, so a caller that finds the bytes of a cached package
// gone calls Forget and resolves the link again, which reads the purge
// from the database, whichever host made it.
type LinkCache struct {
	store *Store
	// recent is nil when the memory cache is off.
	recent *lru.TwoQueueCache[string, linkTarget]
	// records is nil when links have no records.
	records LinkRecords
}

// LinkRecords keeps a small record by link path; the local blob store is
// one. Records are a cache: any of them may be missing, left over or
// unreadable.
type LinkRecords interface {
	LinkRecord(linkPath string) ([]byte, error)
	PutLinkRecord(linkPath string, record []byte) error
	RemoveLinkRecord(linkPath string) error
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

// linkRecordVersion changes with linkRecord's fields, so that records of
// another version read as missing rather than as packages without them.
const linkRecordVersion = 1

// linkRecord is a link record's content. It names its link path, which
// tells a record from one left at the same name by anything else.
type linkRecord struct {
	Version   int       `json:"v"`
	LinkPath  string    `json:"link_path"`
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	Kind      Kind      `json:"kind"`
	Filename  string    `json:"filename"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	DateIn    time.Time `json:"date_in"`
}

// EncodeLinkRecord encodes what a download needs of a stored, unpurged package
// at its link path, for LinkRecords.PutLinkRecord.
func EncodeLinkRecord(linkPath string, p *Package) ([]byte, error) {
	b, err := json.Marshal(linkRecord{Version: linkRecordVersion, LinkPath: linkPath, ID: p.ID,
		Direction: p.Direction, Kind: p.Kind, Filename: p.Filename, Size: p.Size, SHA256: p.SHA256,
		DateIn: p.DateIn.Time})
	if err != nil {
		return nil, fmt.Errorf("encode link record: %w", err)
	}
	return b, nil
}

// decodeLinkRecord reads a record of linkPath, or tells that it is none.
func decodeLinkRecord(linkPath string, b []byte) (linkTarget, bool) {
	var r linkRecord
	if json.Unmarshal(b, &r) != nil || r.Version != linkRecordVersion || r.LinkPath != linkPath || r.ID == "" {
		return linkTarget{}, false
	}
	return linkTarget{id: r.ID, direction: r.Direction, filename: r.Filename, sha256: r.SHA256,
		kind: r.Kind, size: r.Size, dateIn: Time{r.DateIn.UTC()}}, true
}

// NewLinkCache resolves links through s, keeping up to entries of them in
// memory (0 keeps none) and, when records is not nil, a record of each
// link there.
func NewLinkCache(s *Store, entries int, records LinkRecords) (*LinkCache, error) {
	c := &LinkCache{store: s, records: records}
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
// reads, or ErrNotFound; cached tells whether the answer came from memory
// or a record rather than the database. An unknown link is neither
// remembered nor recorded, since it may be stored a moment later.
func (c *LinkCache) ByLink(ctx context.Context, path string) (p *Package, cached bool, err error) {
	if c.recent != nil {
		if t, ok := c.recent.Get(path); ok {
			return t.pkg(), true, nil
		}
	}
	if c.records != nil {
		// A record that cannot be read is no answer; the database is.
		if b, err := c.records.LinkRecord(path); err == nil {
			if t, ok := decodeLinkRecord(path, b); ok {
				c.remember(path, t)
				return t.pkg(), true, nil
			}
		}
	}
	p, err = c.store.ByLink(ctx, path)
	if err != nil {
		return nil, false, err
	}
	c.remember(path, targetOf(p))
	return p, false, nil
}

func (c *LinkCache) remember(path string, t linkTarget) {
	if c.recent != nil {
		c.recent.Add(path, t)
	}
}

// Record writes the record of the link at path to a package, with the
// columns ByLink reads: for a package just stored, so that its first
// download needs no database, and for one ByLink found in the database
// without a record, as one stored before records. A purged package, or
// no link, gets none.
func (c *LinkCache) Record(path string, p *Package) error {
	if c.records == nil || path == "" || p.PurgedAt.Valid {
		return nil
	}
	b, err := EncodeLinkRecord(path, p)
	if err != nil {
		return err
	}
	return c.records.PutLinkRecord(path, b)
}

// Forget drops what the cache and the records hold for a link path.
func (c *LinkCache) Forget(path string) error {
	if c.recent != nil {
		c.recent.Remove(path)
	}
	if c.records != nil {
		return c.records.RemoveLinkRecord(path)
	}
	return nil
}
