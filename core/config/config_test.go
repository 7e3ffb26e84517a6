package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/config"
)

// env is an environment as Load's environ argument lists it.
func env(vars ...string) func() []string {
	return func() []string { return vars }
}

// writeFile writes a YAML configuration and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reportgate.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string, environ func() []string) *config.Config {
	t.Helper()
	c, err := config.Load(path, environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, "", env())
	checks := []struct {
		key       string
		got, want any
	}{
		{"http.addr", c.HTTP.Addr, "127.0.0.1:8080"},
		{"http.shutdown_timeout", c.HTTP.ShutdownTimeout, 15 * time.Second},
		{"database.url", c.Database.URL, "sqlite:data/reportgate.db"},
		{"database.max_connections", c.Database.MaxConnections, 0},
		{"database.sqlite_mmap_bytes", c.Database.SQLiteMmapBytes, int64(1 << 30)},
		{"storage.dir", c.Storage.Dir, "data/packages"},
		{"limits.max_package_bytes", c.Limits.MaxPackageBytes, int64(100 << 20)},
		{"timezone", c.Timezone, "Europe/Moscow"},
		{"retention.deleted", c.Retention.Deleted, 720 * time.Hour},
		{"retention.interval", c.Retention.Interval, time.Hour},
		{"links.cache_entries", c.Links.CacheEntries, 4096},
		{"lists.cache_bytes", c.Lists.CacheBytes, 128 << 20},
		{"plugins.call_timeout", c.Plugins.CallTimeout, 10 * time.Second},
		{"plugins.start_timeout", c.Plugins.StartTimeout, 15 * time.Second},
		{"operator.tokens", len(c.Operator.Tokens), 0},
		{"directions", len(c.Directions), 0},
		{"source", c.Source, ""},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.key, check.got, check.want)
		}
	}
	if c.Location == nil || c.Location.String() != "Europe/Moscow" {
		t.Errorf("Location = %v, want Europe/Moscow", c.Location)
	}
	if names := c.DirectionNames(); len(names) != 0 {
		t.Errorf("DirectionNames() = %v, want none", names)
	}
}

func TestFile(t *testing.T) {
	path := writeFile(t, `
http:
  addr: 0.0.0.0:9000
  shutdown_timeout: 30s
database:
  url: postgres://rg@db:5432/rg?sslmode=disable
  max_connections: 24
  sqlite_mmap_bytes: 0
storage:
  dir: /var/lib/reportgate
limits:
  max_package_bytes: 1048576
operator:
  tokens:
    - 0123456789abcdef0123
timezone: Asia/Yekaterinburg
retention:
  deleted: 48h
  interval: 10m
links:
  cache_entries: 500
lists:
  cache_bytes: 0
plugins:
  call_timeout: 2s
  start_timeout: 5s
directions:
  fns:
    plugin: bin/plugins/fns
    prefix: ""
    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  pfr:
    plugin: bin/plugins/pfr
  rosstat:
    plugin: bin/plugins/rosstat
    prefix: /stat
    enabled: false
`)
	c := mustLoad(t, path, env())
	want := config.Config{
		HTTP:      config.HTTP{Addr: "0.0.0.0:9000", ShutdownTimeout: 30 * time.Second},
		Database:  config.Database{URL: "postgres://rg@db:5432/rg?sslmode=disable", MaxConnections: 24, SQLiteMmapBytes: 0},
		Storage:   config.Storage{Dir: "/var/lib/reportgate"},
		Limits:    config.Limits{MaxPackageBytes: 1 << 20},
		Operator:  config.Operator{Tokens: []string{"0123456789abcdef0123"}},
		Retention: config.Retention{Deleted: 48 * time.Hour, Interval: 10 * time.Minute},
		Links:     config.Links{CacheEntries: 500},
		Lists:     config.Lists{CacheBytes: 0},
		Plugins:   config.Plugins{CallTimeout: 2 * time.Second, StartTimeout: 5 * time.Second},
		Timezone:  "Asia/Yekaterinburg",
		Directions: map[string]config.Direction{
			// An explicit empty prefix mounts the direction at the root.
			"fns": {Plugin: "bin/plugins/fns", Prefix: "", Enabled: true, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			// A listed direction is enabled, under /name.
			"pfr":     {Plugin: "bin/plugins/pfr", Prefix: "/pfr", Enabled: true},
			"rosstat": {Plugin: "bin/plugins/rosstat", Prefix: "/stat", Enabled: false},
		},
		Source: path,
	}
	got := *c
	if got.Location == nil || got.Location.String() != "Asia/Yekaterinburg" {
		t.Errorf("Location = %v", got.Location)
	}
	got.Location = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load\n got %+v\nwant %+v", got, want)
	}
	if names := c.DirectionNames(); !reflect.DeepEqual(names, []string{"fns", "pfr"}) {
		t.Errorf("DirectionNames() = %v, want [fns pfr]", names)
	}
}

