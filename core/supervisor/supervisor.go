// Package supervisor runs direction plugins as child processes through
// go-plugin, and keeps them running. go-plugin starts a process once and
// only lets its exit be polled; the supervisor notices a dead plugin and
// starts a new client with backoff, while the host keeps answering the
// direction's requests that need no plugin.
package supervisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/reportgate/reportgate/sdk"
)

// ErrUnavailable is a plugin that is not running right now.
var ErrUnavailable = errors.New("plugin unavailable")

// Config is one plugin to run.
type Config struct {
	// Name is the direction's name, used in logs.
	Name string
	// Path is the plugin binary.
	Path string
	// SHA256 pins the binary's checksum when set (lower-case hex).
	SHA256 string
	// StartTimeout bounds the start and the handshake.
	StartTimeout time.Duration
	// Logger receives the supervisor's and the plugin's log lines.
	Logger hclog.Logger
	// SocketDir is where the plugin makes its Unix socket (see Sockets);
	// empty, the temporary directory.
	SocketDir string
}

// State is a plugin's health.
type State string

const (
	// StateUp is a running plugin.
	StateUp State = "up"
	// StateRestarting is a plugin that died and is being started again.
	StateRestarting State = "restarting"
	// StateStopped is a plugin that was shut down.
	StateStopped State = "stopped"
	// StateStale is a plugin whose binary, started again, declared another
	// manifest than the one its routes were built from. It stays down until
	// a reload mounts the new manifest.
	StateStale State = "stale"
)

// Plugin is a supervised plugin process.
type Plugin struct {
	cfg      Config
	manifest sdk.Manifest

	mu       sync.Mutex
	client   *goplugin.Client
	dir      sdk.Direction
	state    State
	restarts int
	lastErr  error
	// nextStart is when the next restart is due, while restarting.
	nextStart time.Time

	stop chan struct{}
	done chan struct{}
}

// Start launches a plugin, performs the handshake, reads its manifest, and
// from then on restarts it whenever it dies.
func Start(ctx context.Context, cfg Config) (*Plugin, error) {
	client, dir, err := launch(cfg)
	if err != nil {
		return nil, err
	}
	m, err := dir.Manifest(ctx)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("plugin %s: read manifest: %w", cfg.Name, err)
	}
	p := &Plugin{
		cfg: cfg, manifest: m, client: client, dir: dir, state: StateUp,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go p.watch()
	return p, nil
}

// launch starts the process and dispenses the direction.
func launch(cfg Config) (*goplugin.Client, sdk.Direction, error) {
	cmd := exec.Command(cfg.Path)
	// The child gets SIGKILL when the host dies, however it dies; the
	// SDK's Serve also exits once it is re-parented.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cc := &goplugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake(),
		VersionedPlugins: sdk.VersionedPlugins(nil),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           cfg.Logger,
		AutoMTLS:         true,
		StartTimeout:     cfg.StartTimeout,
	}
	if cfg.SocketDir != "" {
		// Made again if something removed it since the host started.
		if err := os.MkdirAll(cfg.SocketDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("plugin %s: socket folder: %w", cfg.Name, err)
		}
		// UnixSocketConfig.TempDir is honoured only with a RunnerFunc; the
		// plugin's server reads this variable whatever runs it.
		cmd.Env = append(cmd.Env, goplugin.EnvUnixSocketDir+"="+cfg.SocketDir)
	}
	if cfg.SHA256 != "" {
		sum, err := hex.DecodeString(cfg.SHA256)
		if err != nil {
			return nil, nil, fmt.Errorf("plugin %s: sha256: %w", cfg.Name, err)
		}
		cc.SecureConfig = &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	client := goplugin.NewClient(cc)
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("plugin %s (%s): start and handshake (this host speaks plugin protocol %d): %w",
			cfg.Name, cfg.Path, sdk.ProtocolVersion, err)
	}
	raw, err := rpc.Dispense(sdk.PluginKey)
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("plugin %s: dispense: %w", cfg.Name, err)
	}
	dir, ok := raw.(sdk.Direction)
	if !ok {
		client.Kill()
		return nil, nil, fmt.Errorf("plugin %s: dispensed %T, not a direction", cfg.Name, raw)
	}
	return client, dir, nil
}

// Manifest is the manifest the plugin declared at its first start.
func (p *Plugin) Manifest() sdk.Manifest { return p.manifest }

// Direction returns the running plugin, or ErrUnavailable while it is
// restarting.
func (p *Plugin) Direction() (sdk.Direction, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateUp || p.client.Exited() {
		return nil, ErrUnavailable
	}
	return p.dir, nil
}

