package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/store/storetest"
)

// open returns a migrated store per backend.
func open(t *testing.T) map[string]*store.Store {
	t.Helper()
	out := map[string]*store.Store{}
	for _, db := range storetest.Databases(t) {
		out[db.Name] = openOne(t, db)
	}
	return out
}

// settleOutbox makes every upload committed so far visible in the
// store's outbox (storetest.SettleOutbox).
func settleOutbox(t *testing.T, st *store.Store) {
	t.Helper()
	if st.Dialect() == store.Postgres {
		storetest.AwaitOlderTransactions(t, st.DB().DB)
	}
}

// openOne returns a migrated store on the database.
func openOne(t *testing.T, db storetest.Database) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), db.URL)
	if err != nil {
		t.Fatalf("%s: open: %v", db.Name, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("%s: migrate: %v", db.Name, err)
	}
	return st
}

func TestMigrateTwiceAppliesNothingNew(t *testing.T) {
	for name, st := range open(t) {
		t.Run(name, func(t *testing.T) {
			applied, err := st.Migrate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != 0 {
				t.Fatalf("second migrate applied %v", applied)
			}
		})
	}
}

// t0 is a time with microseconds, which both dialects keep exactly.
var t0 = time.Date(2024, 3, 12, 11, 56, 17, 123456000, time.UTC)

// forEach runs a test once per backend, each with a fresh database.
func forEach(t *testing.T, test func(t *testing.T, st *store.Store)) {
	t.Helper()
	for name, st := range open(t) {
		t.Run(name, func(t *testing.T) { test(t, st) })
	}
}

