package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"

	"github.com/reportgate/reportgate/core/store/storetest"
	"github.com/reportgate/reportgate/sdk"
)

// The boundary between the host and a plugin: the protocol version, the
// pinned checksum and the manifest's consistency are all checked when a
// plugin is loaded, and a refused plugin takes down only its own
// direction.

// futureSource is a plugin built against a protocol version the host does
// not speak: it uses go-plugin directly, with the SDK's handshake cookie
// but protocol version 2.
const futureSource = `// Command future speaks a protocol version the host does not know.
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/reportgate/reportgate/sdk"
)

func main() {
	impl := &sdk.Plugin{Declaration: sdk.Manifest{Name: "future", UIDFormat: sdk.UIDDashed}}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  sdk.Handshake(),
		VersionedPlugins: map[int]plugin.PluginSet{2: {sdk.PluginKey: &sdk.GRPCPlugin{Impl: impl}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
`

// contradictorySource declares, under the name it is run as, a manifest
// that contradicts itself in one way per name.
const contradictorySource = `// Command contradictory declares manifests the host must refuse.
package main

import (
	"os"
	"path/filepath"

	"github.com/reportgate/reportgate/sdk"
)

func main() {
	name := filepath.Base(os.Args[0])
	m := base(name)
	switch name {
	case "badlink":
		// A link naming a field the manifest does not declare.
		m.Operations[1].Link = "/{regnum}/{uid}/{filename}"
	case "badrule":
		// A rule about a parameter the operation does not take.
		m.Operations[0].Rules = []sdk.Rule{{Kind: sdk.RuleRequiredWhen, Param: "guid", If: "kind", Equals: []string{"x"}}}
	case "nomessage":
		// An error format without a message the host needs.
		delete(m.Errors.Messages, sdk.ViolationUUID)
	}
	sdk.Serve(&sdk.Plugin{Declaration: m})
}

func base(name string) sdk.Manifest {
	file := sdk.Param{Name: "file", In: sdk.InForm, Type: sdk.TypeFile, Required: true}
	guid := sdk.Param{Name: "guid", Type: sdk.TypeUUID, Bind: sdk.FieldGUID}
	return sdk.Manifest{
		Name:      name,
		UIDFormat: sdk.UIDDashed,
		Errors:    sdk.PydanticErrors(),
		Operations: []sdk.Operation{
			{
				Kind:   sdk.OpList,
				Params: []sdk.Param{guid.At(sdk.InQuery)},
				Response: sdk.Response{Shape: sdk.ShapeObjects, Fields: []sdk.ResponseField{
					{Key: "uid", Value: sdk.FieldUID}, {Key: "link", Value: sdk.FieldLink},
				}},
			},
			{
				Kind:   sdk.OpDeliver,
				Params: []sdk.Param{file, guid.At(sdk.InForm).Require()},
				Link:   "/{guid}/{uid}/{filename}",
			},
		},
	}
}
`

// bdBundledServe checks that the bundled directions serve: an FNS upload
// (which calls the fns hook) and the PFR and Rosstat lists.
func bdBundledServe(t *testing.T, h *Host) {
	t.Helper()
	if resp := svFNSUpload(t, h, []byte("fns")); resp.Status != http.StatusOK {
		t.Fatalf("fns upload: %d %s", resp.Status, resp.Body)
	}
	for _, path := range []string{"/pfr/packages?type=1c", "/rosstat/packages?type=1c"} {
		if resp := h.Get(t, path); resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
		}
	}
}

// bdRefused checks that a direction was refused at load: /readyz reports
// it failed with an error matching want, the host logged the same, and
// its routes are not served.
func bdRefused(t *testing.T, h *Host, name string, want *regexp.Regexp) {
	t.Helper()
	status, r := svReadyz(t, h)
	d, ok := r.Detail.Directions[name]
	if status != http.StatusServiceUnavailable || !ok || d.State != "failed" || !want.MatchString(d.Error) {
		t.Fatalf("readyz for refused %s: %d %+v; want failed with an error matching %s", name, status, r, want)
	}
	logged := regexp.MustCompile(`msg="direction not started" direction=` + name + ` error=("(?:[^"\\]|\\.)*"|\S+)`)
	m := logged.FindStringSubmatch(h.Logs())
	if m == nil {
		t.Fatalf("the host's log does not say why %s was refused:\n%s", name, h.Logs())
	}
	msg := m[1]
	if unquoted, err := strconv.Unquote(msg); err == nil {
		msg = unquoted
	}
	if !want.MatchString(msg) {
		t.Fatalf("the host logged %s's refusal as %q; want it to match %s", name, msg, want)
	}
	ndWantNotFound(t, name+"'s list", h.Get(t, "/"+name+"/packages?type=1c"))
	if pid := h.PluginPIDs(t)[name]; pid != 0 {
		ndWait(t, "the refused "+name+" plugin to stop", func() bool { return h.PluginPIDs(t)[name] == 0 })
	}
}

