package httpapi

import (
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/reportgate/reportgate/sdk/enforce"
)

// GateLists keeps rendered lists of a gate, each with the gate's version
// (store.GateVersion) read before the list was. A gateway polls its
// gate's list again and again, and the list changes only when a package
// of the gate is stored or deleted; rendering it anew each time (hundreds
// of rows from the database, 100–250 KB of JSON) cost two to three
// milliseconds of CPU an answer, which put the list of a gate's p99 at
// c=32 far above 10 ms on two cores, for reportgate and its baseline
// alike. A kept list is answered only while the version read for the
// request equals its own, so any change, committed by any host, makes the
// next request read the list from the database again.
//
// The lists are bounded by their bytes, least recently used first out.
// golang-lru's simplelru bounds entries by count only, so the bytes are
// counted here, under one mutex that also guards the LRU.
type GateLists struct {
	mu       sync.Mutex
	lists    *simplelru.LRU[gateListKey, gateList]
	bytes    int
	budget   int
	maxEntry int
}

// gateListKey names one list: the compiled direction it was rendered by
// (a reload that mounts a new manifest renders anew), the type and the
// gate.
type gateListKey struct {
	dir       *enforce.Direction
	typ, gate string
}

type gateList struct {
	version int64
	body    []byte
}

// gateListShare is the share of the budget one list may take at most, so
// that one gate with a long backlog does not push every other list out.
const gateListShare = 16

// NewGateLists keeps rendered lists of up to budget bytes in all; with 0
// it returns nil, which keeps none.
func NewGateLists(budget int) *GateLists {
	if budget <= 0 {
		return nil
	}
	g := &GateLists{budget: budget, maxEntry: max(1, budget/gateListShare)}
	// The count bound is never the one reached: bytes are.
	g.lists, _ = simplelru.NewLRU(math.MaxInt, func(_ gateListKey, l gateList) { g.bytes -= len(l.body) })
	return g
}

// get returns the list kept for key at version.
func (g *GateLists) get(key gateListKey, version int64) ([]byte, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l, ok := g.lists.Get(key)
	if !ok || l.version != version {
		return nil, false
	}
	return l.body, true
}

// keep stores body as key's list at version, unless it is longer than an
// entry may be or a list of a later version is kept already (a request
// that read the version after this one did finished first).
func (g *GateLists) keep(key gateListKey, version int64, body []byte) {
	if len(body) > g.maxEntry {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if l, ok := g.lists.Peek(key); ok {
		if l.version > version {
			return
		}
		// Add replaces an entry without calling the eviction callback.
		g.bytes -= len(l.body)
	}
	g.lists.Add(key, gateList{version: version, body: body})
	g.bytes += len(body)
	for g.bytes > g.budget {
		g.lists.RemoveOldest()
	}
}
