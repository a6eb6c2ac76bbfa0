package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ninjaops/ninjaops/internal/safefile"
)

// Persistence: the state file holds the tenant in the seed format; every
// change is first appended to the journal beside it as one JSON line, in
// one write(2), before the answer leaves. A killed sandbox therefore keeps
// every change it answered (the page cache survives the process; there is
// no fsync per change, so a power cut may lose the last ones). The journal
// is replayed and compacted into the state file on start and on Close.
//
// Journal entries are absolute (the whole user after the change; the ids
// added to or removed from a role), so replaying a journal over a state
// file that already holds it, as after a crash between writing the state
// and truncating the journal, gives the same tenant.

const (
	opPut    = "put"    // create or replace User
	opDelete = "delete" // delete user ID
	opAdd    = "add"    // add IDs to role ID
	opRemove = "remove" // remove IDs from role ID
)

type entry struct {
	Op   string  `json:"op"`
	User *User   `json:"user,omitempty"`
	ID   int32   `json:"id,omitempty"`
	IDs  []int32 `json:"ids,omitempty"`
}

// apply makes one change; entries from a replayed journal that no longer
// fit (a member who is gone) are skipped the way the store skips them.
func (s *store) apply(e entry) error {
	switch e.Op {
	case opPut:
		if e.User == nil || e.User.ID <= 0 {
			return errors.New("put without a user id")
		}
		s.putUser(*e.User)
	case opDelete:
		s.deleteUser(e.ID)
	case opAdd, opRemove:
		r := s.roles[e.ID]
		if r == nil {
			return fmt.Errorf("unknown role %d", e.ID)
		}
		if e.Op == opAdd {
			s.addMembers(r, e.IDs)
		} else {
			s.removeMembers(r, e.IDs)
		}
	default:
		return fmt.Errorf("unknown operation %q", e.Op)
	}
	return nil
}

type journal struct {
	statePath string
	path      string
	f         *os.File
	log       *slog.Logger
	// dirty says the state file lacks changes (journaled ones, or all of
	// them when it does not exist yet); compacting a clean one would
	// rewrite the same 30 MB for nothing.
	dirty bool
	// existed says the state file existed at the start; seed is the seed
	// it records (or, for a new one, will record), nil when unknown.
	existed bool
	seed    *SeedInfo
}

// JournalPath is where the journal of a state file lives.
func JournalPath(statePath string) string { return statePath + ".journal" }

// open builds the store: from the state file and its journal when the file
// exists, else from the seed; with a state file it also compacts and opens
// the journal for appending.
func open(opts Options, log *slog.Logger) (*store, *journal, error) {
	seed := &Tenant{}
	if opts.Seed != nil {
		t, err := ValidateTenant(opts.Seed)
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: seed: %w", err)
		}
		seed = t
	}
	if opts.StatePath == "" {
		return newStore(seed), nil, nil
	}
	if err := checkStatePath(opts.StatePath); err != nil {
		return nil, nil, err
	}
	// The state holds people's names and emails: its directory, state
	// file and journal are the owner's only (internal/safefile).
	if err := os.MkdirAll(filepath.Dir(opts.StatePath), 0o700); err != nil {
		return nil, nil, fmt.Errorf("sandbox: state: %w", err)
	}
	if err := safefile.Tighten(opts.StatePath); err != nil {
		return nil, nil, fmt.Errorf("sandbox: state: %w", err)
	}
	// The journal is opened (and locked) first: two sandboxes on one state
	// would truncate each other's journals.
	j := &journal{statePath: opts.StatePath, path: JournalPath(opts.StatePath), log: log}
	f, err := safefile.OpenAppend(j.path)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("sandbox: state %s is in use by another sandbox (%v)", opts.StatePath, err)
	}
	if opts.SeedDigest != "" {
		j.seed = &SeedInfo{Name: opts.SeedName, Digest: opts.SeedDigest}
	}
	st, err := j.load(seed)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("sandbox: %w", err)
	}
	if j.existed {
		if err := checkSeed(opts, j.seed); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	j.f = f
	if err := j.compact(st); err != nil {
		j.close()
		return nil, nil, fmt.Errorf("sandbox: %w", err)
	}
	return st, j, nil
}

