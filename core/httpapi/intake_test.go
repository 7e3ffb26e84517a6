package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/reportgate/reportgate/core/blob"
)

// writeSizes is a blob store that notes the size of every write to the
// blobs it creates, and stores them in the real one beneath.
type writeSizes struct {
	blob.Store
	mu    sync.Mutex
	sizes []int
}

func (w *writeSizes) Create(ctx context.Context) (blob.Pending, error) {
	p, err := w.Store.Create(ctx)
	if err != nil {
		return nil, err
	}
	return &notedPending{Pending: p, store: w}, nil
}

type notedPending struct {
	blob.Pending
	store *writeSizes
}

func (p *notedPending) Write(b []byte) (int, error) {
	p.store.mu.Lock()
	p.store.sizes = append(p.store.sizes, len(b))
	p.store.mu.Unlock()
	return p.Pending.Write(b)
}

// TestUploadsReachTheDiskInWholeBuffers: the multipart reader hands a
// file out at most 4 KiB at a time, and the host writes it to disk 64 KiB
// at a time, every write but the last, whatever the size of the file.
func TestUploadsReachTheDiskInWholeBuffers(t *testing.T) {
	const wholeWrite = 64 << 10
	local, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobs := &writeSizes{Store: local}
	h, _ := newFNSHost(t, plugins(t)["plugin-process"], blobs)
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, size := range []int{1, wholeWrite - 1, wholeWrite, 1<<20 + 4093, 3 << 20} {
		blobs.mu.Lock()
		blobs.sizes = nil
		blobs.mu.Unlock()
		if status := uploadFNS(t, srv.URL, bytes.Repeat([]byte{0x5a}, size)); status != http.StatusOK {
			t.Fatalf("%d bytes: status %d", size, status)
		}
		blobs.mu.Lock()
		sizes := blobs.sizes
		blobs.mu.Unlock()
		total := 0
		for i, n := range sizes {
			total += n
			if i < len(sizes)-1 && n != wholeWrite {
				t.Fatalf("%d bytes: write %d of %d is %d bytes, want %d: %v", size, i+1, len(sizes), n, wholeWrite, sizes)
			}
		}
		if want := (size + wholeWrite - 1) / wholeWrite; total != size || len(sizes) != want {
			t.Fatalf("%d bytes: %d writes of %d bytes in all, want %d of %d", size, len(sizes), total, want, size)
		}
	}
}
