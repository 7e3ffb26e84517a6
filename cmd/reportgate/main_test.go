package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/reportgate/reportgate/core/store/storetest"
	"github.com/reportgate/reportgate/sdk"
)

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"version"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "reportgate ") || !strings.Contains(out.String(), "plugin protocol 1") {
		t.Fatalf("version printed %q", out.String())
	}
}

func TestUnknownCommandIsAnError(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run([]string{"frobnicate"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "frobnicate") || !strings.Contains(errOut.String(), "usage") {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
}

// TestInvalidConfigNamesTheKey starts serve with broken configurations:
// each stops start-up with a message naming the key at fault.
func TestInvalidConfigNamesTheKey(t *testing.T) {
	cases := map[string]string{
		"database:\n  url: mysql://x\n":                        "database.url",
		"limits:\n  max_package_bytes: -1\n":                   "limits.max_package_bytes",
		"timezone: Mars/Olympus\n":                             "timezone",
		"databse:\n  url: sqlite:x.db\n":                       "databse.url",
		"directions:\n  fns:\n    prefix: /operator\n":         "directions.fns",
		"limits:\n  max_package_bytes: lots\n":                 "max_package_bytes",
		"http:\n  addr: nowhere\n":                             "http.addr",
		"operator:\n  tokens: [short]\n":                       "operator.tokens[0]",
		"directions:\n  fns:\n    plugin: x\n    sha256: zz\n": "directions.fns.sha256",
	}
	for yaml, key := range cases {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		err := run([]string{"serve", "--config", path}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("config %q: error %v does not name %s", yaml, err, key)
		}
	}
}

// TestMigrateAppliesEveryMigration runs the migrate command on each
// backend, twice: the second run has nothing left to apply.
func TestMigrateAppliesEveryMigration(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Setenv("REPORTGATE_DATABASE__URL", db.URL)
			var out, errOut bytes.Buffer
			if err := run([]string{"migrate"}, &out, &errOut); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), "applied ") || strings.HasPrefix(out.String(), "applied 0 ") {
				t.Fatalf("first migrate printed %q", out.String())
			}
			out.Reset()
			if err := run([]string{"migrate"}, &out, &errOut); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), "applied 0 ") {
				t.Fatalf("second migrate printed %q", out.String())
			}
		})
	}
}

// hostOnly are the host's own dependencies, which neither the SDK nor a
// plugin may pull in: a plugin builds against sdk/ alone.
var hostOnly = []string{
	"github.com/reportgate/reportgate/core",
	"github.com/gorilla/mux",
	"github.com/jmoiron/sqlx",
	"github.com/lib/pq",
	"github.com/knadh/koanf",
	"modernc.org/sqlite",
	"github.com/pressly/goose",
}

// TestPluginsAndSDKImportOnlyTheSDK checks the boundary of DESIGN: the
// bundled plugins and the SDK depend on nothing of the host.
func TestPluginsAndSDKImportOnlyTheSDK(t *testing.T) {
	root := filepath.Join("..", "..")
	check := func(dir string, pkgs ...string) {
		args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", pkgs, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range hostOnly {
				if strings.HasPrefix(dep, banned) {
					t.Errorf("%v depends on %s", pkgs, dep)
				}
			}
		}
	}
	check(root, "./plugins/...")
	check(filepath.Join(root, "sdk"), "./...")
	gomod, err := os.ReadFile(filepath.Join(root, "sdk", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range hostOnly {
		if strings.Contains(string(gomod), banned) {
			t.Errorf("sdk/go.mod requires %s", banned)
		}
	}
}

// TestPluginsInspectPrintsTheManifest builds a bundled plugin and inspects
// it: the JSON and the YAML both carry the manifest, and it is valid.
func TestPluginsInspectPrintsTheManifest(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rosstat")
	build := exec.Command("go", "build", "-o", bin, "./plugins/rosstat")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, format := range []string{"json", "yaml"} {
		var out, errOut bytes.Buffer
		if err := run([]string{"plugins", "inspect", "--format", format, bin}, &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, errOut.String())
		}
		var m sdk.Manifest
		var err error
		if format == "json" {
			err = json.Unmarshal(out.Bytes(), &m)
		} else {
			err = yaml.Unmarshal(out.Bytes(), &m)
		}
		if err != nil {
			t.Fatalf("%s output does not parse: %v\n%s", format, err, out.String())
		}
		if m.Name != "rosstat" || m.Operation(sdk.OpMassreport) == nil || m.Protocol != sdk.ProtocolVersion {
			t.Fatalf("%s manifest: %+v", format, m)
		}
		if !strings.Contains(errOut.String(), "is valid") {
			t.Fatalf("%s: no verdict in %q", format, errOut.String())
		}
	}
}

// TestTheSDKsMinimalExampleIsValid builds the plugin the SDK's package
// doc shows and has the host check its manifest.
func TestTheSDKsMinimalExampleIsValid(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minimal")
	build := exec.Command("go", "build", "-o", bin, "./examples/minimal")
	build.Dir = filepath.Join("..", "..", "sdk")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"plugins", "inspect", "--format", "json", bin}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "manifest of minimal is valid") {
		t.Fatalf("verdict %q", errOut.String())
	}
}