// load reads the state file (or takes the seed when there is none yet)
// and replays the journal over it. An existing state file replaces j.seed
// with the seed it records.
func (j *journal) load(seed *Tenant) (*store, error) {
	t := seed
	switch data, err := os.ReadFile(j.statePath); {
	case errors.Is(err, fs.ErrNotExist):
		// Also when the journal holds changes: they are replayed over the
		// seed, as before the state was first written.
		j.dirty = true
	case err != nil:
		return nil, fmt.Errorf("state: %w", err)
	case len(bytes.TrimSpace(data)) == 0:
		// The sandbox never writes an empty state (a tenant without users
		// is still an object): this one was truncated, and reading it as
		// an empty tenant would lose every user without a word.
		return nil, fmt.Errorf("state %s is empty (%d bytes): it was truncated or overwritten; restore it, or delete it and %s to start again from the seed", j.statePath, len(data), j.path)
	default:
		j.existed = true
		if t, j.seed, err = parseTenant(j.statePath, data); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	st := newStore(t)
	if err := j.replay(st); err != nil {
		return nil, err
	}
	return st, nil
}

// replay applies the journal to st. A last line without its newline is a
// write torn by a crash, which was never answered: it is ignored.
func (j *journal) replay(st *store) error {
	data, err := os.ReadFile(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	n := 0
	for line := 1; len(data) > 0; line++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			j.log.Warn("sandbox: ignoring a torn last line in the journal", "journal", j.path, "line", line)
			break
		}
		text := data[:i]
		data = data[i+1:]
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(text, &e); err != nil {
			return fmt.Errorf("%s:%d: %v (move the journal away to start from the state file alone)", j.path, line, err)
		}
		if err := st.apply(e); err != nil {
			return fmt.Errorf("%s:%d: %v", j.path, line, err)
		}
		n++
	}
	if n > 0 {
		j.dirty = true
		j.log.Debug("sandbox: replayed the journal", "journal", j.path, "changes", n)
	}
	return nil
}

// append persists one change before it is answered.
func (j *journal) append(e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.dirty = true
	_, err = j.f.Write(append(b, '\n'))
	return err
}

// compact writes the whole state to the state file atomically (a temporary
// file renamed over it) and then empties the journal.
func (j *journal) compact(st *store) error {
	if !j.dirty {
		return j.truncate() // a torn line may be all there is
	}
	err := safefile.WriteWith(j.statePath, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		if err := writeTenant(w, st, j.seed); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("writing the state file %s: %w", j.statePath, err)
	}
	j.dirty = false
	return j.truncate()
}

func (j *journal) truncate() error {
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

func (j *journal) close() error {
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// ValidateTenant checks a tenant built in Go (a seed from Generate or a
// literal) the way ParseTenant checks a file, assigns missing ids and
// returns a sorted copy.
func ValidateTenant(t *Tenant) (*Tenant, error) {
	raw := rawTenant{
		Organizations: make([]rawOrganization, len(t.Organizations)),
		Roles:         make([]rawRole, len(t.Roles)),
		Users:         make([]rawUser, len(t.Users)),
	}
	for i, o := range t.Organizations {
		raw.Organizations[i] = rawOrganization(o)
	}
	for i, r := range t.Roles {
		raw.Roles[i] = rawRole(r)
	}
	for i, u := range t.Users {
		enabled := u.Enabled
		raw.Users[i] = rawUser{
			ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone,
			UserType: u.UserType, OrganizationID: u.OrganizationID, Administrator: u.Administrator,
			Enabled: &enabled, FullPortalAccess: u.FullPortalAccess, InvitationStatus: u.InvitationStatus,
			ScimUser: u.ScimUser,
		}
	}
	out, probs := build(&raw)
	if len(probs) > 0 {
		errs := make([]error, 0, len(probs))
		for i, p := range probs {
			if i == 10 {
				errs = append(errs, fmt.Errorf("... and %d more problems", len(probs)-i))
				break
			}
			errs = append(errs, errors.New(p.msg))
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}
