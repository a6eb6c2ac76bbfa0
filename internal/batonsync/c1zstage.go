package batonsync

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ninjaops/ninjaops/internal/safefile"
)

// stageC1Z prepares a sync into file without letting the SDK write file
// itself: the SDK renames its result over whatever is at the path (a
// device node or a pipe included) and leaves it readable by everyone,
// while a c1z holds every user's name and email. The SDK writes into a
// private directory instead, seeded with a copy of the existing file (a
// sync resumes from it, and keeps its earlier syncs), and install puts the
// result in place through internal/safefile. done removes the staging.
func (s *Server) stageC1Z(file string) (staged string, install func() error, done func(), err error) {
	if err := safefile.Check(file); err != nil {
		return "", nil, nil, err
	}
	dir, err := os.MkdirTemp(s.tmpDir, "stage-") // 0700, even in a shared TmpDir
	if err != nil {
		return "", nil, nil, err
	}
	done = func() { os.RemoveAll(dir) }
	staged = filepath.Join(dir, filepath.Base(file))
	if err := copyFile(staged, file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		done()
		return "", nil, nil, fmt.Errorf("reading %s to continue from it: %w", file, err)
	}
	install = func() error {
		f, err := os.Open(staged)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the SDK wrote nothing: nothing to install
		}
		if err != nil {
			return err
		}
		defer f.Close()
		return safefile.WriteWith(file, func(w io.Writer) error {
			_, err := io.Copy(w, f)
			return err
		})
	}
	return staged, install, done, nil
}

// copyFile copies src, when it exists, to a new file dst of mode 0600.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, safefile.Perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
