package httpapi

import (
	"bytes"
	"testing"
)

func TestGateListsKeepByVersionWithinBudget(t *testing.T) {
	g := NewGateLists(16 * 100) // entries of at most 100 bytes
	body := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	a, b := gateListKey{typ: "1c", gate: "a"}, gateListKey{typ: "1c", gate: "b"}

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
	if g.bytes != 10 {
		t.Fatalf("counted %d bytes, want 10", g.bytes)
	}

	// Past the budget the least recently used go first.
	for i := range 16 {
		g.keep(gateListKey{typ: "1c", gate: string(rune('c' + i))}, 1, body(100, 'x'))
		if i == 0 {
			g.get(a, 3) // a was used after c
		}
	}
	if g.bytes > g.budget {
		t.Fatalf("%d bytes kept, budget %d", g.bytes, g.budget)
	}
	if _, ok := g.get(gateListKey{typ: "1c", gate: "c"}, 1); ok {
		t.Fatal("the least recently used list is still kept")
	}
	if _, ok := g.get(a, 3); !ok {
		t.Fatal("a list used since is gone")
	}
	if _, ok := g.get(gateListKey{typ: "1c", gate: string(rune('c' + 15))}, 1); !ok {
		t.Fatal("the newest list is not kept")
	}

	if NewGateLists(0) != nil {
		t.Fatal("a budget of 0 keeps lists")
	}
}
