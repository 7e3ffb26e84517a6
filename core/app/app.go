// Package app wires the host together: the store, the blob store, the
// plugins and the HTTP server, from a loaded configuration.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/config"
	"github.com/reportgate/reportgate/core/direction"
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/supervisor"
)

// App is a running host.
type App struct {
	cfg     *config.Config
	log     *slog.Logger
	logOut  io.Writer
	store   *store.Store
	blobs   *blob.Local
	plugins map[string]*supervisor.Plugin
	failed  map[string]error
	server  *httpapi.Server
	started time.Time
}

// Open prepares everything the host serves from: it migrates the
// database, clears temporary files a crash left, and starts the plugins.
// A plugin that fails to start is logged and reported by /readyz; the
// other directions are served.
func Open(ctx context.Context, cfg *config.Config, logOut io.Writer) (*App, error) {
	a := &App{
		cfg: cfg, logOut: logOut, started: time.Now(),
		log:     slog.New(slog.NewTextHandler(logOut, nil)),
		plugins: map[string]*supervisor.Plugin{}, failed: map[string]error{},
	}
	st, err := store.Open(ctx, cfg.Database.URL)
	if err != nil {
		return nil, err
	}
	a.store = st
	applied, err := st.Migrate(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}
	if len(applied) > 0 {
		a.log.Info("database migrated", "versions", applied)
	}
	if a.blobs, err = blob.NewLocal(cfg.Storage.Dir); err != nil {
		a.Close()
		return nil, err
	}
	removed, err := a.blobs.RemoveTemporary()
	if err != nil {
		a.Close()
		return nil, err
	}
	if removed > 0 {
		a.log.Warn("removed temporary files of interrupted uploads", "count", removed)
	}
	mounted := a.startDirections(ctx)
	a.server = httpapi.New(httpapi.Options{
		Store: st, Blobs: a.blobs, Location: cfg.Location,
		MaxPackageBytes: cfg.Limits.MaxPackageBytes, OperatorTokens: cfg.Operator.Tokens,
		CallTimeout: cfg.Plugins.CallTimeout, Logger: a.log, Ready: a.ready,
	}, mounted)
	return a, nil
}

// startDirections starts every enabled direction's plugin, in parallel,
// and compiles its manifest.
func (a *App) startDirections(ctx context.Context) []*httpapi.Mounted {
	names := a.cfg.DirectionNames()
	results := make([]*httpapi.Mounted, len(names))
	errs := make([]error, len(names))
	plugins := make([]*supervisor.Plugin, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			results[i], plugins[i], errs[i] = a.startDirection(ctx, name)
		})
	}
	wg.Wait()
	var mounted []*httpapi.Mounted
	for i, name := range names {
		if errs[i] != nil {
			a.failed[name] = errs[i]
			a.log.Error("direction not started", "direction", name, "error", errs[i])
			continue
		}
		a.plugins[name] = plugins[i]
		mounted = append(mounted, results[i])
		a.log.Info("direction started", "direction", name, "prefix", results[i].Prefix, "plugin", a.cfg.Directions[name].Plugin)
	}
	return mounted
}

func (a *App) startDirection(ctx context.Context, name string) (*httpapi.Mounted, *supervisor.Plugin, error) {
	dc := a.cfg.Directions[name]
	p, err := supervisor.Start(ctx, supervisor.Config{
		Name: name, Path: dc.Plugin, SHA256: dc.SHA256, StartTimeout: a.cfg.Plugins.StartTimeout,
		Logger: supervisor.NewLogger(a.logOut, name),
	})
	if err != nil {
		return nil, nil, err
	}
	m := p.Manifest()
	if m.Name != name {
		p.Close()
		return nil, nil, fmt.Errorf("the plugin %s declares the direction %q, not %q", dc.Plugin, m.Name, name)
	}
	dir, err := direction.Compile(m)
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	return &httpapi.Mounted{Dir: dir, Prefix: dc.Prefix, Plugin: p}, p, nil
}

// ready reports the store's and the plugins' health.
func (a *App) ready(ctx context.Context) (bool, any) {
	ok := true
	directions := map[string]any{}
	for name, p := range a.plugins {
		st := p.Status()
		if st.State != supervisor.StateUp {
			ok = false
		}
		directions[name] = st
	}
	for name, err := range a.failed {
		ok = false
		directions[name] = map[string]string{"state": "failed", "error": err.Error()}
	}
	dbState := "up"
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.store.DB().PingContext(pingCtx); err != nil {
		ok, dbState = false, "down"
	}
	return ok, map[string]any{"database": dbState, "directions": directions}
}

// Serve answers HTTP on the configured address until ctx ends, then lets
// in-flight requests finish. ready, when not nil, receives the address
// once the listener is open.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTP.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.server,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.sweepOrphans(bgCtx)
	go a.purgeLoop(bgCtx)
	a.log.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// Close stops the plugins and closes the store.
func (a *App) Close() {
	for _, p := range a.plugins {
		p.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
}