// bdInspect runs reportgate plugins inspect on a binary, and checks that
// it leaves nothing in its temporary directory, the plugin's socket
// included, even when the plugin is refused.
func bdInspect(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "reportgate"), append(append([]string{"plugins", "inspect"}, args...), bin)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("plugins inspect %s left %v in its temporary directory", filepath.Base(bin), left)
	}
	return out.String(), errOut.String(), err
}

// TestIncompatibleProtocolIsRefused configures a plugin that speaks
// protocol version 2: the host refuses it with an error naming both
// versions, and starts the other directions.
func TestIncompatibleProtocolIsRefused(t *testing.T) {
	future := extBuild(t, "future", map[string]string{"main.go": futureSource})
	if reqs := extDirectRequires(t, future); !strings.Contains(strings.Join(reqs, " "), "github.com/hashicorp/go-plugin") {
		t.Fatalf("the future plugin does not use go-plugin directly: %v", reqs)
	}
	versions := regexp.MustCompile(`(?i)version.*\b2\b.*\[1\]`)
	h := startHost(t, storetest.SQLite(t), hostConfig{extra: map[string]extraDirection{"future": {plugin: future}}})
	bdBundledServe(t, h)
	bdRefused(t, h, "future", versions)

	// A reload refuses it again, and leaves the others as they are.
	report := ndReloadCLI(t, h)
	if !versions.MatchString(report.Failed["future"]) || len(report.Added) != 0 ||
		strings.Join(report.Unchanged, ",") != "fns,pfr,rosstat" {
		t.Fatalf("reload with the future plugin reported %+v", report)
	}
	bdBundledServe(t, h)

	_, stderr, err := bdInspect(t, future)
	if err == nil || !versions.MatchString(stderr) {
		t.Fatalf("plugins inspect of a version 2 plugin: %v\n%s", err, stderr)
	}
}

// TestPinnedChecksum pins sfr's binary by its sha256: a wrong checksum
// refuses the direction while the others start; the right one serves it;
// and a binary swapped under the pin is not started when the plugin is
// restarted.
func TestPinnedChecksum(t *testing.T) {
	sfr := buildSFR(t)
	sum := ndFileSHA256(t, sfr)
	wrong := ndFileSHA256(t, filepath.Join(binDir, "plugins", "pfr"))
	checksum := regexp.MustCompile(`(?i)checksum`)

	h := startHost(t, storetest.SQLite(t), hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr, sha256: wrong}}})
	bdBundledServe(t, h)
	bdRefused(t, h, "sfr", checksum)

	h.Rewrite(t, hostConfig{extra: map[string]extraDirection{"sfr": {plugin: sfr, sha256: sum}}})
	if report := ndReloadCLI(t, h); strings.Join(report.Added, ",") != "sfr" || len(report.Failed) != 0 {
		t.Fatalf("reload with the right checksum reported %+v", report)
	}
	guid := uuid.NewString()
	upload := func(name string) Response {
		return h.Post(t, "/sfr/packages", Form{Fields: [][2]string{field("type", "1c"), field("guid", guid)}, FileName: name, File: []byte("x")})
	}
	if resp := upload("EFS-1_pinned.zip"); resp.Status != http.StatusOK {
		t.Fatalf("sfr with the right checksum: %d %s", resp.Status, resp.Body)
	}
	if status, _ := svReadyz(t, h); status != http.StatusOK {
		t.Fatalf("readyz with sfr pinned right: %d", status)
	}

	// Another binary takes sfr's place, and the running plugin dies: the
	// restart refuses the impostor, and the direction stays down.
	pid := h.PluginPIDs(t)["sfr"]
	impostor := sfr + ".new"
	svCopy(t, filepath.Join(binDir, "plugins", "pfr"), impostor)
	if err := os.Rename(impostor, sfr); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ndWait(t, "the restart to refuse the impostor", func() bool {
		_, r := svReadyz(t, h)
		d := r.Detail.Directions["sfr"]
		return d.State == "restarting" && checksum.MatchString(d.Error)
	})
	if resp := upload("EFS-1_impostor.zip"); resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("sfr upload with an impostor binary: %d %s", resp.Status, resp.Body)
	}
	if pid := h.PluginPIDs(t)["sfr"]; pid != 0 {
		t.Fatalf("the impostor runs as pid %d", pid)
	}
	bdBundledServe(t, h)
}

