package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// TestPostgresGateVersionsReadTogether: one batch of lookups reads each
// version as a lookup of its own would: gates changed once or more, a
// gate never changed (0), a gate asked for twice, a gate of the same name
// in another direction, directions' mailings beside the gates, and
// lookups whose request is gone, which fail alone.
func TestPostgresGateVersionsReadTogether(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.Postgres(t))
	for i, gate := range []string{"gate-a", "gate-a", "gate-a", "gate-b"} {
		if err := s.Insert(ctx, deliveryPackage(fmt.Sprintf("guid-%d", i), gate)); err != nil {
			t.Fatal(err)
		}
	}
	// PFR's gate-b changes more often than FNS's gate-b.
	for i := range 3 {
		pfr := deliveryPackage(fmt.Sprintf("guid-pfr-%d", i), "gate-b")
		pfr.Direction = "pfr"
		if err := s.Insert(ctx, pfr); err != nil {
			t.Fatal(err)
		}
	}
	// FNS's mailings change more often than Rosstat's.
	for i, direction := range []string{"fns", "fns", "rosstat"} {
		mailing := uploadPackage()
		mailing.Direction, mailing.Kind, mailing.Code = direction, KindMailing, NullString(fmt.Sprintf("%04d", i))
		mailing.Link = NullString("/" + direction + "/" + mailing.UID + "/m.zip")
		mailing.LinkPath = mailing.Link[1:]
		if err := s.Insert(ctx, mailing); err != nil {
			t.Fatal(err)
		}
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()

	batch := []*versionLookup{
		{ctx: ctx, key: versionKey{direction: "fns", gate: "gate-a"}},
		{ctx: ctx, key: versionKey{direction: "fns", gate: "gate-b"}},
		{ctx: ctx, key: versionKey{direction: "fns", gate: "gate-never"}},
		{ctx: gone, key: versionKey{direction: "fns", gate: "gate-a"}},
		{ctx: ctx, key: versionKey{direction: "fns", gate: "gate-a"}},
		{ctx: ctx, key: versionKey{direction: "pfr", gate: "gate-b"}},
		{ctx: ctx, key: versionKey{direction: "fns", mailings: true}},
		{ctx: ctx, key: versionKey{direction: "rosstat", mailings: true}},
		{ctx: ctx, key: versionKey{direction: "pfr", mailings: true}},
		{ctx: gone, key: versionKey{direction: "fns", mailings: true}},
	}
	s.lookUpVersions(batch)
	for i, l := range batch {
		if l.ctx == gone {
			if !errors.Is(l.err, context.Canceled) {
				t.Errorf("lookup %d, its request gone: %d, %v; want context.Canceled", i, l.version, l.err)
			}
			continue
		}
		want, err := s.versionAlone(ctx, l.key)
		if err != nil {
			t.Fatal(err)
		}
		if l.err != nil || l.version != want {
			t.Errorf("lookup %d (%+v): %d, %v; want %d as read alone", i, l.key, l.version, l.err, want)
		}
	}
	if batch[0].version == 0 || batch[0].version == batch[1].version || batch[2].version != 0 || batch[1].version == batch[5].version {
		t.Errorf("versions %d, %d, %d, %d: want FNS's gate-a and gate-b and PFR's gate-b apart from 0 and each other, and 0 for a gate never changed",
			batch[0].version, batch[1].version, batch[5].version, batch[2].version)
	}
	if batch[6].version == 0 || batch[6].version == batch[7].version || batch[7].version == 0 || batch[8].version != 0 {
		t.Errorf("mailing versions %d, %d, %d: want FNS's and Rosstat's apart from 0 and each other, and 0 for PFR, which has none",
			batch[6].version, batch[7].version, batch[8].version)
	}
}

