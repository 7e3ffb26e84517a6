package httpapi

import (
	"context"
	"net"
	"net/http"
	"syscall"
)

// socketKey holds, in a connection's context, its socket's raw handle.
type socketKey struct{}

// ConnContext is the host's http.Server.ConnContext. It keeps the
// connection's socket in the context its requests inherit, so that a
// download can hold its headers until the file's first bytes join them
// (holdSegments). net/http offers a handler no other way to its
// connection's socket; what is kept is the connection's own handle, as
// net/http keeps its local address there, not a dependency to look up.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ctx
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, socketKey{}, raw)
}

// socketOf is the raw socket ConnContext kept for r's connection, or nil.
func socketOf(r *http.Request) syscall.RawConn {
	raw, _ := r.Context().Value(socketKey{}).(syscall.RawConn)
	return raw
}
