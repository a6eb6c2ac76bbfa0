//go:build !unix

package main

import (
	"os"
	"syscall"
)

var (
	interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
	sigPIPE          os.Signal
)

func dieOf(os.Signal)          { os.Exit(exitInterrupted) }
func dieOfBrokenPipe(*os.File) { os.Exit(exitError) }

func setTempEnv(dir string) {
	for _, k := range []string{"TMP", "TEMP", "TMPDIR"} {
		_ = os.Setenv(k, dir)
	}
}

// On these systems a stale directory is not told from a live one.
func ownedByMe(string) bool  { return false }
func processExists(int) bool { return true }
