//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

var (
	interruptSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
	sigPIPE          = os.Signal(syscall.SIGPIPE)
)

// dieOf ends the process by sig, so that its parent sees it killed by
// the signal, as it would have been without a handler.
func dieOf(sig os.Signal) {
	signal.Reset(sig)
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(os.Getpid(), s)
		time.Sleep(time.Second)
		os.Exit(128 + int(s))
	}
	os.Exit(exitInterrupted)
}

// dieOfBrokenPipe ends the process the way Go ends one that writes to a
// stdout or stderr without a reader and does not handle SIGPIPE: with the
// handler reset, one more such write kills it by SIGPIPE.
func dieOfBrokenPipe(f *os.File) {
	signal.Reset(syscall.SIGPIPE)
	_, _ = f.Write([]byte{'\n'})
	os.Exit(128 + int(syscall.SIGPIPE))
}

func setTempEnv(dir string) { _ = os.Setenv("TMPDIR", dir) }

func ownedByMe(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// processExists says whether a process pid exists (EPERM: it does, as
// another user's).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
