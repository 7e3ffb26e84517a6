package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDownloadLeavesInFullSegments: the host holds a download's headers
// until the package's bytes join them, as nginx does with tcp_nopush, so
// a package that fits in one TCP segment arrives in one. Without the
// hold, net/http sends the headers and the first 512 bytes ahead and the
// rest after, and the client wakes twice. The client counts the segments
// with data its socket received (TCP_INFO); loopback's segments hold
// 64 KiB.
func TestDownloadLeavesInFullSegments(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		body := lkBytes(41, 16<<10)
		d := lkDeliverFNS(t, h, "", "gpr", fnsName("9965", fnsSubscriber(), "07_01_01"), body)

		conn := dialHost(t, h)
		if status, got := conn.get(t, lkURL(d.Link), ""); status != http.StatusOK || !slices.Equal(got, body) {
			t.Fatalf("GET %s: status %d, %d bytes; want 200 and the package's %d", d.Link, status, len(got), len(body))
		}

		raw, err := conn.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var info *unix.TCPInfo
		var infoErr error
		if err := raw.Control(func(fd uintptr) {
			info, infoErr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		}); err != nil || infoErr != nil {
			t.Fatalf("TCP_INFO: %v %v", err, infoErr)
		}
		if info.Data_segs_in != 1 {
			t.Errorf("the download of %d bytes arrived in %d segments, want 1: its headers left ahead of its bytes", len(body), info.Data_segs_in)
		}
	})
}

// TestDownloadsFollowEachOtherOnOneConnection: downloads longer than the
// head the host sends corked, whole and in a range that ends before the
// file does, each send exactly their own bytes, so the next response on
// the same connection reads as it should.
func TestDownloadsFollowEachOtherOnOneConnection(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		body := lkBytes(43, 300<<10)
		d := lkDeliverFNS(t, h, "", "gpr", fnsName("9965", fnsSubscriber(), "07_01_01"), body)

		conn := dialHost(t, h)
		for _, r := range []struct {
			rangeHeader string
			want        []byte
		}{
			{"", body},
			{"bytes=1000-200000", body[1000:200001]},
			{"", body},
		} {
			if status, got := conn.get(t, lkURL(d.Link), r.rangeHeader); !slices.Equal(got, r.want) {
				t.Fatalf("GET (Range %q): status %d, %d bytes; want the %d asked for", r.rangeHeader, status, len(got), len(r.want))
			}
		}
	})
}

// rawConn is a connection of its own to a host, for tests that watch
// what one connection carries.
type rawConn struct {
	*net.TCPConn
	responses *bufio.Reader
}

func dialHost(t *testing.T, h *Host) rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return rawConn{conn.(*net.TCPConn), bufio.NewReader(conn)}
}

// get sends a GET of path, with a Range header unless rangeHeader is
// empty, and reads its response whole.
func (c rawConn) get(t *testing.T, path, rangeHeader string) (status int, body []byte) {
	t.Helper()
	request := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: reportgate\r\n", path)
	if rangeHeader != "" {
		request += "Range: " + rangeHeader + "\r\n"
	}
	if _, err := io.WriteString(c, request+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.responses, nil)
	if err != nil {
		t.Fatalf("GET %s (Range %q): %v", path, rangeHeader, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s (Range %q): %v", path, rangeHeader, err)
	}
	return resp.StatusCode, body
}