// TestContradictoryManifestsAreRefused configures plugins whose manifests
// contradict themselves: each is refused at load with a message naming
// the problem, and the other directions serve.
func TestContradictoryManifestsAreRefused(t *testing.T) {
	built := extBuild(t, "contradictory", map[string]string{"main.go": contradictorySource})
	problems := map[string]*regexp.Regexp{
		"badlink":   regexp.MustCompile(regexp.QuoteMeta(`link "/{regnum}/{uid}/{filename}" uses the undeclared field "regnum"`)),
		"badrule":   regexp.MustCompile(`"kind".*declared parameters`),
		"nomessage": regexp.MustCompile(regexp.QuoteMeta(`errors.messages: no message for violation kind "uuid"`)),
	}
	extra := map[string]extraDirection{}
	dir := t.TempDir()
	for name := range problems {
		bin := filepath.Join(dir, name)
		svCopy(t, built, bin)
		extra[name] = extraDirection{plugin: bin}
	}
	h := startHost(t, storetest.SQLite(t), hostConfig{extra: extra})
	bdBundledServe(t, h)
	for name, want := range problems {
		bdRefused(t, h, name, want)
		_, stderr, err := bdInspect(t, extra[name].plugin)
		if err == nil || !strings.Contains(stderr, "the host would refuse this manifest") || !want.MatchString(stderr) {
			t.Fatalf("plugins inspect of %s: %v\n%s", name, err, stderr)
		}
	}
}

// TestInspectPrintsAnExternalManifest runs reportgate plugins inspect on
// the sfr binary built outside the repository: it prints the manifest as
// JSON and as YAML, both the whole declaration, and finds it valid.
func TestInspectPrintsAnExternalManifest(t *testing.T) {
	sfr := buildSFR(t)
	stdout, stderr, err := bdInspect(t, sfr)
	if err != nil {
		t.Fatalf("plugins inspect: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "manifest of sfr is valid for plugin protocol 1") {
		t.Fatalf("no verdict on stderr: %s", stderr)
	}
	jsonPart, yamlPart, ok := strings.Cut(stdout, "---\n# manifest (YAML)\n")
	if !ok || !strings.HasPrefix(jsonPart, "# manifest (JSON)\n") {
		t.Fatalf("plugins inspect printed:\n%s", stdout)
	}
	var fromJSON, fromYAML sdk.Manifest
	if err := json.Unmarshal([]byte(strings.TrimPrefix(jsonPart, "# manifest (JSON)\n")), &fromJSON); err != nil {
		t.Fatalf("the JSON does not parse: %v\n%s", err, jsonPart)
	}
	if err := yaml.Unmarshal([]byte(yamlPart), &fromYAML); err != nil {
		t.Fatalf("the YAML does not parse: %v\n%s", err, yamlPart)
	}
	for format, m := range map[string]sdk.Manifest{"json": fromJSON, "yaml": fromYAML} {
		deliver := m.Operation(sdk.OpDeliver)
		upload := m.Operation(sdk.OpUpload)
		if m.Name != "sfr" || m.Protocol != sdk.ProtocolVersion || m.UIDFormat != sdk.UIDDashed ||
			deliver == nil || deliver.Link != "/sfr/{snils_digits}/{uid}/{filename}" || !deliver.Hook ||
			upload == nil || !upload.Hook || len(m.Attributes) != 3 ||
			!strings.Contains(m.Errors.Invalid.Template, `"problems"`) ||
			m.Errors.Messages["form_name"].Text == "" {
			t.Fatalf("%s manifest: %+v", format, m)
		}
		var snils *sdk.Param
		for i := range deliver.Params {
			if deliver.Params[i].Name == "snils" {
				snils = &deliver.Params[i]
			}
		}
		if snils == nil || snils.Pattern != sfrSNILSPattern || !snils.Required || snils.Bind != "snils" {
			t.Fatalf("%s manifest: the snils parameter is %+v", format, snils)
		}
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if !bytes.Equal(a, b) {
		t.Fatalf("the JSON and the YAML differ:\n%s\n%s", a, b)
	}

	only, _, err := bdInspect(t, sfr, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m sdk.Manifest
	if err := json.Unmarshal([]byte(only), &m); err != nil || m.Name != "sfr" {
		t.Fatalf("--format json printed %q (%v)", only, err)
	}
}
