package tenantlock

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func holder() Holder {
	return Holder{PID: os.Getpid(), Started: time.Date(2026, 11, 28, 14, 2, 43, 0, time.UTC), Tenant: "eu.ninjarmm.com", Command: "apply plan.json"}
}

func TestSecondApplyIsRefusedWithTheHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	l, err := Acquire(dir, "apply-0123.lock", holder())
	if err != nil {
		t.Fatal(err)
	}
	if l.Previous != nil {
		t.Errorf("a fresh lock reports a previous holder: %+v", l.Previous)
	}
	_, err = Acquire(dir, "apply-0123.lock", Holder{PID: 1})
	var held *HeldError
	if !errors.As(err, &held) || held.Holder != holder() {
		t.Fatalf("second Acquire = %v, want a HeldError naming the holder", err)
	}
	for _, want := range []string{"another ninjaops apply (pid " + strconv.Itoa(os.Getpid()) + ", started 2026-11-28 14:02:43 UTC, apply plan.json)", "is applying to eu.ninjarmm.com from this machine", "wait for it to finish", filepath.Join(dir, "apply-0123.lock")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	// Another tenant's lock is another file.
	other, err := Acquire(dir, "apply-4567.lock", holder())
	if err != nil {
		t.Fatal(err)
	}
	other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir, "apply-0123.lock", holder())
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	if again.Previous != nil {
		t.Errorf("a released lock reports a previous holder: %+v", again.Previous)
	}
	again.Release()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("lock directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
}

// The helper process of TestLockOfAKilledApplyIsTakenOver: it takes the
// lock, says so, and waits to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("TENANTLOCK_HOLD"); dir != "" {
		if _, err := Acquire(dir, "apply-dead.lock", Holder{PID: os.Getpid(), Started: time.Now(), Tenant: "eu.ninjarmm.com"}); err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		select {}
	}
	os.Exit(m.Run())
}

// An apply killed with SIGKILL releases nothing itself; the kernel lets
// go of its lock, and the next apply takes it over and learns who held it.
func TestLockOfAKilledApplyIsTakenOver(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TENANTLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("helper: %q", line)
	}
	var held *HeldError
	if _, err := Acquire(dir, "apply-dead.lock", holder()); !errors.As(err, &held) || held.Holder.PID != cmd.Process.Pid {
		t.Fatalf("while the helper lives: %v, want held by pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	l, err := Acquire(dir, "apply-dead.lock", holder())
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	defer l.Release()
	if l.Previous == nil || l.Previous.PID != cmd.Process.Pid {
		t.Errorf("previous holder = %+v, want pid %d", l.Previous, cmd.Process.Pid)
	}
	// The record is now this process's.
	if h := readHolder(l.Path()); h != holder() {
		t.Errorf("record = %+v", h)
	}
}

func TestBadLockPlaces(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	if _, err := Acquire(filepath.Join(notDir, "locks"), "apply-1.lock", holder()); err == nil || !strings.Contains(err.Error(), "the apply lock directory") {
		t.Errorf("lock dir under a file: %v", err)
	}
	if runtime.GOOS != "windows" {
		if err := syscall.Mkfifo(filepath.Join(dir, "apply-2.lock"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Acquire(dir, "apply-2.lock", holder()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a named pipe as the lock: %v", err)
		}
	}
	for _, name := range []string{"", "../x", ".hidden", `a\b`} {
		if _, err := Acquire(dir, name, holder()); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}
