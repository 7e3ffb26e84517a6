package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// BenchmarkListHandler is the host's whole work for one subscriber's FNS
// list of four packages, from routing to the last byte, without the
// network: what it allocates per request is what its tail latency pays
// for in garbage collection.
func BenchmarkListHandler(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	guid := "1AE71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D"
	for i := range 4 {
		id := uuid.NewString()
		link := "files/gpr/71D20EE1-D9F0-4C9F-920F-8A8E705A2A3D/" + id + "/r.zip"
		err := st.Insert(ctx, &store.Package{
			ID: id, Direction: "fns", Kind: store.KindInbound, UID: id, Type: "1c", GUID: store.NullString(guid),
			Gate: "gpr", Filename: "r.zip", Link: store.NullString(link), LinkPath: store.NullString(link),
			Size: int64(i), SHA256: "x", DateIn: store.Time{Time: time.Now()},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	m := fnsplugin.Manifest()
	m.Protocol = sdk.ProtocolVersion
	dir, err := enforce.Compile(m)
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := blob.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	h := httpapi.New(httpapi.Options{
		Store: st, Blobs: blobs, Location: time.UTC, MaxPackageBytes: 1 << 20,
		CallTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, []*httpapi.Mounted{{Dir: dir, Prefix: "/fns", Plugin: inProcess{&sdk.Plugin{Declaration: m}}}})
	req := httptest.NewRequest(http.MethodGet, "/fns/packages?type=1c&guid="+guid, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
