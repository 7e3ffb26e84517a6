package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// newFNSHost is the host's handler for the FNS direction alone, served
// through plugin, on a migrated SQLite store in a temporary directory
// and on blobs. The store is returned for a test to seed.
func newFNSHost(tb testing.TB, plugin httpapi.Plugin, blobs blob.Store) (*httpapi.Server, *store.Store) {
	tb.Helper()
	m := fnsplugin.Manifest()
	m.Protocol = sdk.ProtocolVersion
	dir, err := enforce.Compile(m)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "host.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return httpapi.New(httpapi.Options{
		Store: st, Blobs: blobs, Location: time.UTC, MaxPackageBytes: 4 << 20,
		CallTimeout: 10 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, []*httpapi.Mounted{{Dir: dir, Prefix: "/fns", Plugin: plugin}}), st
}

// uploadFNS posts content as an FNS container to the host at url and
// returns the answer's status.
func uploadFNS(tb testing.TB, url string, content []byte) int {
	tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", containerName())
	w.Write(content)
	mw.Close()
	res, err := http.Post(url+"/fns/packages", mw.FormDataContentType(), &body)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
