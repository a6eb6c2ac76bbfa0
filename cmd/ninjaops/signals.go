package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// How ninjaops ends on a signal.
//
// The first SIGINT, SIGTERM or SIGHUP cancels the command's context: a
// read of the desired state, of a plan file, of a seed or of NinjaOne stops
// at once (even one blocked on a FIFO or on a stdin that never closes), apply
// lets the calls in flight finish, and the command exits 130. A second one
// ends the process at once. A write to a stdout or stderr whose reader has
// gone (SIGPIPE: ninjaops plan -o json | head) stops the command like a
// first interrupt, and the process then dies of SIGPIPE, silently, as any
// filter does. However it ends, the run's temporary directory is removed
// first, so that no signal leaves one behind.

// ninjaopsMain is main without os.Exit, so the test binary can run it as
// the `ninjaops` command of its scripts.
func ninjaopsMain() int {
	ctx, stop := handleSignals()
	code := run(ctx, processEnv(), os.Args)
	stop()
	removeRunTemp()
	if f := brokenOutput.Load(); f != nil {
		dieOfBrokenPipe(f)
	}
	return code
}

// interrupt cancels the run's context, as a first interrupt does.
var interrupt atomic.Pointer[context.CancelFunc]

func handleSignals() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	interrupt.Store(&cancel)
	ch := make(chan os.Signal, 4)
	sigs := interruptSignals
	if sigPIPE != nil {
		// Handled, SIGPIPE no longer kills the process on a write to a
		// stdout without a reader: the write fails with EPIPE, which
		// outputFile notes. (A socket's SIGPIPE is for its write alone.)
		sigs = append(append([]os.Signal(nil), sigs...), sigPIPE)
	}
	signal.Notify(ch, sigs...)
	go func() {
		interrupted := false
		for sig := range ch {
			if sigPIPE != nil && sig == sigPIPE {
				continue
			}
			if interrupted {
				// The second interrupt: stop now, as asked, but clean up.
				removeRunTemp()
				dieOf(sig)
			}
			interrupted = true
			cancel()
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// brokenOutput is the stdout or stderr a write found without a reader
// (ninjaops plan -o json | head -1).
var brokenOutput atomic.Pointer[os.File]

// outputFile is the process's stdout or stderr: a write that fails because
// its reader has gone stops the run like a first interrupt, and the process
// then ends as a filter does, killed by SIGPIPE, without a message.
type outputFile struct{ *os.File }

func (f outputFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		brokenOutput.CompareAndSwap(nil, f.File)
		if cancel := interrupt.Load(); cancel != nil {
			(*cancel)()
		}
	}
	return n, err
}

// brokenPipe says whether the run's output has lost its reader, after
// which its errors are nobody's concern.
func brokenPipe() bool { return brokenOutput.Load() != nil }

// interruptibly runs f, which may block on something that knows nothing
// of contexts (opening a FIFO, reading a pipe or a terminal that never
// closes), and returns as soon as ctx ends. f is left running: the process
// is about to exit.
func interruptibly[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// The run's temporary directory: created on first use, removed when the
// process ends, however it ends.
var runTemp struct {
	sync.Mutex
	dir string
}

// runTempPrefix starts the name of every run's temporary directory; the
// process id follows, so that a later run can tell a directory whose
// process is gone (killed with SIGKILL, say) and remove it.
const runTempPrefix = "ninjaops-"

// useRunTemp gives this process a private temporary directory and points
// TMPDIR at it, so that everything the run puts in a temporary directory
// (the baton SDK's unpacked c1z files included) lives there and goes with
// it.
func useRunTemp() error {
	runTemp.Lock()
	defer runTemp.Unlock()
	if runTemp.dir != "" {
		return nil
	}
	base := os.TempDir()
	removeStaleRunTemps(base)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("%s%d-", runTempPrefix, os.Getpid()))
	if err != nil {
		return fmt.Errorf("creating a temporary directory: %w", err)
	}
	runTemp.dir = dir
	setTempEnv(dir)
	return nil
}

func removeRunTemp() {
	runTemp.Lock()
	defer runTemp.Unlock()
	if runTemp.dir != "" {
		_ = os.RemoveAll(runTemp.dir)
		runTemp.dir = ""
	}
}

// removeStaleRunTemps removes the temporary directories of earlier runs
// whose process no longer exists: the ones a SIGKILL, which no process
// can catch, left behind.
func removeStaleRunTemps(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, ent := range entries {
		rest, ok := strings.CutPrefix(ent.Name(), runTempPrefix)
		if !ok || !ent.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		path := filepath.Join(base, ent.Name())
		if ownedByMe(path) && !processExists(pid) {
			_ = os.RemoveAll(path)
		}
	}
}