// pkg is a package with the fields every row needs; options fill the rest.
func pkg(direction string, kind store.Kind, opts ...func(*store.Package)) *store.Package {
	p := &store.Package{
		ID:        uuid.NewString(),
		Direction: direction,
		Kind:      kind,
		UID:       strings.ReplaceAll(uuid.NewString(), "-", ""),
		Filename:  "package.zip",
		Size:      42,
		SHA256:    strings.Repeat("ab", 32),
		DateIn:    store.Time{Time: t0},
	}
	if kind != store.KindUpload {
		p.Link = store.NullString("/" + direction + "/" + p.UID + "/package.zip")
		p.LinkPath = store.NullString(strings.TrimPrefix(string(p.Link), "/"))
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func typ(v string) func(*store.Package) {
	return func(p *store.Package) { p.Type = store.NullString(v) }
}
func guid(v string) func(*store.Package) {
	return func(p *store.Package) { p.GUID = store.NullString(v) }
}
func gate(v string) func(*store.Package) {
	return func(p *store.Package) { p.Gate = store.NullString(v) }
}
func code(v string) func(*store.Package) {
	return func(p *store.Package) { p.Code = store.NullString(v) }
}
func dateIn(at time.Time) func(*store.Package) {
	return func(p *store.Package) { p.DateIn = store.Time{Time: at} }
}

func insert(t *testing.T, st *store.Store, ps ...*store.Package) {
	t.Helper()
	for _, p := range ps {
		if err := st.Insert(context.Background(), p); err != nil {
			t.Fatalf("Insert %s: %v", p.ID, err)
		}
	}
}

// ids lists the ids of packages, in order.
func ids(ps ...*store.Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func inbound(t *testing.T, st *store.Store, f store.InboundFilter) []string {
	t.Helper()
	var got []string
	err := st.EachInbound(context.Background(), f, store.ShapeFor([]string{"id"}), func(r *store.Row) error {
		got = append(got, r.Value("id").(string))
		return nil
	})
	if err != nil {
		t.Fatalf("EachInbound(%+v): %v", f, err)
	}
	return got
}

func mailings(t *testing.T, st *store.Store, f store.MailingFilter) []string {
	t.Helper()
	var got []string
	err := st.EachMailing(context.Background(), f, store.ShapeFor([]string{"id"}), func(r *store.Row) error {
		got = append(got, r.Value("id").(string))
		return nil
	})
	if err != nil {
		t.Fatalf("EachMailing(%+v): %v", f, err)
	}
	return got
}

func TestInsertRoundTrip(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		full := pkg("pfr", store.KindInbound, typ("1c"), guid("6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
			gate("0c1d2e3f-0000-4000-8000-000000000001"), code("99-99"))
		full.Filename = "Ответ \"ПФР\" 'x'.zip"
		full.Link = store.NullString("/099-099-999999/" + full.UID + "/" + full.Filename)
		full.LinkPath = store.NullString(strings.TrimPrefix(string(full.Link), "/"))
		full.Size = 1 << 40
		full.ClientIP = "2001:db8::1"
		full.SentAt = store.NullTime{Time: store.Time{Time: t0.Add(-time.Hour)}, Valid: true}
		full.Attrs = store.Attrs{"regnum": "099-099-999999", "окпо": "12345678", "quote": `a"b\c`}

		bare := pkg("fns", store.KindUpload)
		insert(t, st, full, bare)
		if full.Seq <= 0 || bare.Seq <= full.Seq {
			t.Errorf("Seq = %d then %d, want increasing positive numbers", full.Seq, bare.Seq)
		}

		for _, want := range []*store.Package{full, bare} {
			got, err := st.ByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("ByID: %v", err)
			}
			if want.Attrs == nil {
				// Unset attributes are stored as {} and read back empty.
				if len(got.Attrs) != 0 {
					t.Errorf("Attrs = %v, want none", got.Attrs)
				}
				got.Attrs = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ByID\n got %+v\nwant %+v", got, want)
			}
			if got.DateIn.Location() != time.UTC {
				t.Errorf("DateIn is in %v, want UTC", got.DateIn.Location())
			}
		}

		got, err := st.ByLink(ctx, string(full.LinkPath))
		if err != nil {
			t.Fatalf("ByLink: %v", err)
		}
		// A download reads only what it needs.
		want := store.Package{ID: full.ID, Direction: full.Direction, Kind: full.Kind, Filename: full.Filename,
			Size: full.Size, SHA256: full.SHA256, DateIn: full.DateIn, PurgedAt: full.PurgedAt}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("ByLink\n got %+v\nwant %+v", *got, want)
		}
		// The resolver looks up the path without its leading slash.
		if _, err := st.ByLink(ctx, string(full.Link)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ByLink with the leading slash: %v, want ErrNotFound", err)
		}
		if _, err := st.ByID(ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) || !store.IsNotFound(err) {
			t.Errorf("ByID of an unknown id: %v, want ErrNotFound", err)
		}
		if _, err := st.ByLink(ctx, "nowhere/x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ByLink of an unknown link: %v, want ErrNotFound", err)
		}
	})
}

// TestTimesKeepTheirInstant stores times given in other zones.
func TestTimesKeepTheirInstant(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		msk := time.FixedZone("MSK", 3*60*60)
		at := time.Date(2024, 12, 31, 23, 59, 59, 999999000, msk)
		p := pkg("fns", store.KindUpload, dateIn(at))
		p.SentAt = store.NullTime{Time: store.Time{Time: at.Add(-time.Second)}, Valid: true}
		insert(t, st, p)
		got, err := st.ByID(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.DateIn.Equal(at) || got.DateIn.Location() != time.UTC {
			t.Errorf("DateIn = %v, want %v in UTC", got.DateIn.Time, at.UTC())
		}
		if !got.SentAt.Valid || !got.SentAt.Time.Equal(at.Add(-time.Second)) {
			t.Errorf("SentAt = %+v", got.SentAt)
		}
	})
}