func TestSampleFile(t *testing.T) {
	c := mustLoad(t, filepath.Join("..", "..", "config", "reportgate.yaml"), env())
	if names := c.DirectionNames(); !reflect.DeepEqual(names, []string{"fns", "pfr", "rosstat"}) {
		t.Errorf("DirectionNames() = %v", names)
	}
	for name, d := range c.Directions {
		if d.Prefix != "/"+name {
			t.Errorf("%s: prefix %q", name, d.Prefix)
		}
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	path := writeFile(t, `
database:
  url: sqlite:/tmp/file.db
limits:
  max_package_bytes: 1000
directions:
  fns:
    plugin: bin/plugins/fns
  pfr:
    plugin: bin/plugins/pfr
`)
	c := mustLoad(t, path, env(
		"REPORTGATE_DATABASE__URL=postgres://u@h/db?sslmode=disable",
		"REPORTGATE_LIMITS__MAX_PACKAGE_BYTES=2048",
		"REPORTGATE_OPERATOR__TOKENS=aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb",
		"REPORTGATE_DIRECTIONS__FNS__ENABLED=false",
		"REPORTGATE_DIRECTIONS__PFR__PREFIX=/pension",
		"REPORTGATE_RETENTION__DELETED=24h",
		"REPORTGATE_TIMEZONE=UTC",
		"REPORTGATE_DIRECTIONS__ROSSTAT__PLUGIN=bin/plugins/rosstat",
		"PATH=/usr/bin",
		"OTHER_REPORTGATE_X=1",
	))
	if c.Database.URL != "postgres://u@h/db?sslmode=disable" {
		t.Errorf("database.url = %q", c.Database.URL)
	}
	if c.Limits.MaxPackageBytes != 2048 {
		t.Errorf("limits.max_package_bytes = %d", c.Limits.MaxPackageBytes)
	}
	if !reflect.DeepEqual(c.Operator.Tokens, []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}) {
		t.Errorf("operator.tokens = %q", c.Operator.Tokens)
	}
	if c.Retention.Deleted != 24*time.Hour {
		t.Errorf("retention.deleted = %v", c.Retention.Deleted)
	}
	if c.Location != time.UTC && c.Location.String() != "UTC" {
		t.Errorf("Location = %v", c.Location)
	}
	if d := c.Directions["fns"]; d.Enabled || d.Plugin != "bin/plugins/fns" {
		t.Errorf("fns = %+v, want it disabled", d)
	}
	if d := c.Directions["pfr"]; !d.Enabled || d.Prefix != "/pension" {
		t.Errorf("pfr = %+v, want it enabled under /pension", d)
	}
	if d := c.Directions["rosstat"]; !d.Enabled || d.Prefix != "/rosstat" || d.Plugin != "bin/plugins/rosstat" {
		t.Errorf("rosstat = %+v, want it enabled under /rosstat from the environment alone", d)
	}
	if names := c.DirectionNames(); !reflect.DeepEqual(names, []string{"pfr", "rosstat"}) {
		t.Errorf("DirectionNames() = %v", names)
	}
}

func TestEmptyTokenList(t *testing.T) {
	c := mustLoad(t, writeFile(t, "operator:\n  tokens: [aaaaaaaaaaaaaaaa]\n"), env("REPORTGATE_OPERATOR__TOKENS="))
	if len(c.Operator.Tokens) != 0 {
		t.Errorf("an empty variable left tokens %q", c.Operator.Tokens)
	}
}

