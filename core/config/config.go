// Package config loads the host's configuration in layers: defaults, then
// a YAML file, then environment variables (REPORTGATE_ followed by the key
// path with __ between levels, e.g. REPORTGATE_DATABASE__URL). Load
// validates the result, and every error names the key at fault.
package config

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/reportgate/reportgate/core/store"
)

// EnvPrefix starts every environment variable the host reads.
const EnvPrefix = "REPORTGATE_"

// Config is the host's whole configuration.
type Config struct {
	HTTP       HTTP                 `koanf:"http"`
	Database   Database             `koanf:"database"`
	Storage    Storage              `koanf:"storage"`
	Limits     Limits               `koanf:"limits"`
	Operator   Operator             `koanf:"operator"`
	Retention  Retention            `koanf:"retention"`
	Links      Links                `koanf:"links"`
	Lists      Lists                `koanf:"lists"`
	Plugins    Plugins              `koanf:"plugins"`
	Timezone   string               `koanf:"timezone"`
	Directions map[string]Direction `koanf:"directions"`
	// Location is Timezone, loaded.
	Location *time.Location `koanf:"-"`
	// Source is the file the configuration was read from.
	Source string `koanf:"-"`
}

// HTTP is the listener.
type HTTP struct {
	// Addr is host:port; port 0 picks a free port.
	Addr string `koanf:"addr"`
	// ShutdownTimeout bounds how long in-flight requests may finish.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
}

// Database is the package store.
type Database struct {
	// URL is postgres://… or sqlite:PATH.
	URL string `koanf:"url"`
	// MaxConnections caps the open connections; 0 leaves the store's
	// default for the database.
	MaxConnections int `koanf:"max_connections"`
	// SQLiteMmapBytes is how much of a SQLite file reads map; 0 maps none.
	SQLiteMmapBytes int64 `koanf:"sqlite_mmap_bytes"`
}

// StoreOptions are the store's settings this section gives.
func (d Database) StoreOptions() []store.Option {
	return []store.Option{store.WithMaxConnections(d.MaxConnections), store.WithSQLiteMmap(d.SQLiteMmapBytes)}
}

// Storage is where package bytes live.
type Storage struct {
	Dir string `koanf:"dir"`
}

// Limits bound what clients may send.
type Limits struct {
	// MaxPackageBytes caps an uploaded file.
	MaxPackageBytes int64 `koanf:"max_package_bytes"`
}

// Operator guards the operator API.
type Operator struct {
	// Tokens are the accepted bearer tokens; none turns the API off.
	Tokens []string `koanf:"tokens"`
}

// Retention says how long deleted packages keep their bytes.
type Retention struct {
	// Deleted is how long a package's bytes outlive its DELETE.
	Deleted time.Duration `koanf:"deleted"`
	// Interval is how often the purge runs.
	Interval time.Duration `koanf:"interval"`
}

// Links tunes the download links' resolver.
type Links struct {
	// CacheEntries is how many resolved links are kept in memory; with 0
	// every download reads its link record, or the database.
	CacheEntries int `koanf:"cache_entries"`
}

// Lists tunes the subscribers' lists.
type Lists struct {
	// CacheBytes bounds the rendered lists of gates and massreports kept
	// in memory, in all; with 0 every one is read from the database.
	CacheBytes int `koanf:"cache_bytes"`
}

// Plugins tunes the plugin processes.
type Plugins struct {
	// CallTimeout bounds one call to a plugin.
	CallTimeout time.Duration `koanf:"call_timeout"`
	// StartTimeout bounds a plugin's start and handshake.
	StartTimeout time.Duration `koanf:"start_timeout"`
}

// Direction enables one regulator.
type Direction struct {
	// Plugin is the plugin binary's path.
	Plugin string `koanf:"plugin"`
	// Prefix is where its routes are mounted; "" mounts them at the root.
	Prefix string `koanf:"prefix"`
	// Enabled turns it on; a listed direction is on unless set false.
	Enabled bool `koanf:"enabled"`
	// SHA256 pins the plugin binary's checksum, lower-case hex.
	SHA256 string `koanf:"sha256"`
}

func defaults() map[string]any {
	return map[string]any{
		"http.addr":                  "127.0.0.1:8080",
		"http.shutdown_timeout":      "15s",
		"database.url":               "sqlite:data/reportgate.db",
		"database.max_connections":   0,
		"database.sqlite_mmap_bytes": int64(store.DefaultSQLiteMmapBytes),
		"storage.dir":                "data/packages",
		"limits.max_package_bytes":   int64(100 << 20),
		"timezone":                   "Europe/Moscow",
		"retention.deleted":          "720h",
		"retention.interval":         "1h",
		"links.cache_entries":        4096,
		"lists.cache_bytes":          128 << 20,
		"plugins.call_timeout":       "10s",
		"plugins.start_timeout":      "15s",
		"operator.tokens":            []string{},
	}
}

// topKeys are the keys a configuration may set, beside directions.*.
var topKeys = []string{
	"http.addr", "http.shutdown_timeout", "database.url", "database.max_connections", "database.sqlite_mmap_bytes", "storage.dir",
	"limits.max_package_bytes", "operator.tokens", "timezone",
	"retention.deleted", "retention.interval", "links.cache_entries", "lists.cache_bytes", "plugins.call_timeout",
	"plugins.start_timeout",
}