func TestEachInbound(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const a, b = "1AE00000000-0000-0000-0000-00000000000A", "1AE00000000-0000-0000-0000-00000000000B"
		p1 := pkg("fns", store.KindInbound, typ("1c"), guid(a), gate("g1"), dateIn(t0.Add(time.Hour)))
		p2 := pkg("fns", store.KindInbound, typ("1c"), guid(b), gate("g2"))
		p3 := pkg("fns", store.KindInbound, typ("ao4"), guid(a), gate("g1"), func(p *store.Package) {
			p.Attrs = store.Attrs{"product_guid": "00000000-0000-0000-0000-00000000000A", "regnum": `a"b\c ü`, "empty": "", "it's": "x", "$": "y"}
		})
		deleted := pkg("fns", store.KindInbound, typ("1c"), guid(a), gate("g1"))
		p5 := pkg("fns", store.KindInbound, typ("1c"), guid(a), gate("g1"), dateIn(t0.Add(-time.Hour)))
		noGate := pkg("fns", store.KindInbound, typ("1c"), guid("1AE00000000-0000-0000-0000-00000000000C"))
		upload := pkg("fns", store.KindUpload, typ("1c"), guid(a), gate("g1"))
		mailing := pkg("fns", store.KindMailing, typ("1c"), gate("g1"))
		other := pkg("pfr", store.KindInbound, typ("1c"), guid(a), gate("g1"))
		insert(t, st, p1, p2, p3, deleted, p5, noGate, upload, mailing, other)
		if _, err := st.MarkDeleted(ctx, string(deleted.LinkPath), []string{"fns"}, t0); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name string
			f    store.InboundFilter
			want []string
		}{
			// Oldest first is the order of arrival, whatever date_in says.
			{"type", store.InboundFilter{Direction: "fns", Type: "1c"}, ids(p1, p2, p5, noGate)},
			{"type and guid", store.InboundFilter{Direction: "fns", Type: "1c", GUID: a}, ids(p1, p5)},
			{"type and gate", store.InboundFilter{Direction: "fns", Type: "1c", Gate: "g2"}, ids(p2)},
			{"type, guid and gate", store.InboundFilter{Direction: "fns", Type: "1c", GUID: a, Gate: "g1"}, ids(p1, p5)},
			{"guid and another gate", store.InboundFilter{Direction: "fns", Type: "1c", GUID: a, Gate: "g2"}, nil},
			{"another type", store.InboundFilter{Direction: "fns", Type: "ao4"}, ids(p3)},
			{"a type with nothing", store.InboundFilter{Direction: "fns", Type: "ao5"}, nil},
			{"another direction", store.InboundFilter{Direction: "pfr", Type: "1c"}, ids(other)},
			{"no type matches nothing", store.InboundFilter{Direction: "fns"}, nil},
		}
		for _, c := range cases {
			if got := inbound(t, st, c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		stop := errors.New("stop")
		calls := 0
		err := st.EachInbound(ctx, store.InboundFilter{Direction: "fns", Type: "1c"}, store.ShapeFor([]string{"id"}), func(*store.Row) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("EachInbound returned %v after %d calls, want fn's error after one", err, calls)
		}

		// fn sees the fields asked for, and only those. Attributes come
		// out of the JSON as their text; an empty or missing one is unset.
		fields := []string{"id", "link", "guid", "date_in", "size", "sent_at", "product_guid", "regnum", "regnum", "empty", "missing"}
		err = st.EachInbound(ctx, store.InboundFilter{Direction: "fns", Type: "ao4"}, store.ShapeFor(fields), func(r *store.Row) error {
			for _, f := range fields {
				if got, want := r.Value(f), p3.Value(f); got != want {
					t.Errorf("row's %s = %#v, want %#v", f, got, want)
				}
			}
			if b, ok := r.Bytes("link"); !ok || string(b) != string(p3.Link) {
				t.Errorf("row lends link %q, %v", b, ok)
			}
			if b, ok := r.Bytes("regnum"); !ok || string(b) != `a"b\c ü` {
				t.Errorf("row lends regnum %q, %v", b, ok)
			}
			if b, ok := r.Bytes("missing"); !ok || len(b) != 0 {
				t.Errorf("row lends a missing attribute as %q, %v", b, ok)
			}
			if r.Value("filename") != nil || r.Value("type") != nil {
				t.Errorf("row shows fields not asked for: %v %v", r.Value("filename"), r.Value("type"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// A name that is not a plain one is still only a key: quoted, and
		// never a JSON path, on either database.
		odd := []string{"it's", "$"}
		err = st.EachInbound(ctx, store.InboundFilter{Direction: "fns", Type: "ao4"}, store.ShapeFor(odd), func(r *store.Row) error {
			if got := r.Value("it's"); got != "x" {
				t.Errorf("row's it's = %#v, want \"x\"", got)
			}
			if got := r.Value("$"); got != nil {
				t.Errorf("row's $ = %#v, want nil: $ is not selected", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestEachMailing(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		day := time.Date(2024, 3, 11, 21, 0, 0, 0, time.UTC) // 2024-03-12 00:00 in Moscow
		late := pkg("fns", store.KindMailing, code("7701"), dateIn(day.Add(20*time.Hour)))
		early := pkg("fns", store.KindMailing, code("7702"), dateIn(day.Add(time.Hour)))
		start := pkg("fns", store.KindMailing, code("7701"), dateIn(day))
		end := pkg("fns", store.KindMailing, code("7701"), dateIn(day.Add(24*time.Hour)))
		before := pkg("fns", store.KindMailing, code("7701"), dateIn(day.Add(-time.Microsecond)))
		inbound := pkg("fns", store.KindInbound, code("7701"), typ("1c"), dateIn(day.Add(time.Hour)))
		other := pkg("rosstat", store.KindMailing, code("7701"), dateIn(day.Add(time.Hour)))
		insert(t, st, late, early, start, end, before, inbound, other)

		cases := []struct {
			name string
			f    store.MailingFilter
			want []string
		}{
			// [since, until), ordered by date_in, not by arrival.
			{"one day", store.MailingFilter{Direction: "fns", Since: day, Until: day.Add(24 * time.Hour)}, ids(start, early, late)},
			{"one day and a code", store.MailingFilter{Direction: "fns", Code: "7701", Since: day, Until: day.Add(24 * time.Hour)}, ids(start, late)},
			{"another code", store.MailingFilter{Direction: "fns", Code: "7702", Since: day, Until: day.Add(24 * time.Hour)}, ids(early)},
			{"an unknown code", store.MailingFilter{Direction: "fns", Code: "0000", Since: day, Until: day.Add(24 * time.Hour)}, nil},
			{"to the microsecond", store.MailingFilter{Direction: "fns", Since: day.Add(-time.Microsecond), Until: day}, ids(before)},
			{"including the end", store.MailingFilter{Direction: "fns", Since: day.Add(20 * time.Hour), Until: day.Add(24*time.Hour + time.Microsecond)}, ids(late, end)},
			{"an empty range", store.MailingFilter{Direction: "fns", Since: day, Until: day}, nil},
			{"another direction", store.MailingFilter{Direction: "rosstat", Since: day, Until: day.Add(24 * time.Hour)}, ids(other)},
		}
		for _, c := range cases {
			if got := mailings(t, st, c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	})
}

func TestMarkDeleted(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := pkg("fns", store.KindInbound, typ("1c"))
		mailing := pkg("fns", store.KindMailing, code("7701"))
		insert(t, st, p, mailing)

		// Another direction's delete does not reach it.
		if _, err := st.MarkDeleted(ctx, string(p.LinkPath), []string{"pfr", "rosstat"}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkDeleted for other directions: %v, want ErrNotFound", err)
		}
		if _, err := st.MarkDeleted(ctx, string(p.LinkPath), nil, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkDeleted for no direction: %v, want ErrNotFound", err)
		}
		if got := inbound(t, st, store.InboundFilter{Direction: "fns", Type: "1c"}); !slices.Equal(got, ids(p)) {
			t.Fatalf("listed %v before the delete", got)
		}

		first := t0.Add(time.Hour)
		got, err := st.MarkDeleted(ctx, string(p.LinkPath), []string{"pfr", "fns"}, first)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || !got.DeletedAt.Valid || !got.DeletedAt.Time.Equal(first) {
			t.Errorf("MarkDeleted returned %+v, want %s deleted at %v", got, p.ID, first)
		}
		if got := inbound(t, st, store.InboundFilter{Direction: "fns", Type: "1c"}); len(got) != 0 {
			t.Errorf("listed %v after the delete", got)
		}

		// Deleting again keeps the first date.
		got, err = st.MarkDeleted(ctx, string(p.LinkPath), []string{"fns"}, first.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !got.DeletedAt.Time.Equal(first) {
			t.Errorf("second delete: DeletedAt = %v, want the first %v", got.DeletedAt.Time, first)
		}
		stored, err := st.ByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.DeletedAt.Valid || !stored.DeletedAt.Time.Equal(first) {
			t.Errorf("stored DeletedAt = %+v, want %v", stored.DeletedAt, first)
		}
		// It still resolves, until the purge.
		if _, err := st.ByLink(ctx, string(p.LinkPath)); err != nil {
			t.Errorf("ByLink after the delete: %v", err)
		}

		// A mass mailing is everyone's: it is found, and left as it is.
		got, err = st.MarkDeleted(ctx, string(mailing.LinkPath), []string{"fns"}, first)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != mailing.ID || got.DeletedAt.Valid {
			t.Errorf("MarkDeleted of a mailing returned %+v, want it untouched", got)
		}
		if got := mailings(t, st, store.MailingFilter{Direction: "fns", Since: t0, Until: t0.Add(time.Second)}); !slices.Equal(got, ids(mailing)) {
			t.Errorf("mailings after a delete: %v", got)
		}

		if _, err := st.MarkDeleted(ctx, "no/such/link", []string{"fns"}, first); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkDeleted of an unknown link: %v, want ErrNotFound", err)
		}
	})
}

func TestGateBinding(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const a = "1AE00000000-0000-0000-0000-00000000000A"
		insert(t, st, pkg("fns", store.KindInbound, typ("1c"), guid(a), gate("g1")))
		if g, err := st.GateOf(ctx, "fns", a); err != nil || g != "g1" {
			t.Errorf("GateOf = %q, %v; want g1", g, err)
		}

		// The same gate again is fine.
		insert(t, st, pkg("fns", store.KindInbound, typ("ao4"), guid(a), gate("g1")))

		// Another gate for the guid is refused, and nothing is stored.
		conflict := pkg("fns", store.KindInbound, typ("1c"), guid(a), gate("g2"))
		if err := st.Insert(ctx, conflict); !errors.Is(err, store.ErrGateConflict) {
			t.Fatalf("Insert with another gate: %v, want ErrGateConflict", err)
		}
		if _, err := st.ByID(ctx, conflict.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the refused package was stored: %v", err)
		}
		if g, err := st.GateOf(ctx, "fns", a); err != nil || g != "g1" {
			t.Errorf("GateOf after the conflict = %q, %v; want g1", g, err)
		}

		// Another direction keeps its own binding.
		insert(t, st, pkg("pfr", store.KindInbound, typ("1c"), guid(a), gate("g2")))
		if g, err := st.GateOf(ctx, "pfr", a); err != nil || g != "g2" {
			t.Errorf("GateOf in pfr = %q, %v; want g2", g, err)
		}

		// Without a gate nothing is bound or checked; without a guid
		// neither.
		insert(t, st,
			pkg("fns", store.KindInbound, typ("1c"), guid(a)),
			pkg("fns", store.KindUpload, guid("1AE00000000-0000-0000-0000-00000000000B")),
			pkg("fns", store.KindMailing, gate("g9")),
		)
		if _, err := st.GateOf(ctx, "fns", "1AE00000000-0000-0000-0000-00000000000B"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GateOf of a guid never given a gate: %v, want ErrNotFound", err)
		}

		// A package that fails to insert binds nothing either.
		dup := pkg("fns", store.KindInbound, typ("1c"), guid("1AE00000000-0000-0000-0000-00000000000C"), gate("g3"))
		dup.LinkPath = pkg("fns", store.KindInbound).LinkPath
		insert(t, st, pkg("fns", store.KindInbound, func(p *store.Package) { p.LinkPath = dup.LinkPath }))
		if err := st.Insert(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("Insert of a duplicate link: %v, want ErrDuplicate", err)
		}
		if g, err := st.GateOf(ctx, "fns", "1AE00000000-0000-0000-0000-00000000000C"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused insert bound its guid to %q (%v)", g, err)
		}
	})
}

func TestDuplicates(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		first := pkg("rosstat", store.KindInbound, typ("1c"))
		insert(t, st, first)

		sameLink := pkg("fns", store.KindMailing, func(p *store.Package) { p.Link, p.LinkPath = first.Link, first.LinkPath })
		if err := st.Insert(ctx, sameLink); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("Insert of a duplicate link: %v, want ErrDuplicate", err)
		}
		sameID := pkg("rosstat", store.KindInbound, typ("1c"), func(p *store.Package) { p.ID = first.ID })
		if err := st.Insert(ctx, sameID); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("Insert of a duplicate id: %v, want ErrDuplicate", err)
		}
		// Uploads have no link, and any number of them may be stored.
		insert(t, st, pkg("rosstat", store.KindUpload), pkg("rosstat", store.KindUpload))
		if got := inbound(t, st, store.InboundFilter{Direction: "rosstat", Type: "1c"}); !slices.Equal(got, ids(first)) {
			t.Errorf("after refused inserts the list is %v", got)
		}
	})
}

func TestOutboxAndAck(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var uploads []*store.Package
		for range 5 {
			p := pkg("fns", store.KindUpload, typ("1c"))
			uploads = append(uploads, p)
			insert(t, st, p)
			insert(t, st, pkg("pfr", store.KindUpload), pkg("fns", store.KindInbound, typ("1c")))
		}

		settleOutbox(t, st)
		page := func(after store.Cursor, limit int) ([]string, store.Cursor) {
			t.Helper()
			got, err := st.Outbox(ctx, "fns", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			last := after
			for _, q := range got {
				out = append(out, q.ID)
				last = q.Cursor()
			}
			return out, last
		}
		var all []string
		var after store.Cursor
		cursors := map[string]store.Cursor{}
		for i := 0; ; i++ {
			got, last := page(after, 2)
			if len(got) == 0 {
				break
			}
			if len(got) > 2 {
				t.Fatalf("page of %d, limit 2", len(got))
			}
			all = append(all, got...)
			after = last
			cursors[got[len(got)-1]] = last
			if i > 5 {
				t.Fatal("paging does not end")
			}
		}
		if !slices.Equal(all, ids(uploads...)) {
			t.Errorf("paged outbox %v, want %v", all, ids(uploads...))
		}

		acked, err := st.Ack(ctx, uploads[1].ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !acked.AckedAt.Valid || !acked.AckedAt.Time.Equal(t0) {
			t.Errorf("Ack returned %+v", acked.AckedAt)
		}
		again, err := st.Ack(ctx, uploads[1].ID, t0.Add(time.Hour))
		if err != nil {
			t.Fatalf("second Ack: %v", err)
		}
		if !again.AckedAt.Time.Equal(t0) {
			t.Errorf("second Ack: AckedAt = %v, want the first %v", again.AckedAt.Time, t0)
		}
		want := ids(uploads[0], uploads[2], uploads[3], uploads[4])
		if got, _ := page(store.Cursor{}, 100); !slices.Equal(got, want) {
			t.Errorf("outbox after Ack %v, want %v", got, want)
		}
		// Paging on from the cursor that followed the third upload.
		third, ok := cursors[uploads[3].ID]
		if !ok {
			t.Fatalf("no page ended at the fourth upload: %v", cursors)
		}
		if got, _ := page(third, 100); !slices.Equal(got, ids(uploads[4])) {
			t.Errorf("outbox after the fourth upload: %v", got)
		}

		in := pkg("fns", store.KindInbound, typ("1c"))
		insert(t, st, in)
		if _, err := st.Ack(ctx, in.ID, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ack of an inbound package: %v, want ErrNotFound", err)
		}
		if _, err := st.Ack(ctx, uuid.NewString(), t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ack of an unknown id: %v, want ErrNotFound", err)
		}
		settleOutbox(t, st)
		if got, err := st.Outbox(ctx, "rosstat", store.Cursor{}, 10); err != nil || len(got) != 0 {
			t.Errorf("outbox of a direction with no uploads: %v, %v", got, err)
		}
	})
}

func TestPurge(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var ps []*store.Package
		for range 4 {
			p := pkg("pfr", store.KindInbound, typ("1c"))
			ps = append(ps, p)
			insert(t, st, p)
		}
		// Deleted in the order 2, 0, 1; 3 is never deleted.
		for i, at := range map[int]time.Time{2: t0, 0: t0.Add(time.Hour), 1: t0.Add(2 * time.Hour)} {
			if _, err := st.MarkDeleted(ctx, string(ps[i].LinkPath), []string{"pfr"}, at); err != nil {
				t.Fatal(err)
			}
		}
		purgeable := func(before time.Time, limit int) []string {
			t.Helper()
			got, err := st.Purgeable(ctx, before, limit)
			if err != nil {
				t.Fatal(err)
			}
			return ids(sliceOf(got)...)
		}
		if got := purgeable(t0.Add(90*time.Minute), 10); !slices.Equal(got, ids(ps[2], ps[0])) {
			t.Errorf("Purgeable before t0+90m: %v, want %v", got, ids(ps[2], ps[0]))
		}
		if got := purgeable(t0, 10); len(got) != 0 {
			t.Errorf("Purgeable before t0: %v, want none (the cutoff is exclusive)", got)
		}
		if got := purgeable(t0.Add(24*time.Hour), 1); !slices.Equal(got, ids(ps[2])) {
			t.Errorf("Purgeable limit 1: %v, want the oldest deletion", got)
		}

		if err := st.MarkPurged(ctx, ps[2].ID, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := purgeable(t0.Add(24*time.Hour), 10); !slices.Equal(got, ids(ps[0], ps[1])) {
			t.Errorf("Purgeable after MarkPurged: %v, want %v", got, ids(ps[0], ps[1]))
		}
		got, err := st.ByID(ctx, ps[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.PurgedAt.Valid || !got.PurgedAt.Time.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("PurgedAt = %+v", got.PurgedAt)
		}
	})
}

// sliceOf turns rows into pointers, for ids.
func sliceOf(ps []store.Package) []*store.Package {
	out := make([]*store.Package, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}

func TestExisting(t *testing.T) {
	forEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a, b := pkg("fns", store.KindUpload), pkg("fns", store.KindInbound, typ("1c"))
		insert(t, st, a, b)
		missing := uuid.NewString()
		got, err := st.Existing(ctx, []string{a.ID, missing, b.ID})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]bool{a.ID: true, b.ID: true}; !reflect.DeepEqual(got, want) {
			t.Errorf("Existing = %v, want %v", got, want)
		}
		got, err = st.Existing(ctx, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Existing(nil) = %v, %v", got, err)
		}
		// As many ids as the sweep asks for at once.
		many := make([]string, 1000)
		for i := range many {
			many[i] = uuid.NewString()
		}
		many[999] = a.ID
		got, err = st.Existing(ctx, many)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, map[string]bool{a.ID: true}) {
			t.Errorf("Existing of 1000 ids = %v", got)
		}
	})
}

