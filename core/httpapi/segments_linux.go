package httpapi

import (
	"net/http"
	"syscall"

	"golang.org/x/sys/unix"
)

// holdSegments corks r's connection (TCP_CORK) until release is called:
// until then the kernel sends only full segments. net/http writes a
// file's headers, with its first 512 bytes, before it hands the rest to
// sendfile, and it sets TCP_NODELAY, so uncorked the headers leave as a
// small segment of their own and the client wakes once more for every
// download. nginx corks the same way (tcp_nopush). On the benchmark's
// download of one link at c=32 the cork gained 6 to 13 % of throughput,
// old and new hosts taking turns. Release pushes out whatever is left.
// A connection that is not TCP, or that refuses the option, is served as
// it is.
func holdSegments(r *http.Request) (release func()) {
	raw := socketOf(r)
	if raw == nil || setCork(raw, 1) != nil {
		return func() {}
	}
	// An uncork that fails does so on a connection already closed; a
	// live one would at worst send its last segment 200 ms late, when
	// the kernel's cork expires.
	return func() { _ = setCork(raw, 0) }
}

func setCork(raw syscall.RawConn, on int) error {
	var optErr error
	if err := raw.Control(func(fd uintptr) {
		optErr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, on)
	}); err != nil {
		return err
	}
	return optErr
}
