package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchQueueItemsLeaveWhileWaiting: an item whose request ends while
// it waits behind a batch returns at once, unrun, and the items behind it
// are still run.
func TestBatchQueueItemsLeaveWhileWaiting(t *testing.T) {
	var q batchQueue[int]
	var ran sync.Map
	run := func(batch []int) {
		for _, i := range batch {
			ran.Store(i, true)
		}
	}
	hold, leading := make(chan struct{}), make(chan struct{})
	go q.do(context.Background(), 0, func([]int) {
		close(leading)
		<-hold
	})
	<-leading

	gone, cancel := context.WithCancel(context.Background())
	goneDone := make(chan error, 1)
	go func() { goneDone <- q.do(gone, 1, run) }()
	keptDone := make(chan error, 1)
	go func() { keptDone <- q.do(context.Background(), 2, run) }()
	awaitBatchQueued(t, &q, 2)

	cancel()
	select {
	case err := <-goneDone:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the item whose request ended: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the item whose request ended still waits behind the running batch")
	}
	if n := q.queuedLen(); n != 1 {
		t.Fatalf("%d items queued after one left, want 1", n)
	}
	close(hold)
	if err := <-keptDone; err != nil {
		t.Fatal(err)
	}
	if _, ok := ran.Load(1); ok {
		t.Error("the item that left was run")
	}
	if _, ok := ran.Load(2); !ok {
		t.Error("the item behind the one that left was not run")
	}
}

// TestBatchQueueLeavingNeverStallsIt: items leave at random moments, some
// as the lead is handed to them; every call returns, every item that did
// not leave is run once, and the queue takes the next item at once.
func TestBatchQueueLeavingNeverStallsIt(t *testing.T) {
	var q batchQueue[int]
	var runs [4000]atomic.Int32
	run := func(batch []int) {
		time.Sleep(time.Duration(rand.IntN(50)) * time.Microsecond)
		for _, i := range batch {
			runs[i].Add(1)
		}
	}
	var left [len(runs)]atomic.Bool
	var wg sync.WaitGroup
	for i := range len(runs) {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
				cancel()
			}()
			if err := q.do(ctx, i, run); err != nil {
				left[i].Store(true)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatalf("calls still waiting after a minute; %d items queued", q.queuedLen())
	}
	leavers := 0
	for i := range runs {
		want := int32(1)
		if left[i].Load() {
			want, leavers = 0, leavers+1
		}
		if got := runs[i].Load(); got != want {
			t.Fatalf("item %d (left: %t) ran %d times", i, left[i].Load(), got)
		}
	}
	t.Logf("%d of %d items left the queue", leavers, len(runs))
	if leavers == 0 {
		t.Error("no item left the queue: the test did not exercise leaving")
	}
	alone := make(chan struct{})
	go func() { _ = q.do(context.Background(), 0, func([]int) {}); close(alone) }()
	select {
	case <-alone:
	case <-time.After(10 * time.Second):
		t.Fatal("an item alone after the others is not run: the queue lost its lead")
	}
}

// awaitBatchQueued waits until n items wait behind the running batch.
func awaitBatchQueued[T any](t *testing.T, q *batchQueue[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); q.queuedLen() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d items queued, want %d", q.queuedLen(), n)
		}
	}
}