// TestOutboxCursorMissesNoLateCommit pages the outbox while an upload that
// took its sequence number first commits last. An operator who keeps the
// cursor must still see it.
func TestOutboxCursorMissesNoLateCommit(t *testing.T) {
	forEach(t, outboxCursorMissesNoLateCommit)
}

func outboxCursorMissesNoLateCommit(t *testing.T, st *store.Store) {
	ctx := context.Background()
	// The first upload is inserted, and its transaction held open.
	tx, err := st.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	early := uuid.NewString()
	var at any = t0
	if st.Dialect() == store.SQLite {
		at = t0.UnixMicro()
	}
	_, err = tx.ExecContext(ctx, st.DB().Rebind(`INSERT INTO packages (id, direction, kind, uid, filename, size, sha256, date_in)
		VALUES (?, 'fns', 'upload', 'u', 'early.zip', 1, 'x', ?)`), early, at)
	if err != nil {
		t.Fatal(err)
	}
	// The second goes through the store, and commits first where the
	// database lets it.
	later := pkg("fns", store.KindUpload)
	done := make(chan error, 1)
	go func() { done <- st.Insert(ctx, later) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		done <- nil
	case <-time.After(200 * time.Millisecond): // SQLite: the writer waits for the lock
	}

	// The operator reads a page and keeps its cursor.
	seen := map[string]bool{}
	var cursor store.Cursor
	page, err := st.Outbox(ctx, "fns", cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range page {
		seen[q.ID] = true
		cursor = q.Cursor()
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	settleOutbox(t, st)
	page, err = st.Outbox(ctx, "fns", cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page {
		seen[p.ID] = true
	}
	if !seen[early] || !seen[later.ID] {
		t.Errorf("the operator saw %v; want both %s and %s", seen, early, later.ID)
	}
}

// TestOutboxPagesInTransactionOrderAcrossDigits pages uploads whose
// PostgreSQL transaction ids gain a digit, 98 to 101: sorted as text
// they would come 100, 101, 98, 99, and a cursor after 101 would skip
// the other two.
func TestOutboxPagesInTransactionOrderAcrossDigits(t *testing.T) {
	st := openOne(t, storetest.Postgres(t))
	ctx := context.Background()
	var want []string
	for txid := 98; txid <= 101; txid++ {
		p := pkg("fns", store.KindUpload)
		insert(t, st, p)
		if _, err := st.DB().ExecContext(ctx, `UPDATE packages SET txid = $1::text::xid8 WHERE id = $2`, txid, p.ID); err != nil {
			t.Fatal(err)
		}
		want = append(want, p.ID)
	}
	for limit := 1; limit <= 4; limit++ {
		var got []string
		var after store.Cursor
		for pages := 0; pages <= len(want); pages++ {
			page, err := st.Outbox(ctx, "fns", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range page {
				got = append(got, q.ID)
				after = q.Cursor()
			}
			if len(page) < limit {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d give %v, want %v", limit, got, want)
		}
	}
}

// TestOutboxIgnoresOtherDatabasesTransactions holds a writing transaction
// open in another database of the same PostgreSQL server: it can never
// commit an upload here, so the outbox shows an upload committed after
// it began, while it still runs.
func TestOutboxIgnoresOtherDatabasesTransactions(t *testing.T) {
	db := storetest.Postgres(t)
	st := openOne(t, db)
	ctx := context.Background()
	other := storetest.OtherDatabase(t)
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}

	p := pkg("fns", store.KindUpload)
	insert(t, st, p)
	// Transactions of other tests in this database may hold it back for
	// a moment; the one in the other database runs on to the end.
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := st.Outbox(ctx, "fns", store.Cursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 1 && page[0].ID == p.ID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox shows %v while another database's transaction runs; want the upload %s", page, p.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
