//go:build !linux

package e2e

import "syscall"

// stopWithTestBinary asks for nothing where the kernel cannot stop a
// child with its parent; see the Linux version.
func stopWithTestBinary() *syscall.SysProcAttr { return nil }
