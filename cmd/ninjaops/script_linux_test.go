//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// Script commands for FIFOs and signals (Linux: they read /proc).
var platformCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"mkfifo":   cmdMkfifo,
	"holdopen": cmdHoldOpen,
	"signal":   cmdSignal,
}

// mkfifo NAME makes a FIFO.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo NAME")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o600))
}

// holdopen FIFO [TEXT] opens FIFO for writing, which waits for a reader,
// writes TEXT and waits until the reader has read it all: by then the
// reader is running and blocked on its next read, which never ends, for the
// FIFO stays open until the script ends. It sets $READER to the process
// id of the reader.
func cmdHoldOpen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: holdopen FIFO [TEXT]")
	}
	path := ts.MkAbs(args[0])
	opened := make(chan *os.File, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			ts.Logf("holdopen: %v", err)
			f = nil
		}
		opened <- f
	}()
	var f *os.File
	select {
	case f = <-opened:
	case <-time.After(60 * time.Second):
		ts.Fatalf("holdopen: nothing opened %s for reading", args[0])
	}
	if f == nil {
		ts.Fatalf("holdopen: could not open %s", args[0])
	}
	ts.Defer(func() { f.Close() })
	if len(args) == 2 {
		_, err := f.WriteString(args[1] + "\n")
		ts.Check(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCINQ)
		ts.Check(err)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("holdopen: the reader of %s did not read (%d bytes left)", args[0], n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid := fifoReader(path); pid != 0 {
		ts.Setenv("READER", strconv.Itoa(pid))
	}
}

// fifoReader finds the process, other than this one, that has path open.
func fifoReader(path string) int {
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == path {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			if pid != os.Getpid() {
				return pid
			}
		}
	}
	return 0
}

// signal SIG PID sends SIG (INT, TERM, HUP) to the process PID.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal INT|TERM|HUP PID")
	}
	sig, ok := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[args[0]]
	if !ok {
		ts.Fatalf("signal: unknown signal %s", args[0])
	}
	pid, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(syscall.Kill(pid, sig))
}
