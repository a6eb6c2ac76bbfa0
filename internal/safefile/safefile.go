// Package safefile is the one way ninjaops writes files: plan files,
// apply reports, exports, baton c1z files, and the sandbox's state and
// journal. Every one of them holds people's names and emails, so each is
// created readable by its owner only (0600), and an existing file is
// tightened to that, never left readable by others. Only a regular file,
// or a path where nothing exists yet, is ever written: a device, a pipe, a
// socket or a directory is refused before anything is written, so a
// mistyped path can never replace /dev/full or feed a FIFO. A whole file
// is replaced atomically (a temporary file in the same directory, synced
// and renamed over it), so a reader, or a crash, never sees half of it.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Perm is the mode of every file ninjaops creates.
const Perm fs.FileMode = 0o600

// NotRegularError refuses a path that exists and is not a regular file.
type NotRegularError struct {
	Path string
	// Target is where a symbolic link at Path leads, when it does.
	Target string
	Mode   fs.FileMode
}

func (e *NotRegularError) Error() string {
	what := kind(e.Mode)
	if e.Target != "" && e.Target != e.Path {
		return fmt.Sprintf("%s leads to %s, which is %s, not a regular file; ninjaops writes only regular files: name another file", e.Path, e.Target, what)
	}
	return fmt.Sprintf("%s is %s, not a regular file; ninjaops writes only regular files: name another file", e.Path, what)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// resolve finds the file a write to path lands on: path itself, or where
// a symbolic link at path leads. fi is nil when nothing exists there yet.
// A link that leads nowhere is refused rather than replaced by a file: it
// was made on purpose, and the user would lose it silently.
func resolve(path string) (target string, fi fs.FileInfo, err error) {
	lfi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	target = path
	if lfi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			dest, _ := os.Readlink(path)
			return "", nil, fmt.Errorf("%s is a symbolic link to %s, which cannot be followed (%v); ninjaops does not replace the link: create the file it leads to, or name another file", path, dest, unwrapPath(err))
		}
		target = real
		if lfi, err = os.Stat(real); err != nil {
			return "", nil, err
		}
	}
	if !lfi.Mode().IsRegular() {
		return "", nil, &NotRegularError{Path: path, Target: target, Mode: lfi.Mode()}
	}
	return target, lfi, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Check reports whether path may be written: nothing is there yet, or a
// regular file is (a symbolic link is followed), in a directory that
// exists. Commands call it before
// they start work whose result is to be written, so that a bad output
// path fails before anything else happens.
func Check(path string) error {
	target, _, err := resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	return nil
}

// Write replaces the file at path with data; see WriteWith.
func Write(path string, data []byte) error {
	return WriteWith(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith replaces the file at path with what fill writes. fill writes
// to a temporary file beside the target; only when it succeeds is the file
// synced and renamed over the target, so on any error the old file is
// left as it was and no temporary file remains. The result has mode 0600,
// or the existing file's mode with every bit beyond 0600 removed.
func WriteWith(path string, fill func(io.Writer) error) (err error) {
	target, fi, err := resolve(path)
	if err != nil {
		return err
	}
	mode := Perm
	if fi != nil {
		mode = fi.Mode().Perm() & Perm
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600 already; Chmod covers a tightened
	// mode such as 0400, before any content is written.
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, target); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the platform allows it; a failure
// only weakens durability after a power cut, so it is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// OpenAppend opens the file at path for reading and appending, creating
// it with mode 0600 or tightening an existing one to at most that. It is
// for journals, which grow a line at a time instead of being replaced.
func OpenAppend(path string) (*os.File, error) {
	target, _, err := resolve(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(target, os.O_RDWR|os.O_APPEND|os.O_CREATE, Perm)
	if err != nil {
		return nil, err
	}
	// Checked again on the open file: what was checked by name may have
	// been swapped since.
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &NotRegularError{Path: path, Target: target, Mode: fi.Mode()}
	}
	if err == nil && fi.Mode().Perm()&^Perm != 0 {
		err = f.Chmod(fi.Mode().Perm() & Perm)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Tighten makes an existing file at path readable by its owner only
// (every bit beyond 0600 removed), for a file that is kept rather than
// rewritten; nothing there is not an error.
func Tighten(path string) error {
	_, fi, err := resolve(path)
	if err != nil || fi == nil {
		return err
	}
	if fi.Mode().Perm()&^Perm == 0 {
		return nil
	}
	return os.Chmod(path, fi.Mode().Perm()&Perm)
}

// Same reports whether a and b name one existing file (through links,
// or two spellings of one path).
func Same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}
