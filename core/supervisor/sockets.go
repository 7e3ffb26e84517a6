package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// socketDirPrefix names a host's folder of plugin sockets, in the
// temporary directory; the host's pid follows it, then a dash and random
// digits.
const socketDirPrefix = "reportgate-plugins-"

// Sockets is a host process's folder for its plugins' Unix sockets.
// go-plugin's server removes its socket when it shuts down cleanly, and
// the supervisor removes the socket of a plugin that died alone; but
// plugins killed with their host (Pdeathsig) leave theirs. Keeping them
// in a folder named after the host's pid lets the next host to start
// remove the folders of hosts that no longer run.
type Sockets struct {
	// Dir is the folder, for Config.SocketDir.
	Dir string
}

// OpenSockets removes the socket folders of hosts that no longer run and
// makes this process's own.
func OpenSockets() (*Sockets, error) {
	base := os.TempDir()
	if err := removeDeadHostsSockets(base); err != nil {
		return nil, err
	}
	// Random after the pid: two hosts in one process get a folder each. A
	// dead host's folder that bears this process's pid is left to the next
	// host of another pid.
	dir, err := os.MkdirTemp(base, socketDirPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("make the plugin socket folder: %w", err)
	}
	return &Sockets{Dir: dir}, nil
}

// Close removes the folder; call it once the plugins have stopped.
func (s *Sockets) Close() error {
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("remove the plugin socket folder: %w", err)
	}
	return nil
}

func removeDeadHostsSockets(base string) error {
	dirs, err := filepath.Glob(filepath.Join(base, socketDirPrefix+"*"))
	if err != nil {
		return fmt.Errorf("find stale plugin sockets: %w", err)
	}
	for _, dir := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), socketDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 {
			continue
		}
		// Signal 0 checks only that the process exists; EPERM is a live
		// process of another user.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue
		}
		// Another user's folder cannot be removed, and is not this host's
		// concern: its own host cleans it.
		_ = os.RemoveAll(dir)
	}
	return nil
}
