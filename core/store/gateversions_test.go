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
	go s.versionLookups.do(&versionLookup{ctx: ctx}, func([]*versionLookup) {
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
	for deadline := time.Now().Add(10 * time.Second); s.versionLookups.queuedLen() < gates; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lookups queued behind the running one", s.versionLookups.queuedLen(), gates)
		}
	}
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
