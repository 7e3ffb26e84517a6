package store

import "sync"

// batchQueue runs work in batches without waiting on purpose. The
// goroutine of the first item to find no batch running leads: it runs
// every item waiting, its own among them, then hands the lead to the
// first item that arrived meanwhile. An item alone runs at once; items
// that queue behind a batch share the next one, and each of them is in a
// batch that began after it arrived.
//
// Neither database/sql nor the drivers offer such a queue, so it is
// written here; SQLite's writes (commit) and PostgreSQL's gate
// and mailing version lookups (GateVersion, MailingVersion) use it.
type batchQueue[T any] struct {
	mu      sync.Mutex
	waiting []*queued[T]
	leading bool
}

// queued is an item in the queue.
type queued[T any] struct {
	item T
	// done is closed when a batch holding the item has run.
	done chan struct{}
	// lead is closed when the item's goroutine is to run the queue.
	lead chan struct{}
}

// do queues item and returns once a batch holding it has run. The
// goroutine that leads runs the batch with its own run; run reports each
// item's outcome in the item.
func (q *batchQueue[T]) do(item T, run func(batch []T)) {
	e := &queued[T]{item: item, done: make(chan struct{}), lead: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, e)
	if q.leading {
		q.mu.Unlock()
		select {
		case <-e.done:
			return
		case <-e.lead:
		}
		q.mu.Lock()
	}
	q.leading = true
	batch := q.waiting
	q.waiting = nil
	q.mu.Unlock()
	// Deferred, so that a run that panics (a bug, which net/http recovers
	// from) leaves neither its batch nor every later item waiting.
	defer q.handOver()
	defer func() {
		for _, e := range batch {
			close(e.done)
		}
	}()
	items := make([]T, len(batch))
	for i, e := range batch {
		items[i] = e.item
	}
	run(items)
}

// handOver gives the lead to the first item that arrived during a batch,
// or lets the next item lead.
func (q *batchQueue[T]) handOver() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) > 0 {
		close(q.waiting[0].lead)
	} else {
		q.leading = false
	}
}

// queuedLen is how many items wait behind the running batch.
func (q *batchQueue[T]) queuedLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}
