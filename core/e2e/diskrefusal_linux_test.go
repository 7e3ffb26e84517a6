package e2e

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A disk that refuses an upload's file is the host's failure, not the
// client's: the client gets a 500 in its direction's format, the operator
// an error in the log, and nothing of the package is kept. RLIMIT_FSIZE,
// set on the running host, makes the kernel refuse every write past the
// limit to any file the host writes, as a full disk refuses them.
func TestUploadsTheDiskRefusesAreTheHostsFailure(t *testing.T) {
	const fileSizeLimit = 2 << 20
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		limit := unix.Rlimit{Cur: fileSizeLimit, Max: fileSizeLimit}
		if err := unix.Prlimit(h.PID(), unix.RLIMIT_FSIZE, &limit, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range uploadRoutes {
			t.Run(r.name, func(t *testing.T) {
				resp := h.Post(t, r.path, r.valid(t, fileSizeLimit+1<<20), "Authorization", "Bearer "+operatorToken)
				wantFormat(t, resp, http.StatusInternalServerError, r.format)
			})
		}
		wantNothingStored(t, h)
		failures := 0
		for _, line := range strings.Split(h.Logs(), "\n") {
			if strings.Contains(line, "level=ERROR") && strings.Contains(line, `msg="request failed"`) && strings.Contains(line, "file too large") {
				failures++
			}
		}
		if failures != len(uploadRoutes) {
			t.Errorf("%d refused writes logged as the host's errors, want %d:\n%s", failures, len(uploadRoutes), h.Logs())
		}

		// The host goes on: a package within the limit is stored.
		r := uploadRoutes[0]
		if resp := h.Post(t, r.path, r.valid(t, 1<<20)); resp.Status != r.ok {
			t.Fatalf("status %d after the refusals, want %d: %s", resp.Status, r.ok, resp.Body)
		}
	})
}
