package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/store/storetest"
)

// operatorToken is the token every test host accepts.
const operatorToken = "e2e-operator-token-0123456789"

// binDir holds the binaries TestMain builds once for the whole suite.
var binDir string

// builtBinariesEnv names, to a test binary that a test starts, the
// binaries its own TestMain built, so that it does not build them again.
const builtBinariesEnv = "E2E_BUILT_BINARIES"

func TestMain(m *testing.M) {
	if dir := os.Getenv(builtBinariesEnv); dir != "" {
		binDir = dir
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "reportgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinaries builds the host and the bundled plugins as `make build`
// does.
func buildBinaries(dir string) error {
	targets := map[string]string{
		"reportgate":      "./cmd/reportgate",
		"plugins/fns":     "./plugins/fns",
		"plugins/pfr":     "./plugins/pfr",
		"plugins/rosstat": "./plugins/rosstat",
	}
	for out, pkg := range targets {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		cmd.Dir = repoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// hostConfig is what a test may change in a host's configuration.
type hostConfig struct {
	maxPackageBytes int64
	noOperator      bool
	// prefixes overrides the directions' prefixes, by name.
	prefixes map[string]string
	// env is added to the host's environment.
	env []string
	// retention and purgeInterval set retention.deleted and
	// retention.interval when not zero.
	retention, purgeInterval time.Duration
	// extra adds directions by name; an entry named like a bundled
	// direction replaces that direction's settings.
	extra map[string]extraDirection
}

// extraDirection is a direction a test configures itself: a plugin binary
// of its own, or a bundled direction with other settings.
type extraDirection struct {
	plugin string
	// prefix is "/" and the name when empty; prefixes still overrides it.
	prefix string
	// disabled writes enabled: false.
	disabled bool
	// sha256 pins the binary's checksum when set.
	sha256 string
}

// Host is a running reportgate process.
type Host struct {
	URL     string
	DB      storetest.Database
	Dir     string
	cfgPath string
	env     []string
	cmd     *exec.Cmd
	logs    *syncBuffer
	exited  chan struct{}
}

// forEachBackend runs fn against a fresh host on every backend.
func forEachBackend(t *testing.T, cfg hostConfig, fn func(t *testing.T, h *Host)) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			fn(t, startHost(t, db, cfg))
		})
	}
}

