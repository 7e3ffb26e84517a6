//go:build !linux

package httpapi

import "net/http"

// holdSegments does nothing where TCP_CORK is not to be had; see the
// Linux version.
func holdSegments(*http.Request) (release func()) { return func() {} }
