package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/store/storetest"
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
		renameBehindVersion(t, st, "packages_list_version_update", p3.ID, "renamed.zip")
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

// With lists.cache_bytes 0 no list and no massreport is kept: a change
// the version does not see shows at once.
func TestGateListsOff(t *testing.T) {
	forEachBackend(t, hostConfig{env: []string{"REPORTGATE_LISTS__CACHE_BYTES=0"}}, func(t *testing.T, h *Host) {
		const list = "/fns/packages?type=1c&gate=gate-kept"
		p := lkDeliverFNS(t, h, "1AE00000000-0000-0000-0000-0000000000A1", "gate-kept", "one.zip", []byte("one"))
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"one.zip"}) {
			t.Fatalf("listed %v, want [one.zip]", got)
		}
		renameBehindVersion(t, h.Store(t), "packages_list_version_update", p.ID, "renamed.zip")
		if got := listedField(t, h, list, "filename"); !slices.Equal(got, []string{"renamed.zip"}) {
			t.Fatalf("listed %v, want [renamed.zip]", got)
		}

		const massreport = "/fns/massreport?code=7700"
		mrAwayFromMidnight(t)
		m := lkPublish(t, h, "fns", "7700", "", "mass.zip", []byte("mass"))
		if got := listedField(t, h, massreport, "filename"); !slices.Equal(got, []string{"mass.zip"}) {
			t.Fatalf("massreport %v, want [mass.zip]", got)
		}
		renameBehindVersion(t, h.Store(t), "packages_mailing_version_update", m.ID, "renamed.zip")
		if got := listedField(t, h, massreport, "filename"); !slices.Equal(got, []string{"renamed.zip"}) {
			t.Fatalf("massreport %v, want [renamed.zip]", got)
		}
	})
}

// renameBehindVersion renames a package without moving its list's
// version, by dropping the trigger that would.
func renameBehindVersion(t *testing.T, st *store.Store, trigger, id, filename string) {
	t.Helper()
	drop := `DROP TRIGGER ` + trigger
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

// A massreport is kept in memory, and follows every change to the
// direction's mailings: a mailing published, whatever its office, and a
// change made to the database by another writer than this host. A
// subscriber's DELETE of a mailing's link changes nothing: the mailing is
// every subscriber's and stays listed. Only when the direction's mailing
// version is left as it was does the host answer from memory, which the
// end of the test shows by changing a row behind the version's back.
func TestMassreportFollowsEveryChange(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		mrAwayFromMidnight(t)
		const office, all = "/fns/massreport?code=7700", "/fns/massreport"
		m1 := lkPublish(t, h, "fns", "7700", "", "one.zip", []byte("one"))
		wantListed(t, h, office, m1.Link)
		wantListed(t, h, office, m1.Link)
		wantListed(t, h, all, m1.Link)

		// Another office's mailing shows in the massreport of every office
		// and leaves this office's as it is; Rosstat's shows in neither.
		m2 := lkPublish(t, h, "fns", "7701", "", "two.zip", []byte("two"))
		lkPublish(t, h, "rosstat", "77-00", "", "rosstat.zip", []byte("r"))
		wantListed(t, h, office, m1.Link)
		wantListed(t, h, all, m1.Link, m2.Link)

		m3 := lkPublish(t, h, "fns", "7700", "", "three.zip", []byte("three"))
		wantListed(t, h, office, m1.Link, m3.Link)
		wantListed(t, h, all, m1.Link, m2.Link, m3.Link)

		st := h.Store(t)
		ctx := context.Background()
		before, err := st.MailingVersion(ctx, "fns")
		if err != nil {
			t.Fatal(err)
		}
		if resp := h.Delete(t, "/"+m1.Link); resp.Status != http.StatusNoContent {
			t.Fatalf("DELETE of a mailing: status %d: %s", resp.Status, resp.Body)
		}
		if after, err := st.MailingVersion(ctx, "fns"); err != nil || after != before {
			t.Fatalf("a DELETE of a mailing's link moved FNS's mailing version from %d to %d (%v)", before, after, err)
		}
		wantListed(t, h, office, m1.Link, m3.Link)

		// Another writer of the same database: the host did not make this
		// change, and still shows it.
		if _, err := st.DB().Exec(st.DB().Rebind(`DELETE FROM packages WHERE id = ?`), m3.ID); err != nil {
			t.Fatal(err)
		}
		wantListed(t, h, office, m1.Link)

		// A change that leaves the version as it was is not seen: the
		// massreport comes from memory. Moving the version shows it.
		renameBehindVersion(t, st, "packages_mailing_version_update", m1.ID, "renamed.zip")
		if got := listedField(t, h, office, "filename"); !slices.Equal(got, []string{"one.zip"}) {
			t.Fatalf("massreport %v before the version moved, want the kept [one.zip]", got)
		}
		if _, err := st.DB().Exec(`UPDATE mailing_versions SET version = version + 1 WHERE direction = 'fns'`); err != nil {
			t.Fatal(err)
		}
		if got := listedField(t, h, office, "filename"); !slices.Equal(got, []string{"renamed.zip"}) {
			t.Fatalf("massreport %v after the version moved, want [renamed.zip]", got)
		}
	})
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

// A client that gives up on a list while PostgreSQL does not answer (a
// lock held on the versions' table) ends its request on the host: the
// host logs it as abandoned, not as an error of its own, and once the
// database answers again the host lists as before. Two clients give up:
// one whose version lookup runs, and one queued behind it.
func TestAbandonedListsAreNoErrors(t *testing.T) {
	h := startHost(t, storetest.Postgres(t), hostConfig{})
	const list = "/fns/packages?type=1c&gate=gate-abandoned"
	p := lkDeliverFNS(t, h, "1AE00000000-0000-0000-0000-0000000000D1", "gate-abandoned", "one.zip", []byte("one"))
	wantListed(t, h, list, p.Link)

	db := h.Store(t).DB()
	tx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	release := sync.OnceFunc(func() { _ = tx.Rollback() })
	t.Cleanup(release)
	if _, err := tx.Exec("LOCK TABLE list_versions IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var gaveUp sync.WaitGroup
	for range 2 {
		gaveUp.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			req := h.Request(t, http.MethodGet, list, nil).WithContext(ctx)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Errorf("a list while the versions are locked: status %d, want the client to give up", resp.StatusCode)
			}
		})
		time.Sleep(100 * time.Millisecond)
	}
	gaveUp.Wait()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(h.Logs(), "request abandoned by its client") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the host did not log both abandoned lists:\n%s", h.Logs())
		}
	}
	if strings.Contains(h.Logs(), "level=ERROR") {
		t.Fatalf("an abandoned list was logged as an error:\n%s", h.Logs())
	}
	release()
	wantListed(t, h, list, p.Link)
}
