package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
)

// corkedHeadBytes is how much of a file a download sends corked, with its
// headers: 64 KiB, a segment of loopback's, the largest segment any of
// the host's interfaces sends, so that the headers leave in a full
// segment with the file's first bytes whatever the interface.
const corkedHeadBytes = 64 << 10

// Listener wraps ln so that a download can hold its connection's
// segments (holdSegments). Connections other than TCP pass as they are.
func Listener(ln net.Listener) net.Listener { return segmentListener{ln} }

type segmentListener struct{ net.Listener }

func (l segmentListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &segmentConn{TCPConn: tc}, nil
	}
	return c, err
}

// segmentConn is a TCP connection whose sending a download can cork
// (TCP_CORK): until it is uncorked the kernel sends only full segments.
// net/http writes a file's headers, with its first 512 bytes, before it
// hands the rest to sendfile (ReadFrom), and it sets TCP_NODELAY, so
// uncorked the headers leave as a small segment of their own and the
// client wakes once more for every download. nginx corks the same way
// (tcp_nopush).
//
// The cork comes off once the file's first corkedHeadBytes are sent
// rather than when the response ends: on one of the benchmark's machines
// a 1 MiB download corked to its end cost the host 0.27–0.38 ms of CPU,
// against 0.19–0.31 ms with only its head corked, and the head-only cork
// served 1.3–1.6 times the downloads at c=8 and c=32 (hand runs, the
// hosts taking turns; bench/report/findings.md, change 22).
type segmentConn struct {
	*net.TCPConn
	// corked is touched only by the goroutine serving the connection's
	// request: net/http serves an HTTP/1 connection's requests one at a
	// time, and calls ReadFrom from the handler's goroutine.
	corked bool
}

// hold corks the connection; a connection that refuses is served as it
// is.
func (c *segmentConn) hold() {
	c.corked = setCork(c.TCPConn, true) == nil
}

// release uncorks the connection, pushing out whatever the cork held. An
// uncork that fails does so on a connection already closed; a live one
// would at worst send its last segment 200 ms late, when the kernel's
// cork expires.
func (c *segmentConn) release() {
	if c.corked {
		c.corked = false
		_ = setCork(c.TCPConn, false)
	}
}

// ReadFrom sends a held download's first corkedHeadBytes corked, behind
// its headers, and the rest uncorked. net/http hands it the file as an
// io.LimitedReader, and the file's own reader stays under each part, so
// each goes by sendfile as the whole did.
func (c *segmentConn) ReadFrom(r io.Reader) (int64, error) {
	body, ok := r.(*io.LimitedReader)
	if !c.corked || !ok || body.N <= corkedHeadBytes {
		return c.TCPConn.ReadFrom(r)
	}
	head := &io.LimitedReader{R: body.R, N: corkedHeadBytes}
	n, err := c.TCPConn.ReadFrom(head)
	body.N -= n
	if err != nil || head.N > 0 {
		return n, err
	}
	c.release()
	rest, err := c.TCPConn.ReadFrom(body)
	return n + rest, err
}

// connKey holds, in a connection's context, the connection itself.
type connKey struct{}

// ConnContext is the host's http.Server.ConnContext. It keeps the
// connection Listener accepted in the context its requests inherit, so
// that a download can hold its headers until the file's first bytes join
// them (holdSegments). net/http offers a handler no other way to its
// connection; what is kept is the connection's own, as net/http keeps
// its local address there, not a dependency to look up.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if sc, ok := c.(*segmentConn); ok {
		return context.WithValue(ctx, connKey{}, sc)
	}
	return ctx
}

// holdSegments corks r's connection until release is called, or until
// the first corkedHeadBytes of a file are sent (segmentConn.ReadFrom).
// A connection Listener did not accept is served as it is.
func holdSegments(r *http.Request) (release func()) {
	c, _ := r.Context().Value(connKey{}).(*segmentConn)
	if c == nil {
		return func() {}
	}
	c.hold()
	return c.release
}
