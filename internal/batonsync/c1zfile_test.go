package batonsync

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The c1z holds every user's name and email: it is written 0600 (an
// existing file tightened), through the one writer, which refuses
// anything but a regular file before the sync starts. The SDK alone would
// rename its result over a device node (it once replaced /dev/full).
func TestSyncFileIsSafe(t *testing.T) {
	env := startSandbox(t, handTenant(), false)
	s := sandboxServer(t, env.client, Config{ValidateWithSnapshot: true})
	ctx := context.Background()
	dir := t.TempDir()

	path := filepath.Join(dir, "sync.c1z")
	if _, err := s.Sync(ctx, SyncOptions{File: path}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, path, 0o600)
	first := readC1Z(t, path)

	// Again onto the file, loosened by hand: tightened, and still a c1z
	// with the same contents (the earlier sync was carried over).
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, SyncOptions{File: path}); err != nil {
		t.Fatal(err)
	}
	wantMode(t, path, 0o600)
	if got := readC1Z(t, path); len(got.Users) != len(first.Users) || len(got.Grants) != len(first.Grants) {
		t.Errorf("second sync holds %d users, %d grants; the first %d, %d", len(got.Users), len(got.Grants), len(first.Users), len(first.Grants))
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left beside the c1z: %v", m)
	}

	fifo := filepath.Join(dir, "fifo.c1z")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	bads := []string{fifo}
	// A device node of its own, never the system's: were the refusal to
	// break, a test run as root would replace /dev/null.
	if err := syscall.Mknod(filepath.Join(dir, "null.c1z"), syscall.S_IFCHR|0o600, 1<<8|3); err == nil {
		bads = append(bads, filepath.Join(dir, "null.c1z"))
	}
	for _, bad := range bads {
		before, _ := os.Lstat(bad)
		env.resetStats(t)
		_, err := s.Sync(ctx, SyncOptions{File: bad})
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("sync to %s: err = %v, want it refused", bad, err)
		}
		if after, err := os.Lstat(bad); err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s was replaced: %v -> %v", bad, before.Mode(), after.Mode())
		}
		if st := env.stats(t); st.Total != 0 {
			t.Errorf("sync to %s read NinjaOne before refusing (%d requests)", bad, st.Total)
		}
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
	}
}
