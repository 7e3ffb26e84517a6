package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// The host survives its plugins: a killed plugin is started again, a
// plugin that stays down leaves its direction answering what needs no
// plugin and refusing the rest with a 503 in its own format, a panicking
// hook fails one request, plugins die with the host, and their log lines
// reach the host's log.

// svFNSUpload uploads a subscriber's FNS container, which needs the fns
// hook to parse its name.
func svFNSUpload(t *testing.T, h *Host, body []byte) Response {
	t.Helper()
	name := "FNS_1AE" + strings.ToUpper(uuid.NewString()) + "_9965_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_01_01_01.zip"
	return h.Post(t, "/fns/packages", Form{FileName: name, File: body})
}

// svReady is the body of /readyz.
type svReady struct {
	Status string `json:"status"`
	Detail struct {
		Database   string `json:"database"`
		Directions map[string]struct {
			State    string `json:"state"`
			Restarts int    `json:"restarts"`
			Error    string `json:"error"`
		} `json:"directions"`
	} `json:"detail"`
}

// svReadyz reads /readyz.
func svReadyz(t *testing.T, h *Host) (int, svReady) {
	t.Helper()
	resp := h.Get(t, "/readyz")
	var r svReady
	resp.JSON(t, &r)
	return resp.Status, r
}

