package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/store"
)

// resolveLink resolves a link through c and checks where the answer came
// from: memory or a record (cached), or the database.
func resolveLink(t *testing.T, c *store.LinkCache, path string, wantCached bool) *store.Package {
	t.Helper()
	p, cached, err := c.ByLink(context.Background(), path)
	if err != nil {
		t.Fatalf("ByLink %s: %v", path, err)
	}
	if cached != wantCached {
		t.Errorf("ByLink %s: cached %v, want %v", path, cached, wantCached)
	}
	return p
}

// TestLinkCache: a link resolved once is answered from memory after; an
// unknown link is not remembered, so a package stored at it later is
// found; a purge shows once the link is forgotten; and with no entries
// every lookup reads the database.
func TestLinkCache(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		resolve := func(c *store.LinkCache, path string, wantCached bool) *store.Package {
			t.Helper()
			return resolveLink(t, c, path, wantCached)
		}
		links, err := store.NewLinkCache(st, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := pkg("pfr", store.KindInbound, typ("1c"))
		insert(t, st, p)
		path := string(p.LinkPath)
		first := resolve(links, path, false)
		if first.ID != p.ID || first.SHA256 != p.SHA256 || first.Filename != p.Filename {
			t.Errorf("ByLink: got %s %s %s, want %s %s %s", first.ID, first.SHA256, first.Filename, p.ID, p.SHA256, p.Filename)
		}
		if again := resolve(links, path, true); !reflect.DeepEqual(again, first) {
			t.Errorf("a cached ByLink answered otherwise:\n got %+v\nwant %+v", again, first)
		}

		if err := st.MarkPurged(ctx, p.ID, t0); err != nil {
			t.Fatal(err)
		}
		// The cache cannot see the purge: the caller learns of it from the
		// missing bytes and forgets the link.
		if got := resolve(links, path, true); got.PurgedAt.Valid {
			t.Errorf("a cached package changed: %+v", got.PurgedAt)
		}
		if err := links.Forget(path); err != nil {
			t.Fatal(err)
		}
		if got := resolve(links, path, false); !got.PurgedAt.Valid {
			t.Errorf("after Forget the purge is not seen: %+v", got.PurgedAt)
		}

		later := pkg("pfr", store.KindInbound, typ("1c"))
		if _, _, err := links.ByLink(ctx, string(later.LinkPath)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ByLink of a link not yet stored: %v, want ErrNotFound", err)
		}
		insert(t, st, later)
		if got := resolve(links, string(later.LinkPath), false); got.ID != later.ID {
			t.Errorf("a link stored after a miss resolves to %s, want %s", got.ID, later.ID)
		}

		off, err := store.NewLinkCache(st, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		resolve(off, path, false)
		resolve(off, path, false)
		if _, err := store.NewLinkCache(st, -1, nil); err == nil {
			t.Error("NewLinkCache with -1 entries: no error")
		}
	})
}

// TestLinkRecords: a package recorded when stored resolves from its
// record, without the database; one without a record resolves from the
// database until it is recorded; a record that cannot be a record of the
// link is no answer; Forget removes the record, so a purge shows; and a
// purged package is not recorded.
func TestLinkRecords(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		records, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// No memory cache: every answer below comes from a record or from
		// the database.
		links, err := store.NewLinkCache(st, 0, records)
		if err != nil {
			t.Fatal(err)
		}
		resolve := func(path string, wantCached bool) *store.Package {
			t.Helper()
			return resolveLink(t, links, path, wantCached)
		}
		fromDB := func(path string) *store.Package {
			t.Helper()
			p, err := st.ByLink(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		record := func(path string, p *store.Package) {
			t.Helper()
			if err := links.Record(path, p); err != nil {
				t.Fatal(err)
			}
		}

		recorded := pkg("fns", store.KindInbound, typ("1c"))
		insert(t, st, recorded)
		path := string(recorded.LinkPath)
		record(path, recorded)
		if got, want := resolve(path, true), fromDB(path); !reflect.DeepEqual(got, want) {
			t.Errorf("a record answered otherwise than the database:\n got %+v\nwant %+v", got, want)
		}
		// The record is what answered: the database's purge is unseen until
		// the caller, finding the bytes gone, forgets the link.
		if err := st.MarkPurged(ctx, recorded.ID, t0); err != nil {
			t.Fatal(err)
		}
		if got := resolve(path, true); got.PurgedAt.Valid {
			t.Errorf("a record changed: %+v", got.PurgedAt)
		}
		if err := links.Forget(path); err != nil {
			t.Fatal(err)
		}
		purged := resolve(path, false)
		if !purged.PurgedAt.Valid {
			t.Errorf("after Forget the purge is not seen: %+v", purged.PurgedAt)
		}
		record(path, purged)
		if _, err := records.LinkRecord(path); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a purged package's link was recorded: %v", err)
		}

		older := pkg("pfr", store.KindMailing, typ("1c"))
		insert(t, st, older)
		path = string(older.LinkPath)
		found := resolve(path, false)
		if want := fromDB(path); !reflect.DeepEqual(found, want) {
			t.Errorf("ByLink answered otherwise than the database:\n got %+v\nwant %+v", found, want)
		}
		resolve(path, false)
		record(path, found)
		if got, want := resolve(path, true), fromDB(path); !reflect.DeepEqual(got, want) {
			t.Errorf("the record of what the database answered answers otherwise:\n got %+v\nwant %+v", got, want)
		}

		other := pkg("rosstat", store.KindInbound, typ("1c"))
		insert(t, st, other)
		otherRecord, err := store.EncodeLinkRecord(string(other.LinkPath), other)
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string][]byte{
			"garbage":         []byte("{not json"),
			"empty":           nil,
			"another link's":  otherRecord,
			"another version": []byte(`{"v":2,"link_path":"` + path + `","id":"` + other.ID + `"}`),
		} {
			if err := records.PutLinkRecord(path, b); err != nil {
				t.Fatal(err)
			}
			if got := resolve(path, false); got.ID != older.ID {
				t.Errorf("with a record that is %s, the link resolves to %s, want %s", name, got.ID, older.ID)
			}
		}
	})
}