func TestInvalid(t *testing.T) {
	const fns = "directions:\n  fns:\n    plugin: bin/plugins/fns\n"
	cases := []struct {
		name string
		file string
		env  []string
		want []string // substrings of the error
	}{
		{"database url", "", []string{"REPORTGATE_DATABASE__URL=mysql://x/y"}, []string{"database.url"}},
		{"empty sqlite path", "database:\n  url: 'sqlite:'\n", nil, []string{"database.url"}},
		{"zero package limit", "limits:\n  max_package_bytes: 0\n", nil, []string{"limits.max_package_bytes"}},
		{"negative package limit", "", []string{"REPORTGATE_LIMITS__MAX_PACKAGE_BYTES=-1"}, []string{"limits.max_package_bytes"}},
		{"package limit not a number", "", []string{"REPORTGATE_LIMITS__MAX_PACKAGE_BYTES=100MB"}, []string{"limits.max_package_bytes"}},
		{"time zone", "timezone: Europe/Atlantis\n", nil, []string{"timezone", "Europe/Atlantis"}},
		{"empty time zone", "", []string{"REPORTGATE_TIMEZONE="}, []string{"timezone"}},
		{"address without a port", "http:\n  addr: localhost\n", nil, []string{"http.addr"}},
		{"empty storage dir", "storage:\n  dir: ''\n", nil, []string{"storage.dir"}},
		{"short operator token", "operator:\n  tokens: [aaaaaaaaaaaaaaaa, short]\n", nil, []string{"operator.tokens[1]", "16"}},
		{"short operator token from the environment", "", []string{"REPORTGATE_OPERATOR__TOKENS=abc"}, []string{"operator.tokens[0]"}},
		{"zero duration", "retention:\n  deleted: 0s\n", nil, []string{"retention.deleted"}},
		{"negative duration", "", []string{"REPORTGATE_PLUGINS__CALL_TIMEOUT=-5s"}, []string{"plugins.call_timeout"}},
		{"duration without a unit", "", []string{"REPORTGATE_RETENTION__INTERVAL=10"}, []string{"retention.interval"}},
		{"negative connection cap", "", []string{"REPORTGATE_DATABASE__MAX_CONNECTIONS=-4"}, []string{"database.max_connections"}},
		{"negative memory map", "", []string{"REPORTGATE_DATABASE__SQLITE_MMAP_BYTES=-1"}, []string{"database.sqlite_mmap_bytes"}},
		{"negative link cache", "links:\n  cache_entries: -1\n", nil, []string{"links.cache_entries"}},
		{"link cache not a number", "", []string{"REPORTGATE_LINKS__CACHE_ENTRIES=many"}, []string{"links.cache_entries"}},
		{"negative list cache", "", []string{"REPORTGATE_LISTS__CACHE_BYTES=-1"}, []string{"lists.cache_bytes"}},
		{"duration that does not parse", "http:\n  shutdown_timeout: soon\n", nil, []string{"http.shutdown_timeout"}},
		{"direction without a plugin", "directions:\n  fns:\n    prefix: /fns\n", nil, []string{"directions.fns.plugin"}},
		{"prefix without a slash", fns + "    prefix: fns\n", nil, []string{"directions.fns.prefix"}},
		{"prefix with a trailing slash", fns + "    prefix: /fns/\n", nil, []string{"directions.fns.prefix"}},
		{"prefix with a space", fns + "    prefix: /f ns\n", nil, []string{"directions.fns.prefix"}},
		{"reserved prefix", fns + "    prefix: /operator\n", nil, []string{"directions.fns.prefix", "/operator"}},
		{"prefix under a reserved one", fns + "    prefix: /operator/v1\n", nil, []string{"directions.fns.prefix"}},
		{"health prefix", fns + "    prefix: /healthz\n", nil, []string{"directions.fns.prefix"}},
		{"prefix clash", fns + "  pfr:\n    plugin: bin/plugins/pfr\n    prefix: /fns\n", nil,
			[]string{"directions.pfr.prefix", `"/fns" is already the prefix of fns`}},
		{"prefix clash at the root", fns + "    prefix: ''\n  pfr:\n    plugin: p\n    prefix: ''\n", nil, []string{"directions.pfr.prefix"}},
		{"prefix clash with a default", fns + "  pfr:\n    plugin: bin/plugins/pfr\n",
			[]string{"REPORTGATE_DIRECTIONS__PFR__PREFIX=/fns"}, []string{"directions.pfr.prefix"}},
		{"sha256 too short", fns + "    sha256: abc\n", nil, []string{"directions.fns.sha256"}},
		{"sha256 upper case", fns + "    sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n", nil,
			[]string{"directions.fns.sha256"}},
		{"enabled not a bool", fns, []string{"REPORTGATE_DIRECTIONS__FNS__ENABLED=maybe"}, []string{"fns", "enabled"}},
		{"unknown key in the file", "http:\n  adr: 127.0.0.1:1\n", nil, []string{"unknown key", "http.adr"}},
		{"unknown top-level key in the file", "databse:\n  url: sqlite:x\n", nil, []string{"unknown key", "databse.url"}},
		{"unknown direction key in the file", fns + "    plugn: x\n", nil, []string{"unknown key", "directions.fns.plugn"}},
		{"direction name not lower case", "directions:\n  FNS:\n    plugin: x\n", nil, []string{"unknown key", "directions.FNS.plugin"}},
		{"unknown key in the environment", "", []string{"REPORTGATE_HTTP__ADR=127.0.0.1:1"}, []string{"unknown key", "http.adr"}},
		{"single underscore in the environment", "", []string{"REPORTGATE_DATABASE_URL=sqlite:x"}, []string{"unknown key", "database_url"}},
		{"unknown direction key in the environment", "", []string{"REPORTGATE_DIRECTIONS__FNS__PATH=x"}, []string{"unknown key", "directions.fns.path"}},
		{"every error at once", "http:\n  addr: nowhere\ntimezone: Nowhere/City\n", nil, []string{"http.addr", "timezone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ""
			if c.file != "" {
				path = writeFile(t, c.file)
			}
			cfg, err := config.Load(path, env(c.env...))
			if err == nil {
				t.Fatalf("Load accepted it: %+v", cfg)
			}
			t.Log(err)
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	if _, err := config.Load(path, env()); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a missing file: %v, want an error naming it", err)
	}
}

func TestMalformedFile(t *testing.T) {
	path := writeFile(t, "http: [addr\n")
	if _, err := config.Load(path, env()); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of malformed YAML: %v, want an error naming the file", err)
	}
}
