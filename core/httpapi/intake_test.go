package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
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
	m := fnsplugin.Manifest()
	m.Protocol = sdk.ProtocolVersion
	dir, err := enforce.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	local, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobs := &writeSizes{Store: local}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Store: st, Blobs: blobs, Location: time.UTC, MaxPackageBytes: 4 << 20,
		CallTimeout: 10 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, []*httpapi.Mounted{{Dir: dir, Prefix: "/fns", Plugin: plugins(t)["plugin-process"]}}))
	defer srv.Close()

	for _, size := range []int{1, wholeWrite - 1, wholeWrite, 1<<20 + 4093, 3 << 20} {
		blobs.mu.Lock()
		blobs.sizes = nil
		blobs.mu.Unlock()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("file", containerName())
		w.Write(bytes.Repeat([]byte{0x5a}, size))
		mw.Close()
		res, err := http.Post(srv.URL+"/fns/packages", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d bytes: status %d", size, res.StatusCode)
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