var directionKey = regexp.MustCompile(`^directions\.([a-z][a-z0-9_-]{0,31})\.(plugin|prefix|enabled|sha256)$`)

// Load reads the defaults, the file at path (when not empty) and the
// environment, as environ lists it (os.Environ in production).
func Load(path string, environ func() []string) (*Config, error) {
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(defaults(), "."), nil); err != nil {
		return nil, fmt.Errorf("config defaults: %w", err)
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: envKey,
		EnvironFunc:   environ,
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("config environment: %w", err)
	}
	if err := checkKeys(k); err != nil {
		return nil, err
	}
	var c Config
	if err := k.Unmarshal("", &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for name, d := range c.Directions {
		if !k.Exists("directions." + name + ".enabled") {
			d.Enabled = true
		}
		if !k.Exists("directions." + name + ".prefix") {
			d.Prefix = "/" + name
		}
		c.Directions[name] = d
	}
	c.Source = path
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// envKey maps REPORTGATE_DATABASE__URL to database.url. A list value is
// written comma-separated: REPORTGATE_OPERATOR__TOKENS=a,b.
func envKey(name, value string) (string, any) {
	key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, EnvPrefix), "__", "."))
	if key == "operator.tokens" {
		return key, strings.FieldsFunc(value, func(r rune) bool { return r == ',' })
	}
	return key, value
}

// checkKeys refuses keys the host does not know, which are most often
// typos that would otherwise silently leave a default in place.
func checkKeys(k *koanf.Koanf) error {
	var unknown []string
	for _, key := range k.Keys() {
		if !slices.Contains(topKeys, key) && !directionKey.MatchString(key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("config: unknown key %s", strings.Join(unknown, ", "))
	}
	return nil
}

// reservedPrefixes are the host's own routes, which no direction may take.
var reservedPrefixes = []string{"/operator", "/healthz", "/readyz"}

var (
	prefixPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)*$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func (c *Config) validate() error {
	var errs []error
	fail := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		fail("http.addr", "want host:port, got %q", c.HTTP.Addr)
	}
	if _, _, err := store.ParseURL(c.Database.URL); err != nil {
		fail("database.url", "%v", err)
	}
	if c.Storage.Dir == "" {
		fail("storage.dir", "must name a directory")
	}
	if c.Limits.MaxPackageBytes <= 0 {
		fail("limits.max_package_bytes", "must be a positive number of bytes, got %d", c.Limits.MaxPackageBytes)
	}
	if c.Database.MaxConnections < 0 {
		fail("database.max_connections", "must be 0 (the default for the database) or a positive number, got %d", c.Database.MaxConnections)
	}
	if c.Database.SQLiteMmapBytes < 0 {
		fail("database.sqlite_mmap_bytes", "must be 0 (no memory map) or a positive number of bytes, got %d", c.Database.SQLiteMmapBytes)
	}
	if c.Links.CacheEntries < 0 {
		fail("links.cache_entries", "must be 0 (no cache) or a positive number of links, got %d", c.Links.CacheEntries)
	}
	if c.Lists.CacheBytes < 0 {
		fail("lists.cache_bytes", "must be 0 (no cache) or a positive number of bytes, got %d", c.Lists.CacheBytes)
	}
	for i, t := range c.Operator.Tokens {
		if len(t) < 16 {
			fail(fmt.Sprintf("operator.tokens[%d]", i), "a token must have at least 16 characters")
		}
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		fail("timezone", "unknown time zone %q", c.Timezone)
	}
	c.Location = loc
	for key, d := range map[string]time.Duration{
		"http.shutdown_timeout": c.HTTP.ShutdownTimeout, "retention.deleted": c.Retention.Deleted,
		"retention.interval": c.Retention.Interval, "plugins.call_timeout": c.Plugins.CallTimeout,
		"plugins.start_timeout": c.Plugins.StartTimeout,
	} {
		if d <= 0 {
			fail(key, "must be a positive duration such as 30s or 720h")
		}
	}
	prefixes := map[string]string{}
	for _, name := range c.DirectionNames() {
		d := c.Directions[name]
		key := "directions." + name
		if d.Plugin == "" {
			fail(key+".plugin", "must name the plugin binary")
		}
		if !prefixPattern.MatchString(d.Prefix) {
			fail(key+".prefix", "want \"\" or a path such as /fns, got %q", d.Prefix)
		}
		for _, r := range reservedPrefixes {
			if d.Prefix == r || strings.HasPrefix(d.Prefix, r+"/") {
				fail(key+".prefix", "%q is the host's own route", d.Prefix)
			}
		}
		if other, taken := prefixes[d.Prefix]; taken {
			fail(key+".prefix", "%q is already the prefix of %s", d.Prefix, other)
		}
		prefixes[d.Prefix] = name
		if d.SHA256 != "" && !sha256Pattern.MatchString(d.SHA256) {
			fail(key+".sha256", "want 64 lower-case hex digits")
		}
	}
	return errors.Join(errs...)
}

// DirectionNames lists the enabled directions, sorted.
func (c *Config) DirectionNames() []string {
	var names []string
	for name, d := range c.Directions {
		if d.Enabled {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
