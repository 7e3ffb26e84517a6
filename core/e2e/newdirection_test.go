package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// The issue these tests prove: an operator adds a regulator by dropping
// in a plugin binary and a config entry, and the host binary stays as it
// is; a plugin author builds that plugin against sdk/ alone.

// ndSDKModule is the SDK's module path, the one thing an external plugin
// requires.
const ndSDKModule = "github.com/reportgate/reportgate/sdk"

// extBuild writes a plugin module of its own into a temporary folder
// outside the repository, as a plugin author would: its go.mod requires
// the SDK alone (replaced by the repository's sdk/ folder, which is where
// an author would otherwise download it from). It runs go mod tidy and go
// build and returns the binary, named after the direction.
func extBuild(t *testing.T, name string, sources map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	sdkDir := filepath.Join(repoRoot(), "sdk")
	if rel, err := filepath.Rel(repoRoot(), dir); err == nil && !strings.HasPrefix(rel, "..") {
		t.Fatalf("the plugin folder %s is inside the repository", dir)
	}
	gomod := fmt.Sprintf("module example.com/reportgate-%s\n\ngo 1.26.0\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		name, ndSDKModule, ndSDKModule, sdkDir)
	files := map[string]string{"go.mod": gomod}
	for file, src := range sources {
		files[file] = src
	}
	sum, err := os.ReadFile(filepath.Join(sdkDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for file, body := range files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "bin", name)
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		// Outside any workspace: the module stands alone.
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
	}
	return bin
}

// extDirectRequires lists the modules a plugin module's go.mod requires
// directly (not marked // indirect).
func extDirectRequires(t *testing.T, bin string) []string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(bin)), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inBlock := false
	for _, line := range strings.Split(string(gomod), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if line == "" || strings.HasSuffix(line, "// indirect") {
			continue
		}
		out = append(out, strings.Fields(line)[0])
	}
	return out
}

