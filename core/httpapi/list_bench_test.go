package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
)

// BenchmarkListHandler is the host's whole work for one subscriber's FNS
// list of four packages, from routing to the last byte, without the
// network: what it allocates per request is what its tail latency pays
// for in garbage collection.
func BenchmarkListHandler(b *testing.B) {
	ctx := context.Background()
	blobs, err := blob.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	h, st := newFNSHost(b, inProcess{&sdk.Plugin{Declaration: fnsplugin.Manifest()}}, blobs)
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
