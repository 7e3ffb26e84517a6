package store

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

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
//
// An item whose ctx ends while it still waits for a batch leaves the
// queue, and do returns ctx's error: it was never run. Once in a batch, it
// waits for the batch, whose run decides what a request gone by then
// gets. Without that, a batch that hangs (a database that stops
// answering) would hold every request queued behind it after its client
// had given up.
func (q *batchQueue[T]) do(ctx context.Context, item T, run func(batch []T)) error {
	e := &queued[T]{item: item, done: make(chan struct{}), lead: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, e)
	if q.leading {
		q.mu.Unlock()
		select {
		case <-e.done:
			return nil
		case <-e.lead:
		case <-ctx.Done():
			if q.leave(e) {
				return ctx.Err()
			}
			// Taken into a batch meanwhile: its outcome is the batch's.
			<-e.done
			return nil
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
	return nil
}

// leave takes e out of the queue, if no batch has taken it, and reports
// whether it did. An item handed the lead as it leaves hands it on.
func (q *batchQueue[T]) leave(e *queued[T]) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.waiting, e)
	if i < 0 {
		return false
	}
	q.waiting = slices.Delete(q.waiting, i, i+1)
	select {
	case <-e.lead:
		q.passLead()
	default:
	}
	return true
}

// handOver gives the lead to the first item that arrived during a batch,
// or lets the next item lead.
func (q *batchQueue[T]) handOver() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.passLead()
}

// passLead hands the lead to the first item waiting, or lets the next
// item lead. The caller holds q.mu.
func (q *batchQueue[T]) passLead() {
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

// untilAllDone is a context with the first of ctxs's values that ends
// once every one of ctxs has ended, or cancel is called. A batch runs
// under it: one request's cancellation must not stop the others' query,
// but a query none of them waits for any more need not go on.
func untilAllDone(ctxs []context.Context) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancelCtx := context.WithCancel(context.WithoutCancel(ctxs[0]))
	var left atomic.Int64
	left.Store(int64(len(ctxs)))
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, func() {
			if left.Add(-1) == 0 {
				cancelCtx()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancelCtx()
	}
}
