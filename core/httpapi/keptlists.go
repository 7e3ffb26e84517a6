package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// KeptLists keeps rendered lists that many clients poll unchanged: the
// lists of a gate and the massreports. Each is kept with the version read
// before it was (store.GateVersion, store.MailingVersion), and answered
// only while the version read for a request equals its own, so any
// change, committed by any host, makes the next request read the list
// from the database again.
//
// A gateway polls its gate's list again and again, and the list changes
// only when a package of the gate is stored or deleted; rendering it anew
// each time (hundreds of rows from the database, 100–250 KB of JSON) cost
// two to three milliseconds of CPU an answer, which put the list of a
// gate's p99 at c=32 far above 10 ms on two cores, for reportgate and its
// baseline alike. Every subscriber of a tax office asks for the same
// massreport, and a direction's mailings change only when the regulator
// publishes one; reading it anew for each request was a query round trip
// and most of the machine's CPU an answer.
//
// The lists are bounded by their bytes, least recently used first out.
// golang-lru's simplelru bounds entries by count only, so the bytes are
// counted here, under one mutex that also guards the LRU.
type KeptLists struct {
	mu       sync.Mutex
	lists    *simplelru.LRU[keptListKey, keptList]
	bytes    int
	budget   int
	maxEntry int
}

// keptListKey names one list: the compiled direction it was rendered by
// (a reload that mounts a new manifest renders anew), the operation, and
// what the request asked for: a type and gate, or a code and the range a
// massreport covers.
type keptListKey struct {
	dir          *enforce.Direction
	op           sdk.OperationKind
	typ, gate    string
	code         string
	since, until time.Time
}

// instantOf is t as a map key: == on time.Time compares the location and
// the monotonic reading as well as the instant, so both are normalised
// away. (UnixNano would not do: it wraps outside 1678–2262, and a client
// may ask for any year.)
func instantOf(t time.Time) time.Time { return t.UTC().Round(0) }

type keptList struct {
	version int64
	body    []byte
}

// keptListOverhead is what an entry costs beside its body, counted
// against the budget: its key, its slot in the LRU and the slice header.
// A massreport can be a few bytes long, and without it a budget of small
// entries would hold far more memory than it says.
const keptListOverhead = 256

// keptListShare is the share of the budget one list may take at most, so
// that one gate with a long backlog does not push every other list out.
const keptListShare = 16

// NewKeptLists keeps rendered lists of up to budget bytes in all; with 0
// it returns nil, which keeps none.
func NewKeptLists(budget int) *KeptLists {
	if budget <= 0 {
		return nil
	}
	k := &KeptLists{budget: budget, maxEntry: max(1, budget/keptListShare)}
	// The count bound is never the one reached: bytes are.
	k.lists, _ = simplelru.NewLRU(math.MaxInt, func(_ keptListKey, l keptList) { k.bytes -= l.size() })
	return k
}

func (l keptList) size() int { return len(l.body) + keptListOverhead }

// maxBody is the longest body a list may have to be kept.
func (k *KeptLists) maxBody() int { return max(1, k.maxEntry-keptListOverhead) }

// get returns the list kept for key at version.
func (k *KeptLists) get(key keptListKey, version int64) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.lists.Get(key)
	if !ok || l.version != version {
		return nil, false
	}
	return l.body, true
}

// keep stores body as key's list at version, unless it is longer than an
// entry may be or a list of a later version is kept already (a request
// that read the version after this one did finished first).
func (k *KeptLists) keep(key keptListKey, version int64, body []byte) {
	l := keptList{version: version, body: body}
	if l.size() > k.maxEntry {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.lists.Peek(key); ok {
		if old.version > version {
			return
		}
		// Add replaces an entry without calling the eviction callback.
		k.bytes -= old.size()
	}
	k.lists.Add(key, l)
	k.bytes += l.size()
	for k.bytes > k.budget {
		k.lists.RemoveOldest()
	}
}

// serveKept reads the list's version, answers the list from memory when
// it is kept at that version, and otherwise streams it from the
// database, keeping what it wrote at that version. The version is read
// before the query runs: a change committed in between then moves the
// version past it, and the next request reads the list again. A host
// that keeps no lists streams every one, without reading a version.
func (s *Server) serveKept(w http.ResponseWriter, r *http.Request, m *Mounted, resp *enforce.Response,
	key keptListKey, readVersion func(context.Context) (int64, error), query func(func(*store.Row) error) error) {
	if s.opts.KeptLists == nil {
		s.stream(w, r, m, resp, 0, query)
		return
	}
	version, err := readVersion(r.Context())
	if err != nil {
		writeDirectionFailure(w, m, s.serverFailure(r.Context(), "read the list", err))
		return
	}
	kept := s.opts.KeptLists
	if body, ok := kept.get(key, version); ok {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	if body := s.stream(w, r, m, resp, kept.maxBody(), query); body != nil {
		kept.keep(key, version, body)
	}
}
