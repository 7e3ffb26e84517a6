package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store"
)

// A gate's list is kept in memory, and follows every change to the gate's
// packages: a delivery, a DELETE, and a change made to the database by
// another writer than this host. Only when the gate's version is left as
// it was does the host answer from memory, which the end of the test shows
// by changing a row behind the version's back.
func TestGateListFollowsEveryChange(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		const guidA, guidB = "1AE00000000-0000-0000-0000-0000000000A1", "1AE00000000-0000-0000-0000-0000000000B1"
		const list = "/fns/packages?type=1c&gate=gate-kept"
		p1 := lkDeliverFNS(t, h, guidA, "gate-kept", "one.zip", []byte("one"))
		p2 := lkDeliverFNS(t, h, guidB, "gate-kept", "two.zip", []byte("two"))
		other := lkDeliverFNS(t, h, "1AE00000000-0000-0000-0000-0000000000C1", "gate-other", "other.zip", []byte("x"))
		wantListed(t, h, list, p1.Link, p2.Link)
		wantListed(t, h, list, p1.Link, p2.Link)

		// Another gate's delivery leaves the list as it is.
		lkDeliverFNS(t, h, "1AE00000000-0000-0000-0000-0000000000C2", "gate-other", "other2.zip", []byte("y"))
		wantListed(t, h, list, p1.Link, p2.Link)
		wantListed(t, h, "/fns/packages?type=1c&gate=gate-other", other.Link, "*")

		p3 := lkDeliverFNS(t, h, guidA, "gate-kept", "three.zip", []byte("three"))
		wantListed(t, h, list, p1.Link, p2.Link, p3.Link)

		if resp := h.Delete(t, "/"+p2.Link); resp.Status != http.StatusNoContent {
			t.Fatalf("DELETE: status %d: %s", resp.Status, resp.Body)
		}
		wantListed(t, h, list, p1.Link, p3.Link)

		// Another writer of the same database: the host did not make this
		// change, and still shows it.
		st := h.Store(t)
		if _, err := st.MarkDeleted(context.Background(), p1.Link, []string{"fns"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		wantListed(t, h, list, p3.Link)

		// A change that leaves the gate's version as it was is not seen:
		// the list comes from memory. Moving the version shows it.
		renameBehindVersion(t, st, p3.ID, "renamed.zip")
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"three.zip"}) {
			t.Fatalf("listed %v before the version moved, want the kept [three.zip]", got)
		}
		if _, err := st.DB().Exec(`UPDATE list_versions SET version = version + 1 WHERE direction = 'fns' AND gate = 'gate-kept'`); err != nil {
			t.Fatal(err)
		}
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"renamed.zip"}) {
			t.Fatalf("listed %v after the version moved, want [renamed.zip]", got)
		}
	})
}

// With lists.cache_bytes 0 no list is kept: a change the version does not
// see shows at once.
func TestGateListsOff(t *testing.T) {
	forEachBackend(t, hostConfig{env: []string{"REPORTGATE_LISTS__CACHE_BYTES=0"}}, func(t *testing.T, h *Host) {
		const list = "/fns/packages?type=1c&gate=gate-kept"
		p := lkDeliverFNS(t, h, "1AE00000000-0000-0000-0000-0000000000A1", "gate-kept", "one.zip", []byte("one"))
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"one.zip"}) {
			t.Fatalf("listed %v, want [one.zip]", got)
		}
		renameBehindVersion(t, h.Store(t), p.ID, "renamed.zip")
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"renamed.zip"}) {
			t.Fatalf("listed %v, want [renamed.zip]", got)
		}
	})
}

// renameBehindVersion renames a package without moving its gate's
// version, by dropping the trigger that would.
func renameBehindVersion(t *testing.T, st *store.Store, id, filename string) {
	t.Helper()
	drop := `DROP TRIGGER packages_list_version_update`
	if st.Dialect() == store.Postgres {
		drop += ` ON packages`
	}
	if _, err := st.DB().Exec(drop); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(st.DB().Rebind(`UPDATE packages SET filename = ? WHERE id = ?`), filename, id); err != nil {
		t.Fatal(err)
	}
}

// wantListed fails unless the list shows exactly the links, in order; "*"
// stands for any one link.
func wantListed(t *testing.T, h *Host, path string, links ...string) {
	t.Helper()
	got := listed(t, h, path)
	if len(got) == len(links) {
		same := true
		for i := range got {
			same = same && (links[i] == "*" || got[i] == links[i])
		}
		if same {
			return
		}
	}
	t.Fatalf("%s lists %v, want %v", path, got, links)
}