// startHost writes a configuration and starts the host on a free port.
func startHost(t *testing.T, db storetest.Database, cfg hostConfig) *Host {
	t.Helper()
	dir := t.TempDir()
	h := &Host{DB: db, Dir: dir, cfgPath: filepath.Join(dir, "reportgate.yaml"), env: cfg.env}
	if err := os.WriteFile(h.cfgPath, []byte(h.config(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.start(t)
	t.Cleanup(func() { h.Stop(t) })
	return h
}

func (h *Host) config(cfg hostConfig) string {
	max := cfg.maxPackageBytes
	if max == 0 {
		max = 10 << 20
	}
	var b strings.Builder
	fmt.Fprintf(&b, "http:\n  addr: 127.0.0.1:0\n  shutdown_timeout: 5s\n")
	fmt.Fprintf(&b, "database:\n  url: %q\n", h.DB.URL)
	fmt.Fprintf(&b, "storage:\n  dir: %q\n", filepath.Join(h.Dir, "packages"))
	fmt.Fprintf(&b, "limits:\n  max_package_bytes: %d\n", max)
	if !cfg.noOperator {
		fmt.Fprintf(&b, "operator:\n  tokens: [%q]\n", operatorToken)
	}
	if cfg.retention > 0 {
		fmt.Fprintf(&b, "retention:\n  deleted: %s\n  interval: %s\n", cfg.retention, cfg.purgeInterval)
	}
	fmt.Fprintf(&b, "timezone: Europe/Moscow\ndirections:\n")
	names := []string{"fns", "pfr", "rosstat"}
	var extra []string
	for name := range cfg.extra {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range append(names, extra...) {
		d, ok := cfg.extra[name]
		if !ok {
			d = extraDirection{plugin: filepath.Join(binDir, "plugins", name)}
		}
		prefix, ok := cfg.prefixes[name]
		if !ok {
			prefix = d.prefix
			if prefix == "" {
				prefix = "/" + name
			}
		}
		fmt.Fprintf(&b, "  %s:\n    plugin: %q\n    prefix: %q\n", name, d.plugin, prefix)
		if d.disabled {
			fmt.Fprintf(&b, "    enabled: false\n")
		}
		if d.sha256 != "" {
			fmt.Fprintf(&b, "    sha256: %q\n", d.sha256)
		}
	}
	return b.String()
}

// Rewrite writes the host's configuration file anew from cfg, as an
// operator edits it; a reload (SIGHUP or reportgate reload) applies it.
func (h *Host) Rewrite(t *testing.T, cfg hostConfig) {
	t.Helper()
	if err := os.WriteFile(h.cfgPath, []byte(h.config(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ConfigPath is the host's configuration file.
func (h *Host) ConfigPath() string { return h.cfgPath }

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start runs the binary and waits for its listening line.
func (h *Host) start(t *testing.T) {
	t.Helper()
	h.logs = &syncBuffer{}
	h.exited = make(chan struct{})
	cmd := exec.Command(filepath.Join(binDir, "reportgate"), "serve", "--config", h.cfgPath)
	cmd.Dir = h.Dir
	cmd.Env = append(os.Environ(), h.env...)
	cmd.SysProcAttr = stopWithTestBinary()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = h.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.cmd = cmd
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			h.logs.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(h.exited)
	}()
	select {
	case a := <-addr:
		h.URL = "http://" + a
	case <-h.exited:
		t.Fatalf("host exited before listening:\n%s", h.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("host did not start listening:\n%s", h.logs.String())
	}
}

// Stop ends the host with SIGTERM, as an operator would.
func (h *Host) Stop(t *testing.T) {
	if h.cmd == nil {
		return
	}
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		h.cmd.Process.Kill()
		<-h.exited
		t.Errorf("host did not stop on SIGTERM")
	}
	h.cmd = nil
	if t.Failed() {
		t.Logf("host log:\n%s", h.logs.String())
	}
}

// Kill ends the host with SIGKILL: no chance to clean up.
func (h *Host) Kill(t *testing.T) {
	h.cmd.Process.Kill()
	<-h.exited
	h.cmd = nil
}

// Restart starts the host again on the same configuration and data.
func (h *Host) Restart(t *testing.T) {
	t.Helper()
	if h.cmd != nil {
		h.Stop(t)
	}
	h.start(t)
}

// Logs is what the host has logged so far.
func (h *Host) Logs() string { return h.logs.String() }

// BlobPath is where the host's storage keeps a package's bytes:
// storage.dir is packages/, and the blob store shards its packages/ by
// the id's last two characters.
func (h *Host) BlobPath(id string) string {
	return filepath.Join(h.Dir, "packages", "packages", id[len(id)-2:], id)
}

// LinkRecordPath is where the host's storage keeps the record of a
// package's link: links/, sharded by the first two hex digits of the
// SHA-256 of the link path, which the database holds.
func (h *Host) LinkRecordPath(t *testing.T, id string) string {
	t.Helper()
	p, err := h.Store(t).ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(p.LinkPath))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(h.Dir, "packages", "links", name[:2], name[2:])
}

// PID is the host process's id.
func (h *Host) PID() int { return h.cmd.Process.Pid }

// Store opens the host's database directly, for tests that inspect rows or
// move a package's time, as time passing would.
func (h *Host) Store(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), h.DB.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// SetDateIn moves a package's receipt time, as if it had arrived then.
func (h *Host) SetDateIn(t *testing.T, id string, at time.Time) {
	t.Helper()
	st := h.Store(t)
	var value any = at.UTC()
	if st.Dialect() == store.SQLite {
		value = at.UnixMicro()
	}
	res, err := st.DB().Exec(st.DB().Rebind(`UPDATE packages SET date_in = ? WHERE id = ?`), value, id)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("no package %s to move", id)
	}
}

// PluginPIDs are the host's child processes, the plugins, by direction.
func (h *Host) PluginPIDs(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	// Each thread lists the children it started, so read every thread's.
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", h.PID()))
	if err != nil {
		t.Fatal(err)
	}
	var children []string
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		children = append(children, strings.Fields(string(b))...)
	}
	for _, f := range children {
		var pid int
		fmt.Sscan(f, &pid)
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		out[filepath.Base(exe)] = pid
	}
	return out
}

// jsonKeys is the keys of a JSON object, in the order they were written.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("bad JSON object %s: %v", raw, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("bad JSON object %s: %v", raw, err)
		}
	}
	return keys
}

// obItem is an outbox item.
type obItem struct {
	ID       string  `json:"id"`
	Filename string  `json:"filename"`
	GUID     *string `json:"guid"`
	Type     *string `json:"type"`
	Gate     *string `json:"gate"`
	ClientIP *string `json:"client_ip"`
	DateIn   string  `json:"date_in"`
	SentAt   *string `json:"sent_at"`
	Size     int64   `json:"size"`
	SHA256   string  `json:"sha256"`
	AckedAt  *string `json:"acked_at"`
	// Attributes are the direction's own fields.
	Attributes map[string]string `json:"attributes"`
}

// obKeys are the keys every outbox item has, whether set or null.
var obKeys = []string{"id", "filename", "guid", "type", "gate", "client_ip", "date_in", "sent_at", "size", "sha256"}

// obPage is one page of an outbox.
type obPage struct {
	Items []obItem
	// Next is the cursor, "" when the page is the last.
	Next string
}

// readOutboxPage fetches one outbox page and checks its shape. It first
// waits for the transactions running on the database server to end, so
// every upload answered before it is in the page (storetest.SettleOutbox).
func readOutboxPage(t *testing.T, h *Host, dir, query string) obPage {
	t.Helper()
	storetest.SettleOutbox(t, h.DB)
	path := "/operator/v1/directions/" + dir + "/outbox"
	if query != "" {
		path += "?" + query
	}
	resp := h.Operator(t, http.MethodGet, path, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.Status, resp.Body)
	}
	var raw struct {
		Items []json.RawMessage `json:"items"`
		Next  json.RawMessage   `json:"next"`
	}
	resp.JSON(t, &raw)
	if raw.Items == nil || raw.Next == nil {
		t.Fatalf("outbox %s: want items and next: %s", path, resp.Body)
	}
	var page obPage
	if string(raw.Next) != "null" {
		if err := json.Unmarshal(raw.Next, &page.Next); err != nil || page.Next == "" {
			t.Fatalf("outbox next is neither null nor a cursor: %s", raw.Next)
		}
	}
	for _, r := range raw.Items {
		keys := jsonKeys(t, r)
		for _, k := range obKeys {
			if !slices.Contains(keys, k) {
				t.Errorf("outbox item lacks %q: %s", k, r)
			}
		}
		var it obItem
		if err := json.Unmarshal(r, &it); err != nil {
			t.Fatal(err)
		}
		page.Items = append(page.Items, it)
	}
	return page
}

