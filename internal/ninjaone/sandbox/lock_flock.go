//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sandbox

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f for as long as it is
// open, failing at once if another process (or another Server) holds it.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
