package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/store"
)

// processState is a process's state letter from /proc (R, S, T, Z…), or
// "" when it is gone.
func processState(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name in parentheses may hold spaces; the state follows it.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// peakRSS is a process's peak resident set size in bytes (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	return procStatusBytes(t, pid, "VmHWM")
}

// procStatusBytes is one of the kB fields of /proc/PID/status, in bytes.
func procStatusBytes(t testing.TB, pid int, field string) int64 {
	t.Helper()
	v, err := readStatusBytes(pid, field)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readStatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s of %d: %w", field, pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s for %d", field, pid)
}

// peakAnonDuring is the most anonymous memory (RssAnon: the heap and
// stacks, not the file pages SQLite maps) the process held while work ran,
// sampled every millisecond. The kernel keeps no peak of it, as it does of
// VmHWM, which counts the mapped database file too.
func peakAnonDuring(t *testing.T, pid int, work func()) int64 {
	t.Helper()
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var most int64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			// t.Fatal must not be called off the test's goroutine: a read
			// that fails counts as nothing.
			if v, err := readStatusBytes(pid, "RssAnon"); err == nil && v > most {
				most = v
			}
			select {
			case <-done:
				peak <- most
				return
			case <-tick.C:
			}
		}
	}()
	// work may end the test (t.Fatal); the sampler stops either way.
	func() {
		defer close(done)
		work()
	}()
	return <-peak
}

// streamingUpload posts a file of size random bytes without holding it:
// the body is generated as it is sent. It returns the answer and the
// file's sha256.
func streamingUpload(t *testing.T, h *Host, path string, fields [][2]string, filename string, size int64) (Response, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	digest := make(chan string, 1)
	go func() {
		for _, kv := range fields {
			mw.WriteField(kv[0], kv[1])
		}
		part, err := mw.CreateFormFile("file", filename)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(part, h), io.LimitReader(rand.Reader, size)); err != nil {
			pw.CloseWithError(err)
			return
		}
		digest <- hex.EncodeToString(h.Sum(nil))
		pw.CloseWithError(mw.Close())
	}()
	req := h.Request(t, http.MethodPost, path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := h.Do(t, req)
	select {
	case d := <-digest:
		return resp, d
	default:
		return resp, ""
	}
}

const mib = 1 << 20

// TestUploadStreamsWithBoundedMemory sends a 200 MiB package: the host's
// peak RSS may grow by less than 32 MiB, and the stored bytes are exact.
// Then it downloads the package, which must not raise the peak either.
func TestUploadStreamsWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 400 MiB")
	}
	forEachBackend(t, hostConfig{maxPackageBytes: 256 * mib}, func(t *testing.T, h *Host) {
		guid := uuid.NewString()
		fields := [][2]string{field("type", "1c"), field("guid", guid)}
		// Warm up: the first upload grows the heap to its working size.
		if resp, _ := streamingUpload(t, h, "/pfr/packages", fields, "warm.zip", mib); resp.Status != http.StatusOK {
			t.Fatalf("warm-up upload: %d %s", resp.Status, resp.Body)
		}
		before := peakRSS(t, h.PID())
		resp, sum := streamingUpload(t, h, "/pfr/packages", fields, "big.zip", 200*mib)
		if resp.Status != http.StatusOK {
			t.Fatalf("upload: %d %s", resp.Status, resp.Body)
		}
		grown := peakRSS(t, h.PID()) - before
		t.Logf("peak RSS before %d MiB, grown by %.1f MiB for a 200 MiB upload", before/mib, float64(grown)/mib)
		if grown >= 32*mib {
			t.Fatalf("peak RSS grew by %d MiB, want under 32 MiB", grown/mib)
		}
		var up struct{ ID string }
		resp.JSON(t, &up)

		before = peakRSS(t, h.PID())
		req := h.Request(t, http.MethodGet, "/operator/v1/packages/"+up.ID+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+operatorToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		hash := sha256.New()
		n, err := io.Copy(hash, res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if n != 200*mib || hex.EncodeToString(hash.Sum(nil)) != sum {
			t.Fatalf("downloaded %d bytes with another digest than uploaded", n)
		}
		if grown := peakRSS(t, h.PID()) - before; grown >= 32*mib {
			t.Fatalf("download raised the peak RSS by %d MiB", grown/mib)
		}
	})
}

// TestLongListIsStreamed lists 100,000 packages: the host writes them as
// it reads them, so its peak RSS hardly moves although the answer is tens
// of megabytes.
func TestLongListIsStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 rows")
	}
	const count = 100000
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid := uuid.NewString()
		seedInbound(t, h, "pfr", guid, count)
		// Warm up on a short list of another type.
		if resp := h.Get(t, "/pfr/packages?type=ao5"); resp.Status != http.StatusOK {
			t.Fatalf("warm-up list: %d %s", resp.Status, resp.Body)
		}
		before := procStatusBytes(t, h.PID(), "RssAnon")
		res, err := http.Get(h.URL + "/pfr/packages?type=1c&guid=" + guid)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		counted := &countingReader{r: res.Body}
		peak := peakAnonDuring(t, h.PID(), func() { readWholeList(t, counted, count) })
		grown := peak - before
		t.Logf("a %d MiB list of %d items grew the host's anonymous memory by %.1f MiB at most", counted.n/mib, count, float64(grown)/mib)
		if grown >= counted.n/2 {
			t.Fatalf("anonymous memory grew by %d MiB for a %d MiB answer: the list was built in memory", grown/mib, counted.n/mib)
		}
	})
}