// RetryAfter is how long until the plugin is expected to serve again:
// until its next restart is due, and a second for the start itself.
func (p *Plugin) RetryAfter() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(time.Until(p.nextStart), 0) + time.Second
}

// Status is a plugin's health for /readyz.
type Status struct {
	State    State  `json:"state"`
	Restarts int    `json:"restarts"`
	Error    string `json:"error,omitempty"`
}

// Status reports the plugin's health.
func (p *Plugin) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{State: p.state, Restarts: p.restarts}
	if p.lastErr != nil {
		s.Error = p.lastErr.Error()
	}
	return s
}

// pollInterval is how often the supervisor looks at the process:
// go-plugin offers no exit notification, only Exited.
const pollInterval = 50 * time.Millisecond

// Backoff bounds between restarts of a plugin that keeps dying.
const (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 10 * time.Second
)

func (p *Plugin) watch() {
	defer close(p.done)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	backoff := firstBackoff
	for {
		select {
		case <-p.stop:
			return
		case <-ticker.C:
		}
		p.mu.Lock()
		exited := p.client.Exited()
		if exited {
			p.state, p.nextStart = StateRestarting, time.Now()
		}
		dead := p.client
		p.mu.Unlock()
		if !exited {
			continue
		}
		removeSocket(dead)
		p.cfg.Logger.Warn("plugin exited; restarting", "backoff", backoff)
		client, dir, err := launch(p.cfg)
		if err == nil {
			if stale := p.checkManifest(dir); stale != nil {
				client.Kill()
				p.mu.Lock()
				p.client, p.state, p.lastErr = client, StateStale, stale
				p.mu.Unlock()
				p.cfg.Logger.Error("plugin not restarted", "error", stale)
				return
			}
		}
		p.mu.Lock()
		p.restarts++
		p.lastErr = err
		if err == nil {
			p.client, p.dir, p.state = client, dir, StateUp
		}
		p.mu.Unlock()
		if err == nil {
			p.cfg.Logger.Info("plugin restarted")
			backoff = firstBackoff
			continue
		}
		p.cfg.Logger.Error("plugin restart failed", "error", err)
		p.mu.Lock()
		p.nextStart = time.Now().Add(backoff)
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// checkManifest refuses a restarted plugin that declares another manifest
// than the first start: the host's routes and checks were built from that
// one.
func (p *Plugin) checkManifest(dir sdk.Direction) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.StartTimeout)
	defer cancel()
	m, err := dir.Manifest(ctx)
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	if !reflect.DeepEqual(m, p.manifest) {
		return errors.New("the plugin binary now declares another manifest; reload the configuration to apply it")
	}
	return nil
}

// Close stops supervising and kills the process.
func (p *Plugin) Close() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = StateStopped
	p.client.Kill()
	removeSocket(p.client)
}

// removeSocket deletes the Unix socket a plugin that has exited listened
// on. go-plugin's server removes it when it shuts down cleanly, but a
// plugin that crashed or was killed leaves it in the temporary directory,
// one more file with every restart of a plugin that keeps dying.
func removeSocket(exited *goplugin.Client) {
	rc := exited.ReattachConfig()
	if rc == nil || rc.Addr == nil || rc.Addr.Network() != "unix" {
		return
	}
	if addr, ok := rc.Addr.(*net.UnixAddr); ok {
		// Best effort: the file is gone already after a clean shutdown.
		_ = os.Remove(addr.Name)
	}
}

// NewLogger returns the logger for a plugin's client. go-plugin relays
// each line the plugin logs through it, so the plugin's lines appear in
// the host's log named plugin.<name>.
func NewLogger(w io.Writer, name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "plugin." + name,
		Level:  hclog.Info,
		Output: w,
	})
}

// Inspect starts a plugin only to read its manifest, and stops it.
func Inspect(ctx context.Context, cfg Config) (m sdk.Manifest, err error) {
	if cfg.SocketDir == "" {
		// A plugin refused at the handshake is killed, and cannot remove
		// its socket: a folder of the inspection's own takes it away.
		if cfg.SocketDir, err = os.MkdirTemp("", "reportgate-inspect-*"); err != nil {
			return sdk.Manifest{}, fmt.Errorf("make the plugin socket folder: %w", err)
		}
		defer os.RemoveAll(cfg.SocketDir)
	}
	client, dir, err := launch(cfg)
	if err != nil {
		return sdk.Manifest{}, err
	}
	defer client.Kill()
	m, err = dir.Manifest(ctx)
	if err != nil {
		return sdk.Manifest{}, fmt.Errorf("plugin %s: read manifest: %w", cfg.Name, err)
	}
	return m, nil
}
