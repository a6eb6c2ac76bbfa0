package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Where a tenant comes from: the seed a state file was built from, and the
// files that are not tenants at all but are easily given as one.

// SeedInfo names the seed a state file was built from. A state file
// records it (its "seed" key) when the caller says which seed it is
// (Options.SeedName and Options.SeedDigest).
type SeedInfo struct {
	// Name is the seed as the caller named it: a path, or a description
	// of a seed built into the program.
	Name string `json:"name" yaml:"name"`
	// Digest identifies the seed's content, e.g. "sha256:<hex>".
	Digest string `json:"digest" yaml:"digest"`
}

// Origin says where the tenant a server serves came from.
type Origin struct {
	// State is the state file, or "" for a tenant in memory.
	State string
	// Existed says the state file existed: the tenant is the state's, and
	// the seed was not used.
	Existed bool
	// Seed is the seed the tenant was built from: the one recorded in an
	// existing state file (nil when it records none), else Options'.
	Seed *SeedInfo
}

// ErrStateYAML is the error for a state file that holds YAML, or whose
// name says it would: the sandbox rewrites its state file as JSON, which
// would destroy a YAML file (a seed given as the state by mistake), so it
// refuses one before anything is read or written.
var ErrStateYAML = errors.New("the sandbox keeps its state as JSON and rewrites it as it runs, so it never uses a YAML file for it (this one is left as it is)")

// SeedMismatchError is the error for a state file built from another seed
// than the one the caller insists on (Options.CheckSeed).
type SeedMismatchError struct {
	State string
	Want  SeedInfo
	Have  *SeedInfo // nil: the state records no seed
}

func (e *SeedMismatchError) Error() string {
	if e.Have == nil {
		return fmt.Sprintf("sandbox: state %s does not say which seed it was built from, so it may not be %s", e.State, e.Want.Name)
	}
	if e.Have.Name == e.Want.Name {
		return fmt.Sprintf("sandbox: state %s was built from an earlier content of %s, which has changed since", e.State, e.Want.Name)
	}
	return fmt.Sprintf("sandbox: state %s was built from %s, not from %s", e.State, e.Have.Name, e.Want.Name)
}

// NotTenantError is the error for a file that is plainly another of
// ninjaops' files, not a tenant: a desired-state file, a saved plan or an
// apply report given as a seed or a state.
type NotTenantError struct {
	Name string
	What string // "a desired-state file (ninjaops.yaml)", ...
	Hint string // "" or what to give instead
}

func (e *NotTenantError) Error() string {
	msg := fmt.Sprintf("%s is %s, not a sandbox tenant: a tenant lists organizations, roles and users in NinjaOne's field names, as examples/quickstart/sandbox.yaml does", e.Name, e.What)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// desiredStateFile is NotTenantError.What for a desired-state file.
const desiredStateFile = "a desired-state file (ninjaops.yaml)"

// otherFormat says which other ninjaops file data is, from its top-level
// keys, or "" when it may be a tenant. It runs only once data has failed
// to decode as a tenant, so its second parse costs nothing otherwise.
func otherFormat(data []byte) string {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	keys := map[string]bool{}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys[m.Content[i].Value] = true
	}
	if keys["organizations"] || keys["roles"] && !keys["version"] {
		return ""
	}
	switch {
	case keys["format_version"] && keys["plan"]:
		return "a saved plan (ninjaops plan --out)"
	case keys["format_version"] && keys["outcome"]:
		return "an apply report (ninjaops apply --report)"
	case keys["version"] || keys["settings"]:
		return desiredStateFile
	}
	return ""
}

// seedBeside is the hint for a desired-state file given as a seed: the
// examples keep their tenant beside it, as sandbox.yaml.
func seedBeside(path string) string {
	beside := filepath.Join(filepath.Dir(path), "sandbox.yaml")
	if filepath.Clean(path) == beside {
		return ""
	}
	if st, err := os.Stat(beside); err == nil && st.Mode().IsRegular() {
		return "the tenant beside it is " + beside
	}
	return ""
}

// checkStatePath refuses a state file that holds YAML or is named as a
// YAML file, before anything (the journal beside it included) is made.
func checkStatePath(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return fmt.Errorf("sandbox: state %s is named as a YAML file: %w", path, ErrStateYAML)
	}
	// Only a regular file is read here: a named pipe would block, and
	// open refuses anything else with its own error.
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil // load reports it
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(head[:n], " \t\r\n")
	if len(head) > 0 && head[0] != '{' {
		return fmt.Errorf("sandbox: state %s holds YAML, not JSON: %w", path, ErrStateYAML)
	}
	return nil
}

// checkSeed refuses an existing state built from another seed than want,
// when the caller insists on want.
func checkSeed(opts Options, have *SeedInfo) error {
	if !opts.CheckSeed || opts.SeedDigest == "" {
		return nil
	}
	if have != nil && have.Digest == opts.SeedDigest {
		return nil
	}
	return &SeedMismatchError{State: opts.StatePath, Want: SeedInfo{Name: opts.SeedName, Digest: opts.SeedDigest}, Have: have}
}

// SeedDigest identifies a seed by its bytes, for Options.SeedDigest.
func SeedDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// LoadSeed reads a seed file as LoadTenant does, and says which seed it
// is, for Options.SeedName and Options.SeedDigest.
func LoadSeed(path string) (*Tenant, SeedInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, SeedInfo{}, err
	}
	t, err := ParseTenant(path, data)
	var nt *NotTenantError
	if errors.As(err, &nt) && nt.What == desiredStateFile && nt.Hint == "" {
		nt.Hint = seedBeside(path)
	}
	if err != nil {
		return nil, SeedInfo{}, err
	}
	return t, SeedInfo{Name: path, Digest: SeedDigest(data)}, nil
}
