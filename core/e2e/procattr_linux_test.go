package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// stopWithTestBinary has the kernel send a host SIGTERM when the test
// binary dies, however it dies: a `go test` timeout or a closed output
// pipe kills the binary without its cleanups, and its hosts would keep
// running and keep their ports. SIGTERM lets the host stop its plugins.
// The kernel ties the signal to the thread that started the host, and Go
// ends a thread only when a goroutine locked to it exits, which these
// tests never do.
func stopWithTestBinary() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// helperHostEnv, set, makes TestHostsStopWithTheTestBinary start a host,
// print its process id and wait to be killed.
const helperHostEnv = "E2E_HELPER_HOST"

// TestHostsStopWithTheTestBinary: a test binary killed with SIGKILL, so
// that none of its cleanups run, leaves no host running. The test runs
// itself as that binary.
func TestHostsStopWithTheTestBinary(t *testing.T) {
	if os.Getenv(helperHostEnv) != "" {
		h := startHost(t, storetest.SQLite(t), hostConfig{})
		fmt.Printf("host pid %d\n", h.PID())
		time.Sleep(time.Minute)
		t.Fatal("the test binary was not killed")
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHostsStopWithTheTestBinary$", "-test.timeout=2m")
	// The killed binary's temporary files land in this test's, which is
	// removed.
	cmd.Env = append(os.Environ(), helperHostEnv+"=1", builtBinariesEnv+"="+binDir, "TMPDIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid, ended := make(chan int, 1), make(chan struct{})
	var output strings.Builder
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "host pid ")); err == nil {
				pid <- n
				return
			}
			output.WriteString(sc.Text() + "\n")
		}
	}()
	var host int
	select {
	case host = <-pid:
	case <-ended:
		cmd.Wait()
		t.Fatalf("the test binary started no host:\n%s", output.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the test binary started no host within 30 s")
	}
	t.Cleanup(func() {
		if running(host) {
			syscall.Kill(host, syscall.SIGKILL)
		}
	})

	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(15 * time.Second); running(host); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("host %d still runs 15 s after its test binary was killed", host)
		}
	}
}

// running tells whether a process runs. One that has exited but that
// whoever adopted it has not reaped yet is a zombie and runs no more.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command's name, which is in brackets and may
	// hold anything.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}
