package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// blockingReader is a stdin that never delivers anything; entered is
// closed once a read is waiting on it.
type blockingReader struct{ entered chan struct{} }

func (r blockingReader) Read([]byte) (int, error) {
	close(r.entered)
	select {}
}

// An interrupt ends a read of the desired state that would block forever:
// exit 130, nothing changed.
func TestInterruptStopsABlockedRead(t *testing.T) {
	for _, cmd := range [][]string{{"validate", "-f", "-"}, {"plan", "-f", "-", "--sandbox", "--sandbox-state", filepath.Join(t.TempDir(), "s.json")}} {
		stdin := blockingReader{make(chan struct{})}
		var out, errb bytes.Buffer
		e := &env{stdin: stdin, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- run(ctx, e, append([]string{"ninjaops"}, cmd...)) }()
		<-stdin.entered
		cancel()
		if code := <-done; code != exitInterrupted || errb.String() != "Error: interrupted; nothing was changed\n" || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 130 and interrupted", cmd, code, out.String(), errb.String())
		}
	}
}

// A run's temporary directory that a SIGKILL left behind is removed by the
// next run; those of live processes, and anything else, stay.
func TestRemoveStaleRunTemps(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process ids to check on windows")
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Join(p, "c1z123"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(fmt.Sprintf("ninjaops-%d-123", gone.Process.Pid))
	mine := mk(fmt.Sprintf("ninjaops-%d-456", os.Getpid()))
	parent := mk(fmt.Sprintf("ninjaops-%d-789", os.Getppid()))
	other := mk("ninjaops-baton-42")
	notOurs := mk("something-else")
	removeStaleRunTemps(base)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s: %v; want it removed", stale, err)
	}
	for _, p := range []string{mine, parent, other, notOurs} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v; want it kept", p, err)
		}
	}
}

func TestInterruptibly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := interruptibly(ctx, func() (int, error) { select {} }); err != context.Canceled {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	if v, err := interruptibly(context.Background(), func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("done: %v, %v", v, err)
	}
}
