package httpapi

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHeldDownloadUncorksAfterItsHead: a held connection sends a file's
// first corkedHeadBytes corked and the rest uncorked, every byte arriving
// in order, as net/http hands it a download (its first 512 bytes
// written, the rest to ReadFrom, as much as the response's length or
// range asks for). A file no longer than the head stays corked until the
// download releases it.
func TestHeldDownloadUncorksAfterItsHead(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size        int
		corkedAfter bool
	}{
		{"1 MiB", 1 << 20, false},
		{"as long as the head", 512 + corkedHeadBytes, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The file goes on past what is asked for, as it does for a
			// range that ends before the file does.
			content := make([]byte, tc.size+1000)
			for i := range content {
				content[i] = byte(i * 7 / 3)
			}
			path := filepath.Join(t.TempDir(), "package")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			file, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()

			server, received := connectedPair(t)
			server.hold()
			first := make([]byte, 512)
			if _, err := io.ReadFull(file, first); err != nil {
				t.Fatal(err)
			}
			if _, err := server.Write(first); err != nil {
				t.Fatal(err)
			}
			n, err := server.ReadFrom(&io.LimitedReader{R: file, N: int64(tc.size - 512)})
			if err != nil || n != int64(tc.size-512) {
				t.Fatalf("ReadFrom: %d bytes, %v; want %d", n, err, tc.size-512)
			}
			if corked := corkOf(t, server); corked != tc.corkedAfter {
				t.Errorf("after the file's bytes the connection is corked: %v, want %v", corked, tc.corkedAfter)
			}
			server.release()
			if corkOf(t, server) {
				t.Error("the connection is corked after the download released it")
			}
			server.Close()
			if got := <-received; !bytes.Equal(got, content[:tc.size]) {
				t.Errorf("the client received %d bytes that are not the file's first %d", len(got), tc.size)
			}
		})
	}
}

// connectedPair is a loopback connection as Listener accepts it, and what
// its client reads until the server closes it.
func connectedPair(t *testing.T) (*segmentConn, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	received := make(chan []byte, 1)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer client.Close()
		b, _ := io.ReadAll(client)
		received <- b
	}()
	c, err := Listener(ln).Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*segmentConn), received
}

func corkOf(t *testing.T, c *segmentConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var value int
	var optErr error
	if err := raw.Control(func(fd uintptr) {
		value, optErr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK)
	}); err != nil || optErr != nil {
		t.Fatalf("TCP_CORK: %v %v", err, optErr)
	}
	return value != 0
}