// readWholeList reads a list of count items to its end, checking each.
func readWholeList(t *testing.T, counted *countingReader, count int) {
	t.Helper()
	dec := json.NewDecoder(counted)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		t.Fatalf("list does not start an array: %v %v", tok, err)
	}
	items := 0
	for dec.More() {
		var item struct {
			UID, Link string
		}
		if err := dec.Decode(&item); err != nil {
			t.Fatalf("item %d: %v", items, err)
		}
		if item.UID == "" || !strings.HasSuffix(item.Link, ".zip") {
			t.Fatalf("item %d is incomplete: %+v", items, item)
		}
		items++
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("list does not end: %v", err)
	}
	if items != count {
		t.Fatalf("listed %d items, want %d", items, count)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// seedInbound inserts count inbound packages for one guid straight into
// the database: the API would take minutes to deliver as many.
func seedInbound(t *testing.T, h *Host, dir, guid string, count int) {
	t.Helper()
	st := h.Store(t)
	var query string
	if st.Dialect() == store.Postgres {
		query = fmt.Sprintf(`INSERT INTO packages (id, direction, kind, uid, type, guid, filename, link, link_path, size, sha256, date_in, attrs)
			SELECT gen_random_uuid(), '%[1]s', 'inbound', gen_random_uuid()::text, '1c', '%[2]s', 'report_' || i || '.zip',
				'/099-099-999999/' || i || '/report_' || i || '.zip', '099-099-999999/' || i || '/report_' || i || '.zip',
				1000, md5(i::text), now(), '{"regnum":"099-099-999999"}'
			FROM generate_series(1, %[3]d) AS i`, dir, guid, count)
	} else {
		query = fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[3]d)
			INSERT INTO packages (id, direction, kind, uid, type, guid, filename, link, link_path, size, sha256, date_in, attrs)
			SELECT printf('%%08x-0000-4000-8000-000000000000', i), '%[1]s', 'inbound', printf('%%08x-1111-4000-8000-000000000000', i), '1c', '%[2]s',
				'report_' || i || '.zip', '/099-099-999999/' || i || '/report_' || i || '.zip', '099-099-999999/' || i || '/report_' || i || '.zip',
				1000, printf('%%064x', i), %[4]d, '{"regnum":"099-099-999999"}'
			FROM seq`, dir, guid, count, time.Now().UnixMicro())
	}
	if _, err := st.DB().Exec(query); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// TestKillDuringUploadLeavesNoTrace kills the host with SIGKILL while a
// package is half uploaded, and starts it again: no partial package is
// visible, and no temporary file survives the restart.
func TestKillDuringUploadLeavesNoTrace(t *testing.T) {
	forEachBackend(t, hostConfig{maxPackageBytes: 256 * mib}, func(t *testing.T, h *Host) {
		tmpDir := filepath.Join(h.Dir, "packages", "tmp")
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		sent := make(chan struct{})
		go func() {
			mw.WriteField("type", "1c")
			mw.WriteField("guid", uuid.NewString())
			part, _ := mw.CreateFormFile("file", "half.zip")
			chunk := bytes.Repeat([]byte{0x5a}, 256<<10)
			for i := 0; ; i++ {
				if _, err := part.Write(chunk); err != nil {
					return
				}
				if i == 8 {
					close(sent)
				}
			}
		}()
		req := h.Request(t, http.MethodPost, "/pfr/packages", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		go func() {
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
		<-sent
		waitFor(t, "a temporary file to grow", func() bool {
			entries, _ := os.ReadDir(tmpDir)
			for _, e := range entries {
				if info, err := e.Info(); err == nil && info.Size() > 0 {
					return true
				}
			}
			return false
		})
		h.Kill(t)
		pw.CloseWithError(io.ErrUnexpectedEOF)
		if entries, _ := os.ReadDir(tmpDir); len(entries) == 0 {
			t.Fatal("the kill left no temporary file, so the test proved nothing")
		}

		h.Restart(t)
		if entries, _ := os.ReadDir(tmpDir); len(entries) != 0 {
			t.Fatalf("temporary files survived the restart: %v", entries)
		}
		if items := readOutbox(t, h, "pfr"); len(items) != 0 {
			t.Fatalf("a partial upload is visible: %v", items)
		}
		if blobs := committedBlobs(t, h); len(blobs) != 0 {
			t.Fatalf("stored bytes without a package: %v", blobs)
		}
	})
}

// TestKillUnderLoadKeepsEveryAcceptedUpload kills the host while many
// uploads are in flight. Every upload that was answered 200 is there
// after the restart with its exact bytes; nothing else is; and every
// stored file belongs to a package.
func TestKillUnderLoadKeepsEveryAcceptedUpload(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		var (
			mu       sync.Mutex
			accepted = map[string]string{} // id → sha256
			wg       sync.WaitGroup
			stop     = make(chan struct{})
		)
		for w := 0; w < 8; w++ {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					content := make([]byte, 64<<10+i)
					rand.Read(content)
					body, ct := Form{
						Fields:   [][2]string{field("type", "1c"), field("guid", uuid.NewString())},
						FileName: "load.zip", File: content,
					}.Encode(t)
					res, err := http.Post(h.URL+"/rosstat/packages", ct, bytes.NewReader(body))
					if err != nil {
						continue
					}
					var up struct{ ID string }
					ok := res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&up) == nil
					res.Body.Close()
					if ok {
						sum := sha256.Sum256(content)
						mu.Lock()
						accepted[up.ID] = hex.EncodeToString(sum[:])
						mu.Unlock()
					}
				}
			})
		}
		waitFor(t, "uploads to be accepted", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(accepted) >= 20
		})
		h.Kill(t)
		close(stop)
		wg.Wait()

		h.Restart(t)
		items := readOutbox(t, h, "rosstat")
		stored := map[string]obItem{}
		for _, it := range items {
			stored[it.ID] = it
		}
		for id, sum := range accepted {
			it, ok := stored[id]
			if !ok {
				t.Fatalf("upload %s was answered 200 but is gone after the crash", id)
			}
			if it.SHA256 != sum {
				t.Fatalf("upload %s: stored digest %s, sent %s", id, it.SHA256, sum)
			}
		}
		for _, it := range items {
			resp := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+it.ID+"/content", nil)
			got := sha256.Sum256(resp.Body)
			if resp.Status != http.StatusOK || hex.EncodeToString(got[:]) != it.SHA256 || int64(len(resp.Body)) != it.Size {
				t.Fatalf("package %s is not whole: status %d, %d bytes", it.ID, resp.Status, len(resp.Body))
			}
		}
		if entries, _ := os.ReadDir(filepath.Join(h.Dir, "packages", "tmp")); len(entries) != 0 {
			t.Fatalf("temporary files survived the restart: %d", len(entries))
		}
		// Recovery settled or removed every upload caught mid-commit
		// before the host served again.
		if blobs := committedBlobs(t, h); len(blobs) != len(items) {
			t.Fatalf("%d stored files for %d packages", len(blobs), len(items))
		}
		t.Logf("%d uploads accepted before the kill, %d stored", len(accepted), len(items))
	})
}

// committedBlobs lists the stored package files.
func committedBlobs(t *testing.T, h *Host) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(h.Dir, "packages", "packages", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// waitFor polls a condition that another process brings about, failing
// after a generous bound; it times nothing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHotPathNeedsNoPlugin freezes every plugin process with SIGSTOP: the
// list, the massreport, downloads and deletes go on working, and so does
// an upload whose operation has no hook. Only an upload that needs its
// hook waits for the plugin, and is answered 503 in its format.
func TestHotPathNeedsNoPlugin(t *testing.T) {
	forEachBackend(t, hostConfig{env: []string{"REPORTGATE_PLUGINS__CALL_TIMEOUT=500ms"}}, func(t *testing.T, h *Host) {
		guid := uuid.NewString()
		d := h.Deliver(t, "pfr", Form{
			Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("regnum", "099-099-999999")},
			FileName: "szv_td.zip", File: []byte("zip bytes"),
		})
		pids := h.PluginPIDs(t)
		if len(pids) != 3 {
			t.Fatalf("want 3 plugin processes, found %v", pids)
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
		}
		defer func() {
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGCONT)
			}
		}()
		// A signal is delivered asynchronously: go on once every plugin is
		// seen stopped.
		for name, pid := range pids {
			waitFor(t, name+" to stop", func() bool { return processState(pid) == "T" })
		}
		if resp := h.Get(t, "/pfr/packages?type=1c&guid="+guid); resp.Status != http.StatusOK || !bytes.Contains(resp.Body, []byte(d.UID)) {
			t.Fatalf("list with plugins frozen: %d %s", resp.Status, resp.Body)
		}
		if resp := h.Get(t, "/rosstat/massreport?code=99-99"); resp.Status != http.StatusOK {
			t.Fatalf("massreport with plugins frozen: %d %s", resp.Status, resp.Body)
		}
		if resp := h.Get(t, d.Link); resp.Status != http.StatusOK || string(resp.Body) != "zip bytes" {
			t.Fatalf("download with plugins frozen: %d %s", resp.Status, resp.Body)
		}
		if resp := h.Delete(t, d.Link); resp.Status != http.StatusNoContent {
			t.Fatalf("delete with plugins frozen: %d %s", resp.Status, resp.Body)
		}
		resp := h.Post(t, "/pfr/packages", Form{
			Fields:   [][2]string{field("type", "1c"), field("guid", guid)},
			FileName: "report.zip", File: []byte("report"),
		})
		if resp.Status != http.StatusOK {
			t.Fatalf("an upload without a hook with plugins frozen: %d %s", resp.Status, resp.Body)
		}
		subscriber := fnsSubscriber()
		resp = h.Post(t, "/fns/packages", Form{FileName: fnsName(subscriber, "9965", "01_01_01"), File: []byte("x")})
		var body fnsError
		resp.JSON(t, &body)
		if resp.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || body.Status != "Service Unavailable" {
			t.Fatalf("an upload that needs its hook: %d %s", resp.Status, resp.Body)
		}
		if n := len(readOutbox(t, h, "fns")); n != 0 {
			t.Fatalf("the refused upload was stored: %d in the outbox", n)
		}
	})
}

// TestRestartResolvesOnlyUnsettledUploads leaves the store as a crash
// between making an upload durable and committing its row would: one
// blob with its row, one without, each with its pending note. After a
// restart the first is kept, the second is gone, and a blob the journal
// does not name (a file of another database, say) is left alone.
func TestRestartResolvesOnlyUnsettledUploads(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		form := func(name string) Form {
			return Form{Fields: [][2]string{field("type", "1c"), field("guid", uuid.NewString())}, FileName: name, File: []byte(name)}
		}
		var up struct{ ID string }
		h.Post(t, "/pfr/packages", form("recorded.zip")).JSON(t, &up)
		if up.ID == "" {
			t.Fatal("the upload was refused")
		}
		note := func(id string) string { return filepath.Join(h.Dir, "packages", "tmp", id+".pending") }
		// The recorded upload's note, as if the process died before Settle.
		if err := os.Link(h.BlobPath(up.ID), note(up.ID)); err != nil {
			t.Fatal(err)
		}
		// An upload whose row never committed: bytes and note, no row.
		orphan := uuid.NewString()
		if err := os.MkdirAll(filepath.Dir(h.BlobPath(orphan)), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.BlobPath(orphan), []byte("orphan"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(h.BlobPath(orphan), note(orphan)); err != nil {
			t.Fatal(err)
		}
		// A blob no row and no note names.
		stranger := uuid.NewString()
		os.MkdirAll(filepath.Dir(h.BlobPath(stranger)), 0o750)
		if err := os.WriteFile(h.BlobPath(stranger), []byte("not ours to judge"), 0o600); err != nil {
			t.Fatal(err)
		}

		h.Kill(t)
		h.Restart(t)
		if entries, _ := os.ReadDir(filepath.Join(h.Dir, "packages", "tmp")); len(entries) != 0 {
			t.Fatalf("notes survived the restart: %v", entries)
		}
		if _, err := os.Stat(h.BlobPath(orphan)); !os.IsNotExist(err) {
			t.Fatalf("the unrecorded upload's bytes survived: %v", err)
		}
		if _, err := os.Stat(h.BlobPath(stranger)); err != nil {
			t.Fatalf("a blob the journal does not name was touched: %v", err)
		}
		resp := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+up.ID+"/content", nil)
		if resp.Status != http.StatusOK || string(resp.Body) != "recorded.zip" {
			t.Fatalf("the recorded upload: %d %s", resp.Status, resp.Body)
		}
	})
}
