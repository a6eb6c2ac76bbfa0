package sandbox_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// The state holds names and emails: its directory, file and journal are
// the owner's only, an existing state is tightened, and a state that is
// not a regular file or is empty (truncated) is refused rather than read
// as an empty tenant.
func TestStateFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "new", "state.json")
	a, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mode(t, filepath.Dir(state), 0o700)
	mode(t, state, 0o600)
	mode(t, sandbox.JournalPath(state), 0o600)

	// Loosened by hand: tightened on the next start, change or not.
	for _, p := range []string{state, sandbox.JournalPath(state)} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := sandbox.New(sandbox.Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	mode(t, state, 0o600)
	mode(t, sandbox.JournalPath(state), 0o600)

	for _, content := range []string{"", " \n\t\n"} {
		empty := filepath.Join(t.TempDir(), "state.json")
		if err := os.WriteFile(empty, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: empty})
		if err == nil || !strings.Contains(err.Error(), "state "+empty+" is empty") || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("state %q: err = %v, want it refused as truncated", content, err)
		}
	}

	if runtime.GOOS != "windows" {
		fifo := filepath.Join(t.TempDir(), "state.json")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: fifo})
		if err == nil || !strings.Contains(err.Error(), "is a named pipe, not a regular file") {
			t.Errorf("a named pipe as the state: err = %v", err)
		}
		if _, err := os.Stat(sandbox.JournalPath(fifo)); err == nil {
			t.Error("a journal was created beside a refused state")
		}
	}
}

func mode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
	}
}
