package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// guidListFields are a PFR-like list item: string columns, a time, the size
// and an attribute out of the JSON.
var guidListFields = []string{"id", "uid", "guid", "filename", "link", "date_in", "size", "regnum"}

// listedAlone reads a list by its own streaming query, as before batches,
// and gives each row's fields.
func listedAlone(t *testing.T, s *Store, f InboundFilter) [][]any {
	t.Helper()
	shape := ShapeFor(guidListFields)
	query, args := inboundQuery(f, shape.columns)
	var out [][]any
	err := s.each(context.Background(), query, args, shape, func(r *Row) error {
		out = append(out, rowValues(r))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rowValues(r *Row) []any {
	var vs []any
	for _, f := range guidListFields {
		vs = append(vs, r.Value(f))
	}
	return vs
}

// seedGUIDLists stores lists that differ by direction, type, guid and
// gate, with deleted packages and uploads among them, and returns them
// by name.
func seedGUIDLists(t *testing.T, s *Store) map[string]InboundFilter {
	t.Helper()
	ctx := context.Background()
	deliver := func(direction, typ, guid, gate string, n int, deleteFirst bool) {
		for i := range n {
			p := deliveryPackage(guid, gate)
			p.Direction, p.Type = direction, NullString(typ)
			p.Filename = fmt.Sprintf("%s-%s-%d.zip", typ, guid, i)
			p.Link = NullString("/" + string(p.LinkPath))
			p.Attrs = Attrs{"regnum": fmt.Sprintf("087-%03d", i)}
			p.DateIn = Time{Time: time.Date(2026, 12, 5, 10, i, 0, 0, time.UTC)}
			if err := s.Insert(ctx, p); err != nil {
				t.Fatal(err)
			}
			if i == 0 && deleteFirst {
				if _, err := s.MarkDeleted(ctx, string(p.LinkPath), []string{direction}, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		up := uploadPackage()
		up.Direction, up.Type, up.GUID = direction, NullString(typ), NullString(guid)
		if err := s.Insert(ctx, up); err != nil {
			t.Fatal(err)
		}
	}
	deliver("fns", "1c", "guid-a", "gate-1", 4, true)
	deliver("fns", "ao4", "guid-a", "gate-1", 1, false)
	deliver("fns", "1c", "guid-long", "gate-2", 9, false)
	deliver("pfr", "1c", "guid-a", "gate-3", 2, false)
	return map[string]InboundFilter{
		"a":               {Direction: "fns", Type: "1c", GUID: "guid-a"},
		"a, its gate":     {Direction: "fns", Type: "1c", GUID: "guid-a", Gate: "gate-1"},
		"a, another gate": {Direction: "fns", Type: "1c", GUID: "guid-a", Gate: "gate-2"},
		"a, another type": {Direction: "fns", Type: "ao4", GUID: "guid-a"},
		"a, in PFR":       {Direction: "pfr", Type: "1c", GUID: "guid-a"},
		"long":            {Direction: "fns", Type: "1c", GUID: "guid-long"},
		"never delivered": {Direction: "fns", Type: "1c", GUID: "guid-none"},
	}
}

// TestPostgresGUIDListsReadTogether: one batch reads each subscriber's
// list as a query of its own would, row for row and field for field; a
// list longer than a batch keeps is left to be read alone, and a read
// whose request is gone fails alone.
func TestPostgresGUIDListsReadTogether(t *testing.T) {
	s := openMigrated(t, storetest.Postgres(t))
	s.guidListRows = 5
	lists := seedGUIDLists(t, s)
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()

	names := []string{"a", "a, its gate", "a, another gate", "a, another type", "a, in PFR", "long", "never delivered", "a"}
	var batch []*guidListRead
	for _, name := range names {
		batch = append(batch, &guidListRead{ctx: ctx, filter: lists[name]})
	}
	batch = append(batch, &guidListRead{ctx: gone, filter: lists["a"]})
	q := s.guidListQueue(ShapeFor(guidListFields))
	s.readGUIDLists(q, batch)

	for i, r := range batch {
		switch {
		case r.ctx == gone:
			if !errors.Is(r.err, context.Canceled) || r.rows != nil {
				t.Errorf("a read whose request is gone: %d rows, %v; want context.Canceled", len(r.rows), r.err)
			}
		case names[i] == "long":
			if !r.readAlone || r.rows != nil || r.err != nil {
				t.Errorf("a list of 9 with batches of at most 5: readAlone %v, %d rows, %v; want it read alone", r.readAlone, len(r.rows), r.err)
			}
		default:
			if r.err != nil || r.readAlone {
				t.Fatalf("%s: readAlone %v, %v", names[i], r.readAlone, r.err)
			}
			var got [][]any
			for j := range r.rows {
				got = append(got, rowValues(&r.rows[j]))
			}
			if want := listedAlone(t, s, r.filter); !reflect.DeepEqual(got, want) {
				t.Errorf("%s read together:\n%v\nwant, as read alone:\n%v", names[i], got, want)
			}
		}
	}
	if n := len(batch[0].rows); n != 3 {
		t.Errorf("guid-a's 1c list has %d rows, want its 3 not deleted", n)
	}
}

// TestPostgresGUIDListsQueueBehindARead: lists asked for while a batch
// runs wait, and are answered together by the next, each with its own
// rows; the list too long for a batch is then read alone.
func TestPostgresGUIDListsQueueBehindARead(t *testing.T) {
	s := openMigrated(t, storetest.Postgres(t))
	s.guidListRows = 5
	lists := seedGUIDLists(t, s)
	ctx := context.Background()
	shape := ShapeFor(guidListFields)
	q := s.guidListQueue(shape)

	hold, leading := make(chan struct{}), make(chan struct{})
	go q.do(&guidListRead{ctx: ctx}, func([]*guidListRead) {
		close(leading)
		<-hold
	})
	<-leading
	got := map[string][][]any{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, f := range lists {
		wg.Go(func() {
			var rows [][]any
			err := s.EachInbound(ctx, f, shape, func(r *Row) error {
				rows = append(rows, rowValues(r))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			got[name] = rows
			mu.Unlock()
		})
	}
	for deadline := time.Now().Add(10 * time.Second); q.queuedLen() < len(lists); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lists queued behind the running batch", q.queuedLen(), len(lists))
		}
	}
	close(hold)
	wg.Wait()
	for name, f := range lists {
		if want := listedAlone(t, s, f); !reflect.DeepEqual(got[name], want) {
			t.Errorf("%s: %v\nwant %v", name, got[name], want)
		}
	}
	if len(got["long"]) != 9 {
		t.Errorf("the long list has %d rows, want 9", len(got["long"]))
	}
}

// TestGUIDListSeesEveryChangeBeforeIt: a subscriber's list asked for
// after a delivery to it has committed shows the delivery, however many
// lists and deliveries run at once.
func TestGUIDListSeesEveryChangeBeforeIt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s := openMigrated(t, db)
			shape := ShapeFor(guidListFields)
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Go(func() {
					guid := fmt.Sprintf("guid-%d", w)
					for i := range 20 {
						p := deliveryPackage(guid, fmt.Sprintf("gate-%d", w%4))
						if err := s.Insert(ctx, p); err != nil {
							t.Error(err)
							return
						}
						var ids []string
						err := s.EachInbound(ctx, InboundFilter{Direction: "fns", Type: "1c", GUID: guid}, shape, func(r *Row) error {
							ids = append(ids, r.Value("id").(string))
							return nil
						})
						if err != nil {
							t.Error(err)
							return
						}
						if len(ids) != i+1 || ids[i] != p.ID {
							t.Errorf("%s after its delivery %d: listed %d packages, the last %v; want %d, the last %s",
								guid, i+1, len(ids), ids[len(ids)-1:], i+1, p.ID)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
