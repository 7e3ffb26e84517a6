package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/reportgate/reportgate/core/config"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/supervisor"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// running is an enabled direction: its configuration, the checksum of the
// binary it runs, its plugin process and its mounted routes.
type running struct {
	cfg     config.Direction
	sum     string
	plugin  *supervisor.Plugin
	mounted *httpapi.Mounted
}

// ReloadReport says what a reload changed.
type ReloadReport struct {
	Added     []string          `json:"added"`
	Replaced  []string          `json:"replaced"`
	Removed   []string          `json:"removed"`
	Unchanged []string          `json:"unchanged"`
	Failed    map[string]string `json:"failed"`
	// Ignored are changed keys that only a restart applies.
	Ignored []string `json:"ignored"`
}

// newReloadReport is an empty report whose lists render as [], not null.
func newReloadReport() *ReloadReport {
	return &ReloadReport{
		Added: []string{}, Replaced: []string{}, Removed: []string{}, Unchanged: []string{},
		Failed: map[string]string{}, Ignored: []string{},
	}
}

// Reload reads the configuration again and applies its directions: new
// ones start, changed ones (another binary, prefix or checksum) are
// replaced, removed or disabled ones stop. The routes swap at once, so a
// request sees the old set or the new one, and requests on directions
// that did not change go on undisturbed. Other keys need a restart.
func (a *App) Reload(ctx context.Context) (*ReloadReport, error) {
	cfg, err := a.load()
	if err != nil {
		a.log.Error("reload refused; the running configuration stays", "error", err)
		return nil, fmt.Errorf("reload: %w", err)
	}
	a.reloading.Lock()
	defer a.reloading.Unlock()
	report := a.applyDirections(ctx, cfg)
	report.Ignored = append(report.Ignored, ignoredChanges(a.cfg, cfg)...)
	applied := *a.cfg
	applied.Directions = cfg.Directions
	a.cfg = &applied
	a.log.Info("configuration reloaded", "added", report.Added, "replaced", report.Replaced,
		"removed", report.Removed, "failed", report.Failed, "ignored", report.Ignored)
	return report, nil
}

// applyDirections brings the running directions in line with cfg. A
// direction that fails to start keeps its old version running, if it had
// one. The caller holds a.reloading, so a.dirs changes only here.
func (a *App) applyDirections(ctx context.Context, cfg *config.Config) *ReloadReport {
	a.mu.Lock()
	current := a.dirs
	a.mu.Unlock()
	report := newReloadReport()
	wanted := cfg.DirectionNames()
	type outcome struct {
		name string
		next *running
		err  error
	}
	results := make([]outcome, len(wanted))
	var wg sync.WaitGroup
	for i, name := range wanted {
		dc := cfg.Directions[name]
		old := current[name]
		sum, sumErr := fileSHA256(dc.Plugin)
		if old != nil && old.cfg == dc && sumErr == nil && old.sum == sum {
			results[i] = outcome{name: name, next: old}
			continue
		}
		if sumErr != nil {
			results[i] = outcome{name: name, err: fmt.Errorf("plugin %s: %w", dc.Plugin, sumErr)}
			continue
		}
		wg.Go(func() {
			next, err := a.startDirection(ctx, cfg, name, sum)
			results[i] = outcome{name: name, next: next, err: err}
		})
	}
	wg.Wait()

	next := map[string]*running{}
	failed := map[string]error{}
	var retire []*running
	for _, r := range results {
		old := current[r.name]
		switch {
		case r.err != nil:
			failed[r.name] = r.err
			report.Failed[r.name] = r.err.Error()
			a.log.Error("direction not started", "direction", r.name, "error", r.err)
			if old != nil {
				next[r.name] = old
			}
		case r.next == old:
			next[r.name] = old
			report.Unchanged = append(report.Unchanged, r.name)
		default:
			next[r.name] = r.next
			if old != nil {
				retire = append(retire, old)
				report.Replaced = append(report.Replaced, r.name)
			} else {
				report.Added = append(report.Added, r.name)
			}
			a.log.Info("direction started", "direction", r.name, "prefix", r.next.cfg.Prefix, "plugin", r.next.cfg.Plugin)
		}
	}
	for name, old := range current {
		if _, kept := next[name]; !kept {
			retire = append(retire, old)
			report.Removed = append(report.Removed, name)
		}
	}
	if err := checkRoutes(next); err != nil {
		// Nothing changes: the new processes stop, the old set stays.
		for name, r := range next {
			if current[name] != r {
				r.plugin.Close()
			}
		}
		report = newReloadReport()
		report.Failed["routes"] = err.Error()
		a.log.Error("directions not applied", "error", err)
		return report
	}
	a.mu.Lock()
	a.dirs, a.failed = next, failed
	a.mu.Unlock()
	a.server.Mount(mounted(next))
	a.retire(retire)
	sort.Strings(report.Removed)
	return report
}