// TestPostgresGateVersionsQueueBehindALookup: lookups that arrive while
// one runs wait and are answered together by the next, each with its
// gate's version.
func TestPostgresGateVersionsQueueBehindALookup(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.Postgres(t))
	const gates = 12
	for i := range gates {
		if err := s.Insert(ctx, deliveryPackage(fmt.Sprintf("guid-%d", i), fmt.Sprintf("gate-%d", i))); err != nil {
			t.Fatal(err)
		}
	}

	hold, leading := make(chan struct{}), make(chan struct{})
	go s.versionLookups.do(ctx, &versionLookup{ctx: ctx}, func([]*versionLookup) {
		close(leading)
		<-hold
	})
	<-leading
	got := make([]int64, gates)
	var wg sync.WaitGroup
	for i := range gates {
		wg.Go(func() {
			v, err := s.GateVersion(ctx, "fns", fmt.Sprintf("gate-%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	awaitBatchQueued(t, &s.versionLookups, gates)
	close(hold)
	wg.Wait()
	for i, v := range got {
		want, err := s.versionAlone(ctx, versionKey{direction: "fns", gate: fmt.Sprintf("gate-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if v != want || v == 0 {
			t.Errorf("gate-%d: %d, want %d", i, v, want)
		}
	}
}

// TestGateVersionSeesEveryChangeBeforeIt: a lookup made after a change
// has committed reads a version past the one read before it, however
// many lookups and changes run at once.
func TestGateVersionSeesEveryChangeBeforeIt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := openMigrated(t, db)
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Go(func() {
					gate := fmt.Sprintf("gate-%d", w%4)
					var last int64
					for i := range 20 {
						if err := s.Insert(ctx, deliveryPackage(fmt.Sprintf("guid-%d-%d", w, i), gate)); err != nil {
							t.Error(err)
							return
						}
						v, err := s.GateVersion(ctx, "fns", gate)
						if err != nil {
							t.Error(err)
							return
						}
						if v <= last {
							t.Errorf("%s after a change: version %d, read %d before it", gate, v, last)
						}
						last = v
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestPostgresVersionLookupsEndWithTheirRequests: while PostgreSQL does
// not answer (a lock held on the versions' table), a lookup whose request
// ends leaves the queue at once; a batch's query goes on while one of its
// lookups still waits for it, and stops once none does.
func TestPostgresVersionLookupsEndWithTheirRequests(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, storetest.Postgres(t))
	if err := s.Insert(ctx, deliveryPackage("guid-1", "gate-a")); err != nil {
		t.Fatal(err)
	}
	want, err := s.versionAlone(ctx, versionKey{direction: "fns", gate: "gate-a"})
	if err != nil {
		t.Fatal(err)
	}
	type lookup struct {
		cancel context.CancelFunc
		done   chan error
		got    int64
	}
	look := func() *lookup {
		lctx, cancel := context.WithCancel(ctx)
		l := &lookup{cancel: cancel, done: make(chan error, 1)}
		go func() {
			v, err := s.GateVersion(lctx, "fns", "gate-a")
			l.got = v
			l.done <- err
		}()
		return l
	}
	returned := func(l *lookup) (error, bool) {
		select {
		case err := <-l.done:
			return err, true
		case <-time.After(10 * time.Second):
			return nil, false
		}
	}
	// blocked waits until n queries wait for the lock; a batch's query
	// reads the versions of a list of gates.
	blocked := func(n int, batch bool) {
		t.Helper()
		var waiting int
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if err := s.db.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'
				AND query LIKE '%list_versions%' AND (query LIKE '%unnest%') = $1`, batch); err != nil {
				t.Fatal(err)
			}
			if waiting == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d version queries (batch: %t) wait for the lock, want %d", waiting, batch, n)
			}
		}
	}
	lockVersions := func() (release func()) {
		t.Helper()
		tx, err := s.db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Released at the latest when the test ends, so that a failure
		// leaves no lookup blocked behind the lock.
		release = sync.OnceFunc(func() { _ = tx.Rollback() })
		t.Cleanup(release)
		if _, err := tx.ExecContext(ctx, "LOCK TABLE list_versions IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return release
	}

	release := lockVersions()
	leader := look()
	blocked(1, false)
	gone, batched, waiting := look(), look(), look()
	awaitBatchQueued(t, &s.versionLookups, 3)

	gone.cancel()
	if err, ok := returned(gone); !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("a queued lookup whose request ended: returned %t, %v; want context.Canceled at once", ok, err)
	}
	// The leader's own query stops with its request, and the two lookups
	// still queued go on together.
	leader.cancel()
	if err, ok := returned(leader); !ok || err == nil {
		t.Fatalf("the leading lookup whose request ended: returned %t, %v; want an error at once", ok, err)
	}
	blocked(1, true)
	batched.cancel()
	time.Sleep(50 * time.Millisecond)
	blocked(1, true)
	release()
	if err, ok := returned(waiting); !ok || err != nil || waiting.got != want {
		t.Fatalf("the lookup still waiting in the batch: returned %t, %d, %v; want %d", ok, waiting.got, err, want)
	}
	if _, ok := returned(batched); !ok {
		t.Fatal("the batch's other lookup did not return with it")
	}

	// A batch none of whose lookups waits any more stops its query while
	// the lock is still held.
	lockVersions()
	leader = look()
	blocked(1, false)
	first, second := look(), look()
	awaitBatchQueued(t, &s.versionLookups, 2)
	leader.cancel()
	blocked(1, true)
	first.cancel()
	second.cancel()
	for _, l := range []*lookup{first, second} {
		if err, ok := returned(l); !ok || err == nil {
			t.Fatalf("a lookup of a batch no one waits for: returned %t, %v; want an error at once", ok, err)
		}
	}
	blocked(0, true)
}
