package httpapi_test

// These benchmarks price the process boundary: the FNS upload hook called
// through its plugin process over gRPC, against the same hook called in
// the host's process, alone and as part of a whole upload. The host never
// imports a plugin; only this benchmark does, to have the in-process side.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/supervisor"
	"github.com/reportgate/reportgate/plugins/fns/fnsplugin"
	"github.com/reportgate/reportgate/sdk"
)

// inProcess serves a direction from the host's own process.
type inProcess struct{ d sdk.Direction }

func (p inProcess) Direction() (sdk.Direction, error) { return p.d, nil }
func (p inProcess) RetryAfter() time.Duration         { return 0 }

var buildFNS = sync.OnceValues(func() (string, error) {
	dir, err := exec.Command("mktemp", "-d").Output()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(strings.TrimSpace(string(dir)), "fns")
	cmd := exec.Command("go", "build", "-o", bin, "./plugins/fns")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the fns plugin: %v\n%s", err, out)
	}
	return bin, nil
})

// plugins returns the FNS direction through its process and in-process.
func plugins(b testing.TB) map[string]httpapi.Plugin {
	bin, err := buildFNS()
	if err != nil {
		b.Fatal(err)
	}
	p, err := supervisor.Start(context.Background(), supervisor.Config{
		Name: "fns", Path: bin, StartTimeout: 15 * time.Second, Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return map[string]httpapi.Plugin{
		"plugin-process": p,
		"in-process":     inProcess{&sdk.Plugin{Declaration: fnsplugin.Manifest(), Hook: fnsplugin.PrepareUpload}},
	}
}

func containerName() string {
	return "FNS_1AE" + strings.ToUpper(uuid.NewString()) + "_9965_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_01_01_01.zip"
}

// BenchmarkHookRoundTrip is one call of the upload hook.
func BenchmarkHookRoundTrip(b *testing.B) {
	name := containerName()
	for side, p := range plugins(b) {
		b.Run(side, func(b *testing.B) {
			d, err := p.Direction()
			if err != nil {
				b.Fatal(err)
			}
			req := sdk.UploadRequest{Operation: sdk.OpUpload, Filename: name, Size: 4096, SHA256: strings.Repeat("0", 64)}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				res, err := d.PrepareUpload(ctx, req)
				if err != nil || len(res.Violations) > 0 {
					b.Fatalf("%v %v", err, res.Violations)
				}
			}
		})
	}
}

// BenchmarkUpload is a whole FNS upload over HTTP, 4 KiB, stored durably
// in SQLite and on disk, with the hook on either side of the boundary.
func BenchmarkUpload(b *testing.B) {
	content := bytes.Repeat([]byte{0x5a}, 4096)
	for side, p := range plugins(b) {
		b.Run(side, func(b *testing.B) {
			blobs, err := blob.NewLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			h, _ := newFNSHost(b, p, blobs)
			srv := httptest.NewServer(h)
			defer srv.Close()
			b.ReportAllocs()
			for b.Loop() {
				if status := uploadFNS(b, srv.URL, content); status != http.StatusOK {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
}
