package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/reportgate/reportgate/core/store"
)

// TestLinkCache: a link resolved once is answered from memory after; an
// unknown link is not remembered, so a package stored at it later is
// found; a purge shows once the link is forgotten; and with no entries
// every lookup reads the database.
func TestLinkCache(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		resolve := func(c *store.LinkCache, path string, wantCached bool) *store.Package {
			t.Helper()
			p, cached, err := c.ByLink(ctx, path)
			if err != nil {
				t.Fatalf("ByLink %s: %v", path, err)
			}
			if cached != wantCached {
				t.Errorf("ByLink %s: cached %v, want %v", path, cached, wantCached)
			}
			return p
		}
		links, err := store.NewLinkCache(st, 100)
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
		links.Forget(path)
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

		off, err := store.NewLinkCache(st, 0)
		if err != nil {
			t.Fatal(err)
		}
		resolve(off, path, false)
		resolve(off, path, false)
		if _, err := store.NewLinkCache(st, -1); err == nil {
			t.Error("NewLinkCache with -1 entries: no error")
		}
	})
}