// readOutbox is a direction's whole outbox, every page.
func readOutbox(t *testing.T, h *Host, dir string) []obItem {
	t.Helper()
	var all []obItem
	query := "limit=1000"
	for {
		page := readOutboxPage(t, h, dir, query)
		all = append(all, page.Items...)
		if page.Next == "" {
			return all
		}
		query = "limit=1000&after=" + url.QueryEscape(page.Next)
	}
}

// outboxItem finds an upload in the outbox by id.
func outboxItem(t *testing.T, h *Host, dir, id string) (obItem, bool) {
	t.Helper()
	for _, it := range readOutbox(t, h, dir) {
		if it.ID == id {
			return it, true
		}
	}
	return obItem{}, false
}

// syncBuffer is a bytes.Buffer safe for a writer and readers at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Response is an answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("status %d, body is not JSON (%v): %s", r.Status, err, r.Body)
	}
}

// Do sends a request and reads the answer.
func (h *Host) Do(t *testing.T, req *http.Request) Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Request builds a request to a path on the host. A raw path is sent as
// is, so tests can send bytes a URL type would clean.
func (h *Host) Request(t *testing.T, method, rawPath string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, h.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	path, query, _ := strings.Cut(rawPath, "?")
	req.URL.Opaque = path
	req.URL.RawQuery = query
	return req
}

