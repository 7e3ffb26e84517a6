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

		conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: reportgate\r\n\r\n", lkURL(d.Link)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !slices.Equal(got, body) {
			t.Fatalf("GET %s: status %d, %d bytes (%v); want 200 and the package's %d", d.Link, resp.StatusCode, len(got), err, len(body))
		}

		raw, err := conn.(*net.TCPConn).SyscallConn()
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

		conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		responses := bufio.NewReader(conn)
		for _, r := range []struct {
			rangeHeader string
			want        []byte
		}{
			{"", body},
			{"bytes=1000-200000", body[1000:200001]},
			{"", body},
		} {
			request := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: reportgate\r\n", lkURL(d.Link))
			if r.rangeHeader != "" {
				request += "Range: " + r.rangeHeader + "\r\n"
			}
			if _, err := io.WriteString(conn, request+"\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(responses, nil)
			if err != nil {
				t.Fatalf("GET (Range %q): %v", r.rangeHeader, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !slices.Equal(got, r.want) {
				t.Fatalf("GET (Range %q): status %d, %d bytes (%v); want the %d asked for", r.rangeHeader, resp.StatusCode, len(got), err, len(r.want))
			}
		}
	})
}
