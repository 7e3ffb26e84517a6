//go:build !linux

package httpapi

import (
	"errors"
	"net"
)

// setCork refuses where TCP_CORK is not to be had: downloads are served
// uncorked.
func setCork(*net.TCPConn, bool) error { return errors.ErrUnsupported }