// svCopy copies a file, keeping it executable.
func svCopy(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// svGone reports whether a process no longer runs: its /proc entry is
// gone, or it is a zombie waiting for a parent to reap it.
func svGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// TestKilledPluginServesAgain kills the fns plugin with SIGKILL: an FNS
// upload, which needs the fns hook, succeeds again within 2 seconds, and
// the other directions (and the fns list, which needs no plugin) never
// fail meanwhile.
func TestKilledPluginServesAgain(t *testing.T) {
	h := startHost(t, storetest.SQLite(t), hostConfig{})
	if resp := svFNSUpload(t, h, []byte("before")); resp.Status != http.StatusOK {
		t.Fatalf("fns upload before the kill: %d %s", resp.Status, resp.Body)
	}
	old := h.PluginPIDs(t)["fns"]
	if old == 0 {
		t.Fatalf("no fns plugin among %v", h.PluginPIDs(t))
	}
	l := ndStartLoad(t, h)
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	var last Response
	for {
		last = svFNSUpload(t, h, []byte("after"))
		if last.Status == http.StatusOK {
			break
		}
		if last.Status != http.StatusServiceUnavailable || last.Header.Get("Retry-After") == "" {
			t.Fatalf("fns upload while its plugin restarts: %d %s", last.Status, last.Body)
		}
		if time.Since(killed) > 2*time.Second {
			t.Fatalf("fns did not serve again within 2s of SIGKILL: %d %s", last.Status, last.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	served := time.Since(killed)
	if served > 2*time.Second {
		t.Fatalf("fns served again only %s after SIGKILL", served)
	}
	l.finish(t)
	if now := h.PluginPIDs(t)["fns"]; now == 0 || now == old {
		t.Fatalf("fns plugin pid %d after the kill, %d before", now, old)
	}
	if !svGone(old) {
		t.Fatalf("the killed fns plugin %d still runs", old)
	}
	status, ready := svReadyz(t, h)
	if fns := ready.Detail.Directions["fns"]; status != http.StatusOK || fns.State != "up" || fns.Restarts < 1 {
		t.Fatalf("readyz after the restart: %d %+v", status, ready)
	}
	t.Logf("fns served again %s after SIGKILL", served.Round(time.Millisecond))
}

// TestKilledPluginsLeaveNoSocket kills a plugin, then the host, with
// SIGKILL, which leaves neither the chance to remove a Unix socket: once
// fns serves again, the temporary directory holds a socket for each
// running plugin and no more; the next host to start removes what the
// killed one's plugins left; and a host that stops leaves nothing.
func TestKilledPluginsLeaveNoSocket(t *testing.T) {
	tmp := t.TempDir()
	h := startHost(t, storetest.SQLite(t), hostConfig{env: []string{"TMPDIR=" + tmp}})
	sockets := func() []string {
		t.Helper()
		var found []string
		err := filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type()&fs.ModeSocket != 0 {
				found = append(found, strings.TrimPrefix(path, tmp))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	pids := h.PluginPIDs(t)
	if before := sockets(); len(before) != len(pids) {
		t.Fatalf("%d plugins run, with sockets %v", len(pids), before)
	}
	if err := syscall.Kill(pids["fns"], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for svFNSUpload(t, h, []byte("after")).Status != http.StatusOK {
		if time.Since(killed) > 5*time.Second {
			t.Fatal("fns did not serve again within 5s of SIGKILL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after := sockets(); len(after) != len(pids) {
		t.Errorf("after the plugin's restart %d plugins run, with sockets %v", len(pids), after)
	}

	pids = h.PluginPIDs(t)
	h.Kill(t)
	ndWait(t, "the plugins to die with the host", func() bool {
		for _, pid := range pids {
			if !svGone(pid) {
				return false
			}
		}
		return true
	})
	if left := sockets(); len(left) != len(pids) {
		t.Fatalf("the killed host's plugins left %v; want their %d sockets, for the next host to remove", left, len(pids))
	}
	h.Restart(t)
	if now := sockets(); len(now) != len(h.PluginPIDs(t)) {
		t.Errorf("after a restart %d plugins run, with sockets %v", len(h.PluginPIDs(t)), now)
	}
	h.Stop(t)
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the stopped host left %v in its temporary directory", entries)
	}
}

// TestDownPluginAnswersInItsFormat keeps the fns plugin down: its binary
// (a copy in the test's folder) is moved away and its process killed, so
// every restart fails. Meanwhile uploads that need the hook answer 503 in
// the FNS envelope with Retry-After, /readyz reports the direction
// degraded with its restarts counting up, and lists, mass mailings,
// downloads and deletes of fns go on, since they never call the plugin.
// With the binary back, the direction recovers.
func TestDownPluginAnswersInItsFormat(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fns")
	svCopy(t, filepath.Join(binDir, "plugins", "fns"), bin)
	cfg := hostConfig{extra: map[string]extraDirection{"fns": {plugin: bin}}}
	forEachBackend(t, cfg, func(t *testing.T, h *Host) {
		t.Cleanup(func() {
			// The next backend's host needs the binary in place.
			if _, err := os.Stat(bin + ".away"); err == nil {
				os.Rename(bin+".away", bin)
			}
		})
		subscriber := "1AE" + strings.ToUpper(uuid.NewString())
		inbound := []byte("inbound for fns " + uuid.NewString())
		d := h.Deliver(t, "fns", Form{
			Fields:   [][2]string{field("type", "1c"), field("gate", "gw1")},
			FileName: "FNS_9965_" + subscriber + "_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_07_01_01.zip",
			File:     inbound,
		})
		// An FNS link has no leading slash; a client joins it to the
		// server's address.
		link := "/" + d.Link
		pid := h.PluginPIDs(t)["fns"]
		if pid == 0 {
			t.Fatalf("no fns plugin among %v", h.PluginPIDs(t))
		}

		if err := os.Rename(bin, bin+".away"); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		var restarts int
		ndWait(t, "readyz to report fns restarting", func() bool {
			status, r := svReadyz(t, h)
			fns := r.Detail.Directions["fns"]
			restarts = fns.Restarts
			return status == http.StatusServiceUnavailable && r.Status == "degraded" &&
				fns.State == "restarting" && fns.Restarts >= 1 && fns.Error != ""
		})
		ndWait(t, "fns restarts to count up", func() bool {
			_, r := svReadyz(t, h)
			return r.Detail.Directions["fns"].Restarts > restarts
		})
		if _, r := svReadyz(t, h); r.Detail.Directions["pfr"].State != "up" || r.Detail.Database != "up" {
			t.Fatalf("readyz with fns down: %+v", r)
		}

		// What needs the hook: 503 in the FNS envelope, with Retry-After.
		resp := svFNSUpload(t, h, []byte("while down"))
		var env struct {
			Errors []string `json:"errors"`
			Status string   `json:"status"`
		}
		resp.JSON(t, &env)
		if resp.Status != http.StatusServiceUnavailable || env.Status != "Service Unavailable" || len(env.Errors) != 1 || env.Errors[0] == "" {
			t.Fatalf("fns upload while its plugin is down: %d %s", resp.Status, resp.Body)
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs <= 0 {
			t.Fatalf("Retry-After %q on the 503", resp.Header.Get("Retry-After"))
		}
		op := h.Operator(t, http.MethodPost, "/operator/v1/directions/fns/packages", &Form{
			Fields:   [][2]string{field("type", "1c")},
			FileName: "FNS_9965_" + subscriber + "_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_07_01_01.zip",
			File:     []byte("x"),
		})
		if op.Status != http.StatusServiceUnavailable || op.Header.Get("Retry-After") == "" {
			t.Fatalf("an fns delivery while its plugin is down: %d %s", op.Status, op.Body)
		}

		// What needs no plugin goes on.
		list := h.Get(t, "/fns/packages?type=1c&guid="+subscriber)
		if list.Status != http.StatusOK || !strings.Contains(string(list.Body), d.UID) {
			t.Fatalf("fns list while its plugin is down: %d %s", list.Status, list.Body)
		}
		if dl := h.Get(t, link); dl.Status != http.StatusOK || !bytes.Equal(dl.Body, inbound) {
			t.Fatalf("fns download while its plugin is down: %d %.200s", dl.Status, dl.Body)
		}
		pub := h.Publish(t, "fns", Form{Fields: [][2]string{field("code", "9965")}, FileName: "massreport_1.zip", File: []byte("mailing")})
		if mr := h.Get(t, "/fns/massreport?code=9965"); mr.Status != http.StatusOK || !strings.Contains(string(mr.Body), pub.UID) {
			t.Fatalf("fns massreport while its plugin is down: %d %s", mr.Status, mr.Body)
		}
		if del := h.Delete(t, link); del.Status != http.StatusNoContent {
			t.Fatalf("fns delete while its plugin is down: %d %s", del.Status, del.Body)
		}
		if pfr := h.Get(t, "/pfr/packages?type=1c"); pfr.Status != http.StatusOK {
			t.Fatalf("pfr while fns is down: %d %s", pfr.Status, pfr.Body)
		}
		if _, r := svReadyz(t, h); r.Detail.Directions["fns"].State != "restarting" {
			t.Fatalf("fns came back without its binary: %+v", r)
		}

		// The binary is back: the next restart succeeds.
		if err := os.Rename(bin+".away", bin); err != nil {
			t.Fatal(err)
		}
		ndWait(t, "fns to recover", func() bool {
			return svFNSUpload(t, h, []byte("recovered")).Status == http.StatusOK
		})
		status, r := svReadyz(t, h)
		if fns := r.Detail.Directions["fns"]; status != http.StatusOK || fns.State != "up" || fns.Error != "" {
			t.Fatalf("readyz after fns recovered: %d %+v", status, r)
		}
	})
}

// TestHookPanicFailsOneRequest makes the sfr hook panic: that request is
// a 500 in sfr's format that tells the client nothing of the panic, and
// the plugin lives on: the same process serves the next upload.
func TestHookPanicFailsOneRequest(t *testing.T) {
	sfr := buildSFR(t)
	h := startHost(t, storetest.SQLite(t), hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr}}})
	pid := h.PluginPIDs(t)["sfr"]
	if pid == 0 {
		t.Fatalf("no sfr plugin among %v", h.PluginPIDs(t))
	}
	guid := uuid.NewString()
	resp := h.Post(t, "/sfr/packages", Form{Fields: [][2]string{field("type", "1c"), field("guid", guid)}, FileName: "panic.zip", File: []byte("boom")})
	problems := wantSFRError(t, resp, http.StatusInternalServerError)
	if len(problems) != 1 || strings.Contains(string(resp.Body), "panic") {
		t.Fatalf("the 500 of a panicking hook: %s", resp.Body)
	}
	op := h.Operator(t, http.MethodPost, "/operator/v1/directions/sfr/packages", &Form{
		Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("snils", "123-456-789 01")},
		FileName: "panic.zip", File: []byte("boom"),
	})
	if op.Status != http.StatusInternalServerError {
		t.Fatalf("a delivery whose hook panics: %d %s", op.Status, op.Body)
	}
	if now := h.PluginPIDs(t)["sfr"]; now != pid {
		t.Fatalf("the sfr plugin changed from %d to %d after a panic", pid, now)
	}
	// The client learns nothing of the panic; the operator's log does.
	ndWait(t, "the panic in the host's log", func() bool {
		return strings.Contains(h.Logs(), "sfr: the hook cannot read panic.zip")
	})
	ok := h.Post(t, "/sfr/packages", Form{Fields: [][2]string{field("type", "1c"), field("guid", guid)}, FileName: "EFS-1_next.zip", File: []byte("fine")})
	if ok.Status != http.StatusOK {
		t.Fatalf("the upload after a panic: %d %s", ok.Status, ok.Body)
	}
	if now := h.PluginPIDs(t)["sfr"]; now != pid {
		t.Fatalf("the sfr plugin changed from %d to %d", pid, now)
	}
	status, r := svReadyz(t, h)
	if sfr := r.Detail.Directions["sfr"]; status != http.StatusOK || sfr.State != "up" || sfr.Restarts != 0 {
		t.Fatalf("readyz after the panic: %d %+v", status, r)
	}
	page := h.Operator(t, http.MethodGet, "/operator/v1/directions/sfr/outbox", nil)
	if page.Status != http.StatusOK || strings.Count(string(page.Body), `"filename"`) != 1 || strings.Contains(string(page.Body), "panic.zip") {
		t.Fatalf("the outbox after a panicking upload: %s", page.Body)
	}
}

// TestPluginsDieWithTheHost kills the host with SIGKILL, which gives it no
// chance to stop its plugins: every plugin process ends anyway, whether
// the host started it at start-up (the bundled ones), on a reload (an
// external one) or on a restart after it died (fns).
func TestPluginsDieWithTheHost(t *testing.T) {
	sfr := buildSFR(t)
	h := startHost(t, storetest.SQLite(t), hostConfig{})
	h.Rewrite(t, hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr}}})
	if report := ndReloadCLI(t, h); strings.Join(report.Added, ",") != "sfr" {
		t.Fatalf("adding sfr reported %+v", report)
	}
	first := h.PluginPIDs(t)["fns"]
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ndWait(t, "fns to be restarted", func() bool {
		pid := h.PluginPIDs(t)["fns"]
		return pid != 0 && pid != first
	})
	pids := h.PluginPIDs(t)
	for _, name := range []string{"fns", "pfr", "rosstat", "sfr"} {
		if pids[name] == 0 {
			t.Fatalf("no %s plugin among %v", name, pids)
		}
	}
	h.Kill(t)
	deadline := time.Now().Add(20 * time.Second)
	for name, pid := range pids {
		for !svGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("the %s plugin (pid %d) outlived the host", name, pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestPluginLogsReachTheHostLog has the sfr hook log through the SDK's
// logger: the lines appear in the host's log, named after the direction.
func TestPluginLogsReachTheHostLog(t *testing.T) {
	sfr := buildSFR(t)
	h := startHost(t, storetest.SQLite(t), hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr}}})
	guid := uuid.NewString()
	resp := h.Post(t, "/sfr/packages", Form{Fields: [][2]string{field("type", "1c"), field("guid", guid)}, FileName: "EFS-1_logged.zip", File: []byte("x")})
	if resp.Status != http.StatusOK {
		t.Fatalf("sfr upload: %d %s", resp.Status, resp.Body)
	}
	snils, digits := sfrSNILS()
	sfrDeliver(t, h, guid, snils, "logged.zip", []byte("y"))
	// go-plugin relays a line's fields through a map, so they come in any
	// order: each is looked for on its own.
	for _, want := range []struct {
		line   *regexp.Regexp
		fields []string
	}{
		{regexp.MustCompile(`(?m)^.*\[INFO\] +plugin\.sfr\S*: sfr hook derived the form: .*$`), []string{"filename=EFS-1_logged.zip", "form=EFS-1"}},
		{regexp.MustCompile(`(?m)^.*\[INFO\] +plugin\.sfr\S*: sfr hook derived the snils digits: .*$`), []string{"digits=" + digits}},
	} {
		ndWait(t, "the plugin's line in the host log", func() bool {
			for _, line := range want.line.FindAllString(h.Logs(), -1) {
				fields := strings.Fields(line)
				found := 0
				for _, f := range want.fields {
					if slices.Contains(fields, f) {
						found++
					}
				}
				if found == len(want.fields) {
					return true
				}
			}
			return false
		})
	}
}