// sfrSource is the Social Fund's plugin, sfr: a regulator the repository
// does not know. It has its own parameters (a SNILS on delivery), its own
// link shape, its own error format and a hook that derives fields, logs
// through the SDK's logger, and panics on a file named panic.zip.
const sfrSource = `// Command sfr is the Social Fund (СФР) direction, written outside the
// reportgate repository against its SDK alone.
package main

import (
	"context"
	"strings"

	"github.com/reportgate/reportgate/sdk"
)

const (
	attrSNILS       = "snils"
	attrSNILSDigits = "snils_digits"
	attrForm        = "form"
	// violationFormName is this direction's own violation kind.
	violationFormName = "form_name"
	snilsPattern      = "^\\d{3}-\\d{3}-\\d{3} \\d{2}$"
)

var log = sdk.NewLogger()

func main() {
	sdk.Serve(&sdk.Plugin{Declaration: manifest(), Hook: prepare})
}

// prepare derives the report form from an upload's file name, and the
// SNILS digits of a delivery's link.
func prepare(_ context.Context, req sdk.UploadRequest) (sdk.UploadResult, error) {
	if req.Filename == "panic.zip" {
		panic("sfr: the hook cannot read panic.zip")
	}
	if req.Operation == sdk.OpDeliver {
		snils := req.Fields[attrSNILS]
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, snils)
		log.Info("sfr hook derived the snils digits", "snils", snils, "digits", digits)
		return sdk.UploadResult{Fields: map[string]string{attrSNILSDigits: digits}}, nil
	}
	form, _, ok := strings.Cut(req.Filename, "_")
	if !ok || form == "" {
		return sdk.UploadResult{Violations: []sdk.Violation{{Param: "file", Kind: violationFormName}}}, nil
	}
	form = strings.ToUpper(form)
	log.Info("sfr hook derived the form", "filename", req.Filename, "form", form)
	return sdk.UploadResult{Fields: map[string]string{attrForm: form}}, nil
}

// errorFormat is the Social Fund's own error body:
// {"error": {"status": 400, "problems": [{"field": "type", "problem": "…"}]}}
func errorFormat() sdk.ErrorFormat {
	failure := sdk.Body{Template: "{\"error\": {\"status\": {{.Status}}, \"problems\": [{\"field\": null, \"problem\": {{json .Message}}}]}}"}
	return sdk.ErrorFormat{
		Invalid:       sdk.Body{Template: "{\"error\": {\"status\": {{.Status}}, \"problems\": {{json .Violations}}}}"},
		Violation:     "{\"field\": {{json .Param}}, \"problem\": {{json .Message}}}",
		Failure:       failure,
		ServerFailure: failure,
		Messages: map[string]sdk.Message{
			sdk.ViolationMissing:      {Text: "is required"},
			sdk.ViolationEnum:         {Text: "must be one of {allowed}"},
			sdk.ViolationPattern:      {Text: "must match {pattern}"},
			sdk.ViolationUUID:         {Text: "must be a UUID"},
			sdk.ViolationDate:         {Text: "must be a date, YYYY-MM-DD"},
			sdk.ViolationDateTime:     {Text: "must be a date and time, YYYY-MM-DD HH:MM:SS"},
			sdk.ViolationIP:           {Text: "must be an IP address"},
			sdk.ViolationRequiredWhen: {Text: "is required when {other} is {value}"},
			sdk.ViolationTooLarge:     {Text: "is larger than {limit} bytes"},
			sdk.ViolationFilename:     {Text: "must be a plain file name"},
			sdk.ViolationConflict:     {Text: "{detail}"},
			sdk.ViolationMalformed:    {Text: "{detail}"},
			violationFormName:         {Text: "must be named <form>_<anything>, e.g. EFS-1_2024.zip"},
		},
	}
}

func manifest() sdk.Manifest {
	productType := sdk.Param{
		Name: "type", Type: sdk.TypeEnum, Required: true,
		Values: []string{"1c", "iotchet", "platform"}, Bind: sdk.FieldType,
	}
	subscriber := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Bind: sdk.FieldGUID}
	gate := sdk.Param{Name: "gate", Type: sdk.TypeUUID, Bind: sdk.FieldGate}
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	return sdk.Manifest{
		Name:      "sfr",
		Title:     "СФР — Социальный фонд России",
		Version:   "0.1.0",
		UIDFormat: sdk.UIDDashed,
		Attributes: []sdk.Attribute{
			{Name: attrSNILS, Description: "the insured person's SNILS, XXX-XXX-XXX XX"},
			{Name: attrSNILSDigits, Description: "the SNILS's eleven digits, for the link"},
			{Name: attrForm, Description: "the report form, from the file name"},
		},
		Errors: errorFormat(),
		Operations: []sdk.Operation{
			{
				Kind:   sdk.OpUpload,
				Hook:   true,
				Params: []sdk.Param{file, productType.At(sdk.InForm), subscriber.At(sdk.InForm).Require()},
				Response: sdk.Response{Shape: sdk.ShapeObject, Fields: []sdk.ResponseField{
					{Key: "id", Value: sdk.FieldID},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "form", Value: attrForm},
					{Key: "received", Value: sdk.FieldDateIn},
				}},
			},
			{
				Kind:   sdk.OpList,
				Params: []sdk.Param{productType.At(sdk.InQuery), subscriber.At(sdk.InQuery), gate.At(sdk.InQuery)},
				Rules:  []sdk.Rule{{Kind: sdk.RuleRequiredWhen, Param: "guid", If: "type", Equals: []string{"platform"}}},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID},
					{Key: "guid", Value: sdk.FieldGUID},
					{Key: "snils", Value: attrSNILS},
					{Key: "filename", Value: sdk.FieldFilename},
					{Key: "received", Value: sdk.FieldDateIn, Format: sdk.TimeMicros},
					{Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind: sdk.OpDeliver,
				Hook: true,
				Params: []sdk.Param{
					file, subscriber.At(sdk.InForm).Require(), productType.At(sdk.InForm), gate.At(sdk.InForm),
					{Name: "snils", In: sdk.InForm, Type: sdk.TypeString, Required: true, Pattern: snilsPattern, Bind: attrSNILS},
				},
				Link: "/sfr/{" + attrSNILSDigits + "}/{uid}/{filename}",
			},
		},
	}
}
`

