//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tenantlock

import (
	"errors"
	"os"
	"syscall"
)

var errHeld = errors.New("held by another process")

// lock takes an exclusive flock(2) on f without waiting; the kernel
// releases it when the process ends, however it ends.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errHeld
	}
	return err
}

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