// retire stops plugins that no longer serve routes, once requests already
// holding them have had the time a plugin call may take.
func (a *App) retire(old []*running) {
	if len(old) == 0 {
		return
	}
	grace := a.cfg.Plugins.CallTimeout
	go func() {
		time.Sleep(grace)
		for _, r := range old {
			r.plugin.Close()
		}
	}()
}

// mounted lists the directions' routes, in name order.
func mounted(dirs map[string]*running) []*httpapi.Mounted {
	names := make([]string, 0, len(dirs))
	for name := range dirs {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]*httpapi.Mounted, 0, len(names))
	for _, name := range names {
		out = append(out, dirs[name].mounted)
	}
	return out
}

// startDirection starts a direction's plugin, whose binary has the
// checksum sum, and compiles its manifest.
func (a *App) startDirection(ctx context.Context, cfg *config.Config, name, sum string) (*running, error) {
	dc := cfg.Directions[name]
	p, err := supervisor.Start(ctx, supervisor.Config{
		Name: name, Path: dc.Plugin, SHA256: dc.SHA256, StartTimeout: cfg.Plugins.StartTimeout,
		Logger: supervisor.NewLogger(a.logOut, name), SocketDir: a.sockets.Dir,
	})
	if err != nil {
		return nil, err
	}
	m := p.Manifest()
	if m.Name != name {
		p.Close()
		return nil, fmt.Errorf("the plugin %s declares the direction %q, not %q", dc.Plugin, m.Name, name)
	}
	dir, err := enforce.Compile(m)
	if err != nil {
		p.Close()
		return nil, err
	}
	return &running{
		cfg: dc, sum: sum, plugin: p,
		mounted: &httpapi.Mounted{Dir: dir, Prefix: dc.Prefix, Plugin: p},
	}, nil
}

// checkRoutes refuses a set of directions whose routes clash.
func checkRoutes(dirs map[string]*running) error {
	mounted := make([]*httpapi.Mounted, 0, len(dirs))
	for _, r := range dirs {
		mounted = append(mounted, r.mounted)
	}
	return httpapi.CheckRoutes(mounted)
}

// directionHealth reports each direction's plugin state; ok is false when
// any is not up.
func (a *App) directionHealth() (bool, map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ok := true
	out := map[string]any{}
	for name, d := range a.dirs {
		st := d.plugin.Status()
		if st.State != supervisor.StateUp {
			ok = false
		}
		out[name] = st
	}
	for name, err := range a.failed {
		ok = false
		if _, serving := out[name]; !serving {
			out[name] = map[string]string{"state": "failed", "error": err.Error()}
		}
	}
	return ok, out
}

// ignoredChanges lists the keys besides directions that differ: a reload
// does not apply them.
func ignoredChanges(old, next *config.Config) []string {
	var out []string
	pairs := map[string][2]any{
		"http":      {old.HTTP, next.HTTP},
		"database":  {old.Database, next.Database},
		"storage":   {old.Storage, next.Storage},
		"limits":    {old.Limits, next.Limits},
		"operator":  {old.Operator, next.Operator},
		"retention": {old.Retention, next.Retention},
		"plugins":   {old.Plugins, next.Plugins},
		"timezone":  {old.Timezone, next.Timezone},
	}
	for key, p := range pairs {
		if !reflect.DeepEqual(p[0], p[1]) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