// sfrSNILSPattern is the pattern sfr declares for a SNILS.
const sfrSNILSPattern = `^\d{3}-\d{3}-\d{3} \d{2}$`

// buildSFR builds the Social Fund's plugin outside the repository.
func buildSFR(t *testing.T) string {
	t.Helper()
	return extBuild(t, "sfr", map[string]string{"main.go": sfrSource})
}

// sfrError is sfr's error body.
type sfrError struct {
	Error struct {
		Status   int `json:"status"`
		Problems []struct {
			Field   *string `json:"field"`
			Problem string  `json:"problem"`
		} `json:"problems"`
	} `json:"error"`
}

// wantSFRError checks that an answer is sfr's error format, with the
// status both in the header and the body, and returns the problems as
// "field: problem" ("-: problem" for none).
func wantSFRError(t *testing.T, resp Response, status int) []string {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("want %d in sfr's format, got %d: %s", status, resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("sfr error with Content-Type %q: %s", ct, resp.Body)
	}
	var top map[string]json.RawMessage
	resp.JSON(t, &top)
	if len(top) != 1 || top["error"] == nil {
		t.Fatalf("not sfr's error format (one key, error): %s", resp.Body)
	}
	var body sfrError
	resp.JSON(t, &body)
	if body.Error.Status != status || len(body.Error.Problems) == 0 {
		t.Fatalf("sfr error body %s: want status %d and problems", resp.Body, status)
	}
	var out []string
	for _, p := range body.Error.Problems {
		f := "-"
		if p.Field != nil {
			f = *p.Field
		}
		out = append(out, f+": "+p.Problem)
	}
	return out
}

// sfrSNILS is a fresh SNILS in the XXX-XXX-XXX XX shape, and its digits.
func sfrSNILS() (snils, digits string) {
	d := fmt.Sprintf("%011d", rand.Int64N(1e11))
	return d[0:3] + "-" + d[3:6] + "-" + d[6:9] + " " + d[9:11], d
}

// ndFileSHA256 is a file's digest, lower-case hex.
func ndFileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ndReloadReport is the answer of reportgate reload.
type ndReloadReport struct {
	Added     []string          `json:"added"`
	Replaced  []string          `json:"replaced"`
	Removed   []string          `json:"removed"`
	Unchanged []string          `json:"unchanged"`
	Failed    map[string]string `json:"failed"`
}

// ndReloadCLI runs `reportgate reload` against the host and returns its
// report.
func ndReloadCLI(t *testing.T, h *Host) ndReloadReport {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "reportgate"), "reload", "--config", h.ConfigPath(), "--url", h.URL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var r ndReloadReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("reportgate reload printed %q (%v): %v\n%s", out, runErr, err, stderr.String())
	}
	// The command fails exactly when a direction was refused, so that an
	// operator's script notices.
	if (runErr != nil) != (len(r.Failed) > 0) {
		t.Fatalf("reportgate reload exited with %v for a report with %d failures\n%s", runErr, len(r.Failed), stderr.String())
	}
	return r
}

