package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store"
)

// TestGateVersion: every write to a gate's inbound packages moves the
// gate's version, by whichever statement it is made, and nothing else
// does.
func TestGateVersion(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		version := func(direction, gate string) int64 {
			t.Helper()
			return mustVersion(t)(st.GateVersion(ctx, direction, gate))
		}
		exec := execOn(t, st)
		if v := version("fns", "g1"); v != 0 {
			t.Fatalf("a gate never written is at %d, want 0", v)
		}
		steps := []struct {
			name    string
			write   func()
			g1, g2  int64
			pfrOfG1 int64
		}{
			{"an inbound package of g1", func() { insert(t, st, pkg("fns", store.KindInbound, typ("1c"), gate("g1"))) }, 1, 0, 0},
			{"another, with a guid", func() {
				insert(t, st, pkg("fns", store.KindInbound, typ("1c"), guid("1AE00000000-0000-0000-0000-0000000000A1"), gate("g1")))
			}, 2, 0, 0},
			{"an upload naming g1", func() { insert(t, st, pkg("fns", store.KindUpload, typ("1c"), gate("g1"))) }, 2, 0, 0},
			{"a mailing naming g1", func() { insert(t, st, pkg("fns", store.KindMailing, gate("g1"))) }, 2, 0, 0},
			{"an inbound package of no gate", func() { insert(t, st, pkg("fns", store.KindInbound, typ("1c"))) }, 2, 0, 0},
			{"another direction's g1", func() { insert(t, st, pkg("pfr", store.KindInbound, typ("1c"), gate("g1"))) }, 2, 0, 1},
			{"a package of g2", func() { insert(t, st, pkg("fns", store.KindInbound, typ("ao4"), gate("g2"))) }, 2, 1, 1},
			{"a DELETE of one of g1's", func() {
				exec(`UPDATE packages SET deleted_at = date_in WHERE id = (SELECT id FROM packages WHERE direction = 'fns' AND kind = 'inbound' AND gate = 'g1' ORDER BY seq LIMIT 1)`)
			}, 3, 1, 1},
			{"an upload's acknowledgement", func() { exec(`UPDATE packages SET acked_at = date_in WHERE kind = 'upload'`) }, 3, 1, 1},
			{"a package moved from g2 to g1", func() { exec(`UPDATE packages SET gate = 'g1' WHERE gate = 'g2'`) }, 4, 2, 1},
			{"a row of g1 removed", func() {
				exec(`DELETE FROM packages WHERE id = (SELECT id FROM packages WHERE direction = 'fns' AND kind = 'inbound' AND gate = 'g1' ORDER BY seq LIMIT 1)`)
			}, 5, 2, 1},
		}
		for _, s := range steps {
			s.write()
			if g1, g2, pfr := version("fns", "g1"), version("fns", "g2"), version("pfr", "g1"); g1 != s.g1 || g2 != s.g2 || pfr != s.pfrOfG1 {
				t.Fatalf("after %s: fns g1 %d, g2 %d, pfr g1 %d; want %d, %d, %d", s.name, g1, g2, pfr, s.g1, s.g2, s.pfrOfG1)
			}
		}
	})
}

// TestMailingVersion: every change to a direction's mass mailings moves
// the direction's mailing version, by whichever statement it is made; a
// write that leaves a mailing's row as it was, a subscriber's DELETE of
// its link among them, and writes to other packages do not.
func TestMailingVersion(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		version := func(direction string) int64 {
			t.Helper()
			return mustVersion(t)(st.MailingVersion(ctx, direction))
		}
		exec := execOn(t, st)
		if v := version("fns"); v != 0 {
			t.Fatalf("a direction with no mailing is at %d, want 0", v)
		}
		first := pkg("fns", store.KindMailing, code("7700"))
		steps := []struct {
			name         string
			write        func()
			fns, rosstat int64
		}{
			{"an FNS mailing", func() { insert(t, st, first) }, 1, 0},
			{"another", func() { insert(t, st, pkg("fns", store.KindMailing, code("7701"))) }, 2, 0},
			{"a Rosstat mailing", func() { insert(t, st, pkg("rosstat", store.KindMailing, code("99-99"))) }, 2, 1},
			{"an inbound package and an upload", func() {
				insert(t, st, pkg("fns", store.KindInbound, typ("1c"), gate("g1")), pkg("fns", store.KindUpload, typ("1c")))
			}, 2, 1},
			{"a subscriber's DELETE of a mailing's link", func() {
				if _, err := st.MarkDeleted(ctx, string(first.LinkPath), []string{"fns"}, t0.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}, 2, 1},
			{"a DELETE of an inbound package", func() {
				exec(`UPDATE packages SET deleted_at = date_in WHERE kind = 'inbound'`)
			}, 2, 1},
			{"a mailing's file renamed", func() { exec(`UPDATE packages SET filename = 'renamed.zip' WHERE id = ?`, first.ID) }, 3, 1},
			{"a mailing moved to Rosstat", func() { exec(`UPDATE packages SET direction = 'rosstat' WHERE id = ?`, first.ID) }, 4, 2},
			{"a Rosstat mailing removed", func() { exec(`DELETE FROM packages WHERE id = ?`, first.ID) }, 4, 3},
			{"an inbound package removed", func() { exec(`DELETE FROM packages WHERE kind = 'inbound'`) }, 4, 3},
		}
		for _, s := range steps {
			s.write()
			if fns, rosstat := version("fns"), version("rosstat"); fns != s.fns || rosstat != s.rosstat {
				t.Fatalf("after %s: fns %d, rosstat %d; want %d, %d", s.name, fns, rosstat, s.fns, s.rosstat)
			}
		}
	})
}

// execOn returns a function that runs a statement on the store's
// database, written with ? placeholders, and fails the test on an error.
func execOn(t *testing.T, st *store.Store) func(query string, args ...any) {
	db := st.DB()
	return func(query string, args ...any) {
		t.Helper()
		if _, err := db.Exec(db.Rebind(query), args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
}

// mustVersion returns a function that gives a version read, failing the
// test on an error.
func mustVersion(t *testing.T) func(int64, error) int64 {
	return func(v int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
