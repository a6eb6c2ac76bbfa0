package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Run("new file is 0600", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "new.json")
		if err := Write(p, []byte("one\n")); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p, "one\n", 0o600)
	})

	t.Run("existing file is tightened, never left readable by others", func(t *testing.T) {
		for _, tt := range []struct{ before, after fs.FileMode }{
			{0o644, 0o600}, {0o666, 0o600}, {0o640, 0o600}, {0o600, 0o600}, {0o400, 0o400},
		} {
			p := filepath.Join(t.TempDir(), "old.json")
			if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.before); err != nil {
				t.Fatal(err)
			}
			if err := Write(p, []byte("new\n")); err != nil {
				t.Fatal(err)
			}
			checkFile(t, p, "new\n", tt.after)
		}
	})

	t.Run("a symbolic link is followed and kept", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target.json")
		link := filepath.Join(dir, "link.json")
		if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Skip("no symlinks here:", err)
		}
		if err := Write(link, []byte("new\n")); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
		}
		checkFile(t, target, "new\n", 0o600)
	})

	t.Run("a link that leads nowhere is refused, not replaced", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink(filepath.Join(dir, "missing", "x.json"), link); err != nil {
			t.Skip("no symlinks here:", err)
		}
		err := Write(link, []byte("new\n"))
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("err = %v, want a refusal naming the link", err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
		}
	})

	t.Run("a failed fill leaves the old file and no temporary file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "keep.json")
		if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := WriteWith(p, func(w io.Writer) error {
			io.WriteString(w, "half")
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		checkFile(t, p, "old\n", 0o600)
	})
}

// Anything but a regular file or nothing is refused before a byte is
// written, and left as it was: a device node is never replaced by a file
// (as /dev/full once was), a pipe never fed.
func TestNotRegularIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no device nodes or named pipes")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	linkToFifo := filepath.Join(dir, "fifo-link")
	if err := os.Symlink(fifo, linkToFifo); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{fifo, "is a named pipe, not a regular file"},
		{sub, "is a directory, not a regular file"},
		{linkToFifo, "leads to " + fifo + ", which is a named pipe"},
	}
	// A device node of its own, never the system's: were the refusal to
	// break, a test run as root would replace /dev/null.
	if dev, ok := mknodNull(t, dir); ok {
		cases = append(cases, struct{ path, want string }{dev, "is a character device, not a regular file"})
	}
	for _, tt := range cases {
		before, err := os.Lstat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		for name, write := range map[string]func() error{
			"Check":      func() error { return Check(tt.path) },
			"Write":      func() error { return Write(tt.path, []byte("x")) },
			"OpenAppend": func() error { f, err := OpenAppend(tt.path); f.Close(); return err },
		} {
			err := write()
			var nr *NotRegularError
			if !errors.As(err, &nr) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s(%s) = %v, want %q", name, tt.path, err, tt.want)
			}
		}
		after, err := os.Lstat(tt.path)
		if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s was changed: %v -> %v (%v)", tt.path, before.Mode(), after.Mode(), err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.json")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{file, ""},
		{filepath.Join(dir, "new.json"), ""},
		{filepath.Join(dir, "nodir", "new.json"), "cannot write " + filepath.Join(dir, "nodir", "new.json") + ": no such file or directory"},
		{filepath.Join(file, "x.json"), "not a directory"},
	} {
		err := Check(tt.path)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Check(%s) = %v, want %q", tt.path, err, tt.want)
		}
	}
}

// mknodNull makes a character device like /dev/null in dir, where the
// system allows it (as root); ok is false elsewhere.
func mknodNull(t *testing.T, dir string) (string, bool) {
	p := filepath.Join(dir, "null")
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o600, 1<<8|3); err != nil {
		t.Logf("no device node test: %v", err)
		return "", false
	}
	return p, true
}

func TestOpenAppend(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json.journal")
	f, err := OpenAppend(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("one\n")
	f.Close()
	checkFile(t, p, "one\n", 0o600)

	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if f, err = OpenAppend(p); err != nil {
		t.Fatal(err)
	}
	f.WriteString("two\n")
	f.Close()
	checkFile(t, p, "one\ntwo\n", 0o600)
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(a, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "l.yaml")
	if err := os.Symlink(a, link); err != nil {
		t.Skip(err)
	}
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{a, a, true},
		{a, filepath.Join(dir, ".", "a.yaml"), true},
		{a, link, true},
		{a, filepath.Join(dir, "missing.yaml"), false},
		{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "missing.yaml"), false},
	} {
		if got := Same(tt.a, tt.b); got != tt.want {
			t.Errorf("Same(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
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