// ndSIGHUP makes the host reload its configuration file.
func ndSIGHUP(t *testing.T, h *Host) {
	t.Helper()
	if err := syscall.Kill(h.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// ndLoad is traffic on directions a test does not touch: lists of FNS and
// PFR and uploads to PFR, from several goroutines, until stopped. Every
// answer must be a 200; anything else (an error status, a connection
// error) is recorded.
type ndLoad struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	failures []string
	done     [3]atomic.Int64
}

// ndStartLoad starts the traffic and returns once each kind of request
// has been answered at least once.
func ndStartLoad(t *testing.T, h *Host) *ndLoad {
	t.Helper()
	l := &ndLoad{stop: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	upload, contentType := Form{
		Fields:   [][2]string{field("type", "1c"), field("guid", uuid.NewString())},
		FileName: "szv_m.zip", File: []byte("pfr report under load"),
	}.Encode(t)
	kinds := []func() (*http.Request, error){
		func() (*http.Request, error) {
			return http.NewRequest(http.MethodGet, h.URL+"/fns/packages?type=1c", nil)
		},
		func() (*http.Request, error) {
			return http.NewRequest(http.MethodGet, h.URL+"/pfr/packages?type=1c", nil)
		},
		func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, h.URL+"/pfr/packages", bytes.NewReader(upload))
			if err == nil {
				req.Header.Set("Content-Type", contentType)
			}
			return req, err
		},
	}
	for i, build := range kinds {
		for range 2 {
			l.wg.Go(func() {
				for {
					select {
					case <-l.stop:
						return
					default:
					}
					req, err := build()
					if err != nil {
						l.fail(fmt.Sprintf("build request: %v", err))
						return
					}
					resp, err := client.Do(req)
					if err != nil {
						l.fail(fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						l.fail(fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b))
					}
					l.done[i].Add(1)
				}
			})
		}
	}
	ndWait(t, "the first answers under load", func() bool {
		return l.done[0].Load() > 0 && l.done[1].Load() > 0 && l.done[2].Load() > 0
	})
	return l
}

func (l *ndLoad) fail(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, msg)
	}
}

// finish lets each kind of request be answered a few more times, stops
// the traffic, and fails the test for any request that failed.
func (l *ndLoad) finish(t *testing.T) {
	t.Helper()
	var marks [3]int64
	for i := range marks {
		marks[i] = l.done[i].Load()
	}
	ndWait(t, "answers after the change", func() bool {
		for i := range marks {
			if l.done[i].Load() < marks[i]+3 {
				return false
			}
		}
		return true
	})
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 0 {
		t.Fatalf("requests to other directions failed:\n%s", strings.Join(l.failures, "\n"))
	}
	t.Logf("under load: %d FNS lists, %d PFR lists, %d PFR uploads, none failed", l.done[0].Load(), l.done[1].Load(), l.done[2].Load())
}

// sfrDeliver delivers a package to an sfr subscriber.
func sfrDeliver(t *testing.T, h *Host, guid, snils, name string, body []byte) Delivered {
	t.Helper()
	return h.Deliver(t, "sfr", Form{
		Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("snils", snils)},
		FileName: name, File: body,
	})
}

// sfrListed is the decoded sfr list of a subscriber's 1c packages.
func sfrListed(t *testing.T, h *Host, guid string) []map[string]any {
	t.Helper()
	resp := h.Get(t, "/sfr/packages?type=1c&guid="+guid)
	if resp.Status != http.StatusOK {
		t.Fatalf("sfr list: %d %s", resp.Status, resp.Body)
	}
	var items []map[string]any
	resp.JSON(t, &items)
	return items
}

// ndWantNotFound checks the answer to a path no enabled direction
// owns.
func ndWantNotFound(t *testing.T, what string, resp Response) {
	t.Helper()
	var body map[string]any
	if resp.Status != http.StatusNotFound || json.Unmarshal(resp.Body, &body) != nil ||
		!reflect.DeepEqual(body, map[string]any{"detail": "Not Found"}) {
		t.Fatalf("%s: want 404 {\"detail\": \"Not Found\"}, got %d %s", what, resp.Status, resp.Body)
	}
}

var ndDashedUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestNewDirectionWithoutTouchingTheHost is the proof. A
// regulator the repository does not know, the Social Fund, is written and
// built outside it against the SDK alone, then added to a running host by
// its configuration, with SIGHUP and with reportgate reload, while other
// directions are under load. It serves uploads, deliveries, lists, links
// and deletes in its own shapes and its own error format; disabling it
// takes its routes and links away, and enabling it brings them back. The
// host process is the same one throughout, and its binary never changes.
func TestNewDirectionWithoutTouchingTheHost(t *testing.T) {
	hostBinary := filepath.Join(binDir, "reportgate")
	hostSum := ndFileSHA256(t, hostBinary)

	sfr := buildSFR(t)
	if reqs := extDirectRequires(t, sfr); !reflect.DeepEqual(reqs, []string{ndSDKModule}) {
		t.Fatalf("the plugin's go.mod requires %v directly; want only %s", reqs, ndSDKModule)
	}
	deps := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
	deps.Dir = filepath.Dir(filepath.Dir(sfr))
	deps.Env = append(os.Environ(), "GOWORK=off")
	out, err := deps.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/reportgate/reportgate/") && !strings.HasPrefix(dep, ndSDKModule) {
			t.Fatalf("the plugin depends on the host's package %s", dep)
		}
	}

	// A short call timeout only shortens the grace a retired plugin gets.
	forEachBackend(t, hostConfig{env: []string{"REPORTGATE_PLUGINS__CALL_TIMEOUT=3s"}}, func(t *testing.T, h *Host) {
		hostPID := h.PID()
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", hostPID)); err != nil || exe != hostBinary {
			t.Fatalf("the host runs %q (%v), not %s", exe, err, hostBinary)
		}
		ndWantNotFound(t, "sfr before it is configured", h.Get(t, "/sfr/packages?type=1c"))

		// Added with SIGHUP, while the other directions are busy.
		withSFR := hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr}}}
		l := ndStartLoad(t, h)
		h.Rewrite(t, withSFR)
		ndSIGHUP(t, h)
		ndWait(t, "the host to log the reload that added sfr", func() bool {
			return strings.Contains(h.Logs(), `msg="configuration reloaded" added=[sfr]`)
		})
		l.finish(t)

		kept := ndServeEndToEnd(t, h)

		// Disabled with reportgate reload: its routes and links are gone.
		l = ndStartLoad(t, h)
		h.Rewrite(t, hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr, disabled: true}}})
		report := ndReloadCLI(t, h)
		l.finish(t)
		if !reflect.DeepEqual(report.Removed, []string{"sfr"}) || len(report.Added) != 0 || len(report.Failed) != 0 ||
			!reflect.DeepEqual(report.Unchanged, []string{"fns", "pfr", "rosstat"}) {
			t.Fatalf("disabling sfr reported %+v", report)
		}
		ndWantNotFound(t, "the sfr list once disabled", h.Get(t, "/sfr/packages?type=1c&guid="+kept.guid))
		ndWantNotFound(t, "an sfr upload once disabled", h.Post(t, "/sfr/packages", Form{
			Fields: [][2]string{field("type", "1c"), field("guid", kept.guid)}, FileName: "EFS-1_x.zip", File: []byte("x"),
		}))
		ndWantNotFound(t, "an sfr link once disabled", h.Get(t, kept.link))
		ndWantNotFound(t, "deleting an sfr link once disabled", h.Delete(t, kept.link))
		if resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/sfr/packages", &Form{
			Fields: [][2]string{field("guid", kept.guid), field("type", "1c"), field("snils", "123-456-789 01")}, FileName: "x.zip", File: []byte("x"),
		}); resp.Status != http.StatusNotFound {
			t.Fatalf("a delivery to disabled sfr: %d %s", resp.Status, resp.Body)
		}
		if resp := h.Get(t, "/fns/packages?type=1c"); resp.Status != http.StatusOK {
			t.Fatalf("fns after sfr was disabled: %d %s", resp.Status, resp.Body)
		}
		if pids := h.PluginPIDs(t); pids["sfr"] != 0 {
			ndWait(t, "the disabled sfr plugin to stop", func() bool { return h.PluginPIDs(t)["sfr"] == 0 })
		}

		// Enabled again with reportgate reload: everything is back.
		l = ndStartLoad(t, h)
		h.Rewrite(t, withSFR)
		report = ndReloadCLI(t, h)
		l.finish(t)
		if !reflect.DeepEqual(report.Added, []string{"sfr"}) || len(report.Failed) != 0 {
			t.Fatalf("enabling sfr reported %+v", report)
		}
		items := sfrListed(t, h, kept.guid)
		if len(items) != 1 || items[0]["link"] != kept.link {
			t.Fatalf("the sfr list after enabling it again: %v", items)
		}
		if resp := h.Get(t, kept.link); resp.Status != http.StatusOK || string(resp.Body) != string(kept.body) {
			t.Fatalf("the kept link after enabling sfr again: %d %.200s", resp.Status, resp.Body)
		}
		if resp := h.Delete(t, kept.link); resp.Status != http.StatusNoContent {
			t.Fatalf("delete after enabling sfr again: %d %s", resp.Status, resp.Body)
		}
		if items := sfrListed(t, h, kept.guid); len(items) != 0 {
			t.Fatalf("the deleted package is still listed: %v", items)
		}

		if h.PID() != hostPID || syscall.Kill(hostPID, 0) != nil {
			t.Fatalf("the host process changed: %d, then %d", hostPID, h.PID())
		}
	})

	if got := ndFileSHA256(t, hostBinary); got != hostSum {
		t.Fatalf("the host binary changed: sha256 %s, then %s", hostSum, got)
	}
}

