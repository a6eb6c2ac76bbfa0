package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// writeFileAtomic replaces regular files atomically but must write to a
// device or pipe in place: renaming over /dev/null would replace it.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()

	t.Run("new file", func(t *testing.T) {
		p := filepath.Join(dir, "new.yaml")
		if err := writeFileAtomic(p, []byte("one\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p, "one\n", 0o644)
	})

	t.Run("existing file keeps its mode", func(t *testing.T) {
		p := filepath.Join(dir, "old.yaml")
		if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := writeFileAtomic(p, []byte("new\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p, "new\n", 0o600)
	})

	t.Run("symlink is followed", func(t *testing.T) {
		target := filepath.Join(dir, "target.yaml")
		link := filepath.Join(dir, "link.yaml")
		if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Skip("no symlinks here:", err)
		}
		if err := writeFileAtomic(link, []byte("new\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
		}
		checkFile(t, target, "new\n", 0o644)
	})

	t.Run("pipe is written in place", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no named pipes")
		}
		p := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skip("no mkfifo:", err)
		}
		got := make(chan string)
		go func() {
			f, err := os.Open(p)
			if err != nil {
				got <- err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- string(b)
		}()
		if err := writeFileAtomic(p, []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if s := <-got; s != "data\n" {
			t.Errorf("the reader got %q", s)
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("the pipe was replaced: %v %v", fi.Mode(), err)
		}
	})
}

func checkFile(t *testing.T, path, want string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}
