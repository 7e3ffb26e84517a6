// Package app wires the host together: the store, the blob store, the
// plugins and the HTTP server, from a loaded configuration, and swaps the
// set of directions when the configuration is reloaded.
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
	"github.com/reportgate/reportgate/core/httpapi"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/core/supervisor"
)

// Loader reads the configuration again, for a reload.
type Loader func() (*config.Config, error)

// App is a running host.
type App struct {
	cfg    *config.Config
	load   Loader
	log    *slog.Logger
	logOut io.Writer
	store  *store.Store
	blobs  *blob.Local
	server *httpapi.Server
	// sockets holds the plugins' Unix sockets.
	sockets *supervisor.Sockets

	// reloading serialises reloads, which start plugins and may take a
	// while; mu guards the directions only while they are read or swapped,
	// so /readyz never waits for a plugin to start.
	reloading sync.Mutex
	mu        sync.Mutex
	dirs      map[string]*running
	failed    map[string]error
}

// Open prepares everything the host serves from: it migrates the
// database, finishes or undoes the uploads a crash interrupted, and starts
// the plugins.
// A plugin that fails to start is logged and reported by /readyz; the
// other directions are served.
func Open(ctx context.Context, cfg *config.Config, load Loader, logOut io.Writer) (*App, error) {
	a := &App{
		cfg: cfg, load: load, logOut: logOut,
		log:  slog.New(slog.NewTextHandler(logOut, nil)),
		dirs: map[string]*running{}, failed: map[string]error{},
	}
	st, err := store.Open(ctx, cfg.Database.URL, cfg.Database.StoreOptions()...)
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
	if err := a.recoverBlobs(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if a.sockets, err = supervisor.OpenSockets(); err != nil {
		a.Close()
		return nil, err
	}
	links, err := store.NewLinkCache(st, cfg.Links.CacheEntries, a.blobs)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.server = httpapi.New(httpapi.Options{
		Store: st, Links: links, KeptLists: httpapi.NewKeptLists(cfg.Lists.CacheBytes), Blobs: a.blobs, Location: cfg.Location,
		MaxPackageBytes: cfg.Limits.MaxPackageBytes, OperatorTokens: cfg.Operator.Tokens,
		CallTimeout: cfg.Plugins.CallTimeout, Logger: a.log, Ready: a.ready,
		Reload: func(ctx context.Context) (any, error) { return a.Reload(ctx) },
	}, nil)
	a.reloading.Lock()
	defer a.reloading.Unlock()
	a.applyDirections(ctx, cfg)
	return a, nil
}

// ready reports the store's and the plugins' health.
func (a *App) ready(ctx context.Context) (bool, any) {
	ok, directions := a.directionHealth()
	dbState := "up"
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.store.DB().PingContext(pingCtx); err != nil {
		ok, dbState = false, "down"
	}
	return ok, map[string]any{"database": dbState, "directions": directions}
}

// Serve answers HTTP on the configured address until ctx ends, then lets
// in-flight requests finish.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTP.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.server,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       httpapi.ConnContext,
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.purgeLoop(bgCtx)
	a.log.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(httpapi.Listener(ln)) }()
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
	a.reloading.Lock()
	defer a.reloading.Unlock()
	a.mu.Lock()
	dirs := a.dirs
	a.dirs = map[string]*running{}
	a.mu.Unlock()
	for _, d := range dirs {
		d.plugin.Close()
	}
	if a.sockets != nil {
		if err := a.sockets.Close(); err != nil {
			a.log.Warn("stop", "error", err)
		}
	}
	if a.store != nil {
		a.store.Close()
	}
}