// ndKept is a delivered sfr package the proof keeps for after the
// direction is disabled.
type ndKept struct {
	guid, link string
	body       []byte
}

// ndServeEndToEnd drives sfr through everything a direction does, and
// returns one delivered package it left in place.
func ndServeEndToEnd(t *testing.T, h *Host) ndKept {
	t.Helper()
	guid := uuid.NewString()

	// A subscriber's upload: the hook derives the form from the name.
	report := []byte("EFS-1 report bytes " + uuid.NewString())
	resp := h.Post(t, "/sfr/packages", Form{
		Fields:   [][2]string{field("type", "1c"), field("guid", guid)},
		FileName: "efs-1_2024_q1.zip", File: report,
	})
	if resp.Status != http.StatusOK {
		t.Fatalf("sfr upload: %d %s", resp.Status, resp.Body)
	}
	if keys := jsonKeys(t, resp.Body); !slices.Equal(keys, []string{"id", "filename", "form", "received"}) {
		t.Fatalf("sfr upload answer keys %v: %s", keys, resp.Body)
	}
	var up struct{ ID, Filename, Form, Received string }
	resp.JSON(t, &up)
	if !ndDashedUUID.MatchString(up.ID) || up.Filename != "efs-1_2024_q1.zip" || up.Form != "EFS-1" {
		t.Fatalf("sfr upload answer: %s", resp.Body)
	}
	if _, err := time.ParseInLocation("2006-01-02 15:04:05", up.Received, ndMoscow(t)); err != nil {
		t.Fatalf("sfr upload received %q: %v", up.Received, err)
	}
	// The load on the other directions commits as it goes: their uploads
	// may hold this one back for a moment (see readOutboxPage).
	storetest.SettleOutbox(t, h.DB)
	page := h.Operator(t, http.MethodGet, "/operator/v1/directions/sfr/outbox", nil)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), up.ID) {
		t.Fatalf("the sfr upload is not in the outbox: %d %s", page.Status, page.Body)
	}
	if content := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+up.ID+"/content", nil); string(content.Body) != string(report) {
		t.Fatalf("the sfr upload's content: %d %.200s", content.Status, content.Body)
	}

	// The operator delivers two packages; the hook derives the link's
	// SNILS digits.
	snils, digits := sfrSNILS()
	first := []byte("first inbound " + uuid.NewString())
	second := []byte("second inbound " + uuid.NewString())
	d1 := sfrDeliver(t, h, guid, snils, "protocol_1.zip", first)
	d2 := sfrDeliver(t, h, guid, snils, "protocol_2.zip", second)
	for _, d := range []Delivered{d1, d2} {
		if !ndDashedUUID.MatchString(d.UID) || d.Link != "/sfr/"+digits+"/"+d.UID+"/"+d.Filename {
			t.Fatalf("sfr link %q (uid %q): want /sfr/%s/{uid}/{filename}", d.Link, d.UID, digits)
		}
	}

	// The list, in sfr's own item shape, oldest first.
	items := sfrListed(t, h, guid)
	if len(items) != 2 || items[0]["uid"] != d1.UID || items[1]["uid"] != d2.UID {
		t.Fatalf("sfr list: %v", items)
	}
	listResp := h.Get(t, "/sfr/packages?type=1c&guid="+guid)
	var raw []json.RawMessage
	listResp.JSON(t, &raw)
	if keys := jsonKeys(t, raw[0]); !slices.Equal(keys, []string{"uid", "guid", "snils", "filename", "received", "link"}) {
		t.Fatalf("sfr list item keys %v", keys)
	}
	if items[0]["guid"] != guid || items[0]["snils"] != snils || items[0]["filename"] != "protocol_1.zip" || items[0]["link"] != d1.Link {
		t.Fatalf("sfr list item: %v", items[0])
	}
	if at, _ := items[0]["received"].(string); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$`).MatchString(at) {
		t.Fatalf("sfr list received %q", at)
	}

	// The link downloads the bytes; DELETE takes it off the list.
	dl := h.Get(t, d1.Link)
	if dl.Status != http.StatusOK || string(dl.Body) != string(first) || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("sfr download: %d %s %.200s", dl.Status, dl.Header.Get("Content-Type"), dl.Body)
	}
	if resp := h.Delete(t, d1.Link); resp.Status != http.StatusNoContent {
		t.Fatalf("sfr delete: %d %s", resp.Status, resp.Body)
	}
	if items := sfrListed(t, h, guid); len(items) != 1 || items[0]["uid"] != d2.UID {
		t.Fatalf("sfr list after delete: %v", items)
	}

	// Invalid requests answer in sfr's own format, every problem at once.
	problems := wantSFRError(t, h.Get(t, "/sfr/packages?type=bogus&guid=nope"), http.StatusBadRequest)
	if want := []string{"type: must be one of '1c', 'iotchet', 'platform'", "guid: must be a UUID"}; !slices.Equal(problems, want) {
		t.Fatalf("sfr list problems %q, want %q", problems, want)
	}
	problems = wantSFRError(t, h.Get(t, "/sfr/packages?type=platform"), http.StatusBadRequest)
	if want := []string{"guid: is required when type is platform"}; !slices.Equal(problems, want) {
		t.Fatalf("sfr rule problems %q, want %q", problems, want)
	}
	problems = wantSFRError(t, h.Post(t, "/sfr/packages", Form{Fields: [][2]string{field("type", "1c")}, FileName: "EFS-1_x.zip", File: []byte("x")}), http.StatusBadRequest)
	if want := []string{"guid: is required"}; !slices.Equal(problems, want) {
		t.Fatalf("sfr upload problems %q, want %q", problems, want)
	}
	problems = wantSFRError(t, h.Post(t, "/sfr/packages", Form{
		Fields: [][2]string{field("type", "1c"), field("guid", guid)}, FileName: "report.zip", File: []byte("x"),
	}), http.StatusBadRequest)
	if want := []string{"file: must be named <form>_<anything>, e.g. EFS-1_2024.zip"}; !slices.Equal(problems, want) {
		t.Fatalf("sfr hook problems %q, want %q", problems, want)
	}
	req := h.Request(t, http.MethodPut, "/sfr/packages", nil)
	problems = wantSFRError(t, h.Do(t, req), http.StatusMethodNotAllowed)
	if want := []string{"-: Method Not Allowed"}; !slices.Equal(problems, want) {
		t.Fatalf("sfr 405 problems %q, want %q", problems, want)
	}
	bad := h.Operator(t, http.MethodPost, "/operator/v1/directions/sfr/packages", &Form{
		Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("snils", "12345678901")},
		FileName: "x.zip", File: []byte("x"),
	})
	if bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), `must match `+strings.ReplaceAll(sfrSNILSPattern, `\`, `\\`)) {
		t.Fatalf("an sfr delivery with a bad SNILS: %d %s", bad.Status, bad.Body)
	}
	if n := len(sfrListed(t, h, guid)); n != 1 {
		t.Fatalf("refused requests left packages: %d listed", n)
	}
	return ndKept{guid: guid, link: d2.Link, body: second}
}

// ndWait polls a condition another process brings about, failing after a
// generous bound; it times nothing.
func ndWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ndMoscow is the time zone every test host renders times in.
func ndMoscow(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
