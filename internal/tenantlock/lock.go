// Package tenantlock keeps two ninjaops applies on one machine from
// working on the same NinjaOne tenant at once. NinjaOne has no lock to
// take, and two applies of one file would each create every new user.
//
// A lock is a file per tenant in a directory of the user's (the name is a
// digest of the tenant, never a secret), held with an advisory lock for as
// long as the process lives: the kernel lets go of it when the holder
// exits or is killed, so a lock left by a dead apply is taken over
// without guessing from pids. The file records who holds it (pid, start
// time, tenant host, command), which is what a second apply reports.
package tenantlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ninjaops/ninjaops/internal/safefile"
)

// Holder is who holds a lock.
type Holder struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	// Tenant names the tenant for a person: its host, never a secret.
	Tenant  string `json:"tenant"`
	Command string `json:"command,omitempty"`
}

// HeldError says the lock is held by another live process.
type HeldError struct {
	Path   string
	Holder Holder // zero when the holder's record could not be read
}

func (e *HeldError) Error() string {
	h := e.Holder
	who := "another ninjaops apply"
	if h.PID != 0 {
		who = fmt.Sprintf("another ninjaops apply (pid %d, started %s", h.PID, h.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
		if h.Command != "" {
			who += ", " + h.Command
		}
		who += ")"
	}
	tenant := "this tenant"
	if h.Tenant != "" {
		tenant = h.Tenant
	}
	return fmt.Sprintf("%s is applying to %s from this machine; wait for it to finish, then run apply again (two applies at once would both create the same new users; lock %s)", who, tenant, e.Path)
}

// Lock is a held lock; Release lets go of it.
type Lock struct {
	f    *os.File
	path string
	// Previous is the record a holder that ended without releasing left
	// (killed, or crashed): the lock was taken over from it.
	Previous *Holder
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Acquire takes the lock name in dir for h, at once or not at all: a lock
// held by a live process is a *HeldError naming the holder.
func Acquire(dir, name string, h Holder) (*Lock, error) {
	if strings.ContainsAny(name, `/\`) || name == "" || name[0] == '.' {
		return nil, fmt.Errorf("tenantlock: bad lock name %q", name)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("the apply lock directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	f, err := safefile.OpenAppend(path)
	if err != nil {
		return nil, fmt.Errorf("the apply lock: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if !errors.Is(err, errHeld) {
			return nil, fmt.Errorf("the apply lock %s: %w", path, err)
		}
		return nil, &HeldError{Path: path, Holder: readHolder(path)}
	}
	l := &Lock{f: f, path: path}
	// Held now, so nobody else is writing the record: read it once, with
	// no wait for one to appear (an empty record is the common case).
	var prev Holder
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &prev) == nil && prev.PID != 0 {
		l.Previous = &prev
	}
	b, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, err = f.Write(append(b, '\n'))
	}
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("the apply lock %s: %w", path, err)
	}
	return l, nil
}

// readHolder reads the record of a lock another process holds. A holder
// writes it just after taking the lock, so an empty one is given a moment
// to appear.
func readHolder(path string) Holder {
	var h Holder
	for try := 0; try < 5; try++ {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 && json.Unmarshal(b, &h) == nil {
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Holder{}
}

// Release empties the record and lets go of the lock. The file stays:
// removing it would let a process that opened it just before lock a file
// no longer at the path while another locks a new one.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Truncate(0)
	if cerr := unlock(l.f); err == nil {
		err = cerr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
