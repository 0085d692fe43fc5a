//go:build unix

package outfile

import (
	"errors"
	"syscall"
)

// alive reports whether process pid exists (on this host).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// writable reports whether this process may write path.
func writable(path string) bool {
	const wOK = 2
	return syscall.Access(path, wOK) == nil
}
