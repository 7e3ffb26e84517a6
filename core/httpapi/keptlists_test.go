package httpapi

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/reportgate/reportgate/sdk"
)

func TestKeptListsKeepByVersionWithinBudget(t *testing.T) {
	g := NewKeptLists(16 * (100 + keptListOverhead)) // bodies of at most 100 bytes
	body := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	a, b := keptListKey{typ: "1c", gate: "a"}, keptListKey{typ: "1c", gate: "b"}

	g.keep(a, 1, body(100, 'a'))
	if got, ok := g.get(a, 1); !ok || !bytes.Equal(got, body(100, 'a')) {
		t.Fatalf("get a@1 = %q, %v", got, ok)
	}
	if _, ok := g.get(a, 2); ok {
		t.Fatal("a list is answered for a version it was not read at")
	}
	g.keep(b, 1, body(101, 'b'))
	if _, ok := g.get(b, 1); ok {
		t.Fatal("a list over a sixteenth of the budget is kept")
	}

	// A later version replaces the list; an earlier one does not.
	g.keep(a, 3, body(10, '3'))
	g.keep(a, 2, body(10, '2'))
	if got, ok := g.get(a, 3); !ok || got[0] != '3' {
		t.Fatalf("get a@3 = %q, %v", got, ok)
	}
	if g.bytes != 10+keptListOverhead {
		t.Fatalf("counted %d bytes, want %d", g.bytes, 10+keptListOverhead)
	}

	// Past the budget the least recently used go first.
	for i := range 16 {
		g.keep(keptListKey{typ: "1c", gate: string(rune('c' + i))}, 1, body(100, 'x'))
		if i == 0 {
			g.get(a, 3) // a was used after c
		}
	}
	if g.bytes > g.budget {
		t.Fatalf("%d bytes kept, budget %d", g.bytes, g.budget)
	}
	if _, ok := g.get(keptListKey{typ: "1c", gate: "c"}, 1); ok {
		t.Fatal("the least recently used list is still kept")
	}
	if _, ok := g.get(a, 3); !ok {
		t.Fatal("a list used since is gone")
	}
	if _, ok := g.get(keptListKey{typ: "1c", gate: string(rune('c' + 15))}, 1); !ok {
		t.Fatal("the newest list is not kept")
	}

	if NewKeptLists(0) != nil {
		t.Fatal("a budget of 0 keeps lists")
	}
}

// TestKeptMassreportKeysAreInstants: a massreport's range is its key by
// the instants it covers, however the times were made.
func TestKeptMassreportKeysAreInstants(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	g := NewKeptLists(1 << 20)
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, moscow)
	keyOf := func(since, until time.Time) keptListKey {
		return keptListKey{op: sdk.OpMassreport, code: "7700", since: instantOf(since), until: instantOf(until)}
	}
	g.keep(keyOf(day, day.AddDate(0, 0, 1)), 1, []byte("[]"))
	// The same instants in UTC, one of them read off a clock.
	now := time.Now()
	sinceUTC := now.Add(day.Sub(now)).UTC()
	if _, ok := g.get(keyOf(sinceUTC, day.AddDate(0, 0, 1).UTC()), 1); !ok {
		t.Fatal("the same range in another zone is not the same massreport")
	}
	if _, ok := g.get(keyOf(day.Add(time.Second), day.AddDate(0, 0, 1)), 1); ok {
		t.Fatal("another range is answered with the kept massreport")
	}
	// Two instants 2^64 ns (584 years) apart, which UnixNano wraps onto
	// each other.
	far := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	later := far.Add(math.MaxInt64).Add(math.MaxInt64).Add(2)
	if far.UnixNano() != later.UnixNano() {
		t.Fatalf("%v and %v do not wrap onto each other", far, later)
	}
	g.keep(keyOf(far, far.AddDate(0, 0, 1)), 1, []byte("[1]"))
	if got, _ := g.get(keyOf(later, far.AddDate(0, 0, 1)), 1); got != nil {
		t.Fatalf("a range 584 years later is answered with %q", got)
	}
}