// Get fetches a path.
func (h *Host) Get(t *testing.T, rawPath string, header ...string) Response {
	t.Helper()
	req := h.Request(t, http.MethodGet, rawPath, nil)
	setHeaders(req, header)
	return h.Do(t, req)
}

// Delete deletes a path.
func (h *Host) Delete(t *testing.T, rawPath string) Response {
	t.Helper()
	return h.Do(t, h.Request(t, http.MethodDelete, rawPath, nil))
}

func setHeaders(req *http.Request, header []string) {
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
}

// Form is a multipart body: its fields, in order, and at most one file.
type Form struct {
	Fields   [][2]string
	FileName string
	File     []byte
	// FileField is the file's part name; "file" when empty.
	FileField string
	// NoFile sends no file part.
	NoFile bool
}

// Encode returns the body and its content type.
func (f Form) Encode(t *testing.T) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range f.Fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if !f.NoFile {
		field := f.FileField
		if field == "" {
			field = "file"
		}
		hdr := textproto.MIMEHeader{}
		// Written by hand, not with CreateFormFile, which would escape the
		// name: tests send names exactly as a client might.
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, f.FileName))
		hdr.Set("Content-Type", "application/zip")
		w, err := mw.CreatePart(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.File)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// Post sends a multipart form to a path, with header pairs.
func (h *Host) Post(t *testing.T, rawPath string, f Form, header ...string) Response {
	t.Helper()
	body, contentType := f.Encode(t)
	req := h.Request(t, http.MethodPost, rawPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	setHeaders(req, header)
	return h.Do(t, req)
}

// Operator sends an operator API request with the token.
func (h *Host) Operator(t *testing.T, method, rawPath string, f *Form) Response {
	t.Helper()
	var req *http.Request
	if f != nil {
		body, contentType := f.Encode(t)
		req = h.Request(t, method, rawPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
	} else {
		req = h.Request(t, method, rawPath, nil)
	}
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	return h.Do(t, req)
}

// Delivered is the operator API's answer to a delivery.
type Delivered struct {
	ID       string `json:"id"`
	UID      string `json:"uid"`
	Link     string `json:"link"`
	Filename string `json:"filename"`
	DateIn   string `json:"date_in"`
}

// Deliver hands a package to a subscriber through the operator API and
// fails the test unless it is accepted.
func (h *Host) Deliver(t *testing.T, dir string, f Form) Delivered {
	t.Helper()
	resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/"+dir+"/packages", &f)
	if resp.Status != http.StatusCreated {
		t.Fatalf("deliver to %s: status %d: %s", dir, resp.Status, resp.Body)
	}
	var d Delivered
	resp.JSON(t, &d)
	return d
}

// Publish publishes a mass mailing through the operator API and fails the
// test unless it is accepted.
func (h *Host) Publish(t *testing.T, dir string, f Form) Delivered {
	t.Helper()
	resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/"+dir+"/massreports", &f)
	if resp.Status != http.StatusCreated {
		t.Fatalf("publish to %s: status %d: %s", dir, resp.Status, resp.Body)
	}
	var d Delivered
	resp.JSON(t, &d)
	return d
}

// field is a form field pair.
func field(name, value string) [2]string { return [2]string{name, value} }
