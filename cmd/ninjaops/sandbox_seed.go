package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// flagSandboxSeed is the tenant the --sandbox state is first built from.
const flagSandboxSeed = "sandbox-seed"

// builtinSeedName names the quickstart seed built into the binary, in the
// serve banner and in the state files built from it: a path alone would
// read as a file of the current directory, which it need not be.
const builtinSeedName = "the quickstart tenant built into ninjaops (" + quickstart.SeedName + ")"

// builtinSeed is the quickstart tenant, as built into the binary.
func builtinSeed() (*sandbox.Tenant, sandbox.SeedInfo, error) {
	t, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	return t, sandbox.SeedInfo{Name: builtinSeedName, Digest: sandbox.SeedDigest(quickstart.SandboxSeed)}, err
}

// seedLabel says where a tenant came from, for the serve banner.
func seedLabel(s sandbox.SeedInfo) string {
	if s.Name == builtinSeedName {
		return s.Name
	}
	return "seed " + s.Name
}

// sandboxSetup is what --sandbox starts: the state file, and the seed a
// new one is built from.
type sandboxSetup struct {
	state string
	seed  *sandbox.Tenant
	info  sandbox.SeedInfo
	// explicit says the seed was named (--sandbox-seed): a state built
	// from another one is then refused rather than served.
	explicit bool
}

// seedStateDir holds the default states of the seeds given with
// --sandbox-seed, each in a file of its own, so that trying one example
// never reads or changes another's tenant.
const seedStateDir = ".ninjaops"

// seedStatePath is the default state of a --sandbox-seed: named by the
// seed's content, so that an edited seed starts from its new content.
func seedStatePath(info sandbox.SeedInfo) string {
	digest := strings.TrimPrefix(info.Digest, "sha256:")
	return filepath.Join(seedStateDir, "sandbox-"+digest[:16]+".json")
}

// resolveSandbox reads the --sandbox flags: --sandbox-seed (read and
// checked here, before any state is made) and the state it implies.
func resolveSandbox(c *cli.Context) (sandboxSetup, error) {
	var s sandboxSetup
	var err error
	if path := c.String(flagSandboxSeed); path != "" {
		s.explicit = true
		if s.seed, s.info, err = loadSeed(c, path); err != nil {
			return s, fmt.Errorf("--%s: %w", flagSandboxSeed, err)
		}
	} else if s.seed, s.info, err = builtinSeed(); err != nil {
		return s, err
	}
	s.state, err = stateFor(c, func() (string, error) { return s.info.Digest, nil })
	return s, err
}

// sandboxStatePath is the state file --sandbox uses, as resolveSandbox
// chooses it, without parsing the seed: for the tenant a plan is made for.
func sandboxStatePath(c *cli.Context) (string, error) {
	return stateFor(c, func() (string, error) {
		data, err := interruptibly(c.Context, func() ([]byte, error) { return os.ReadFile(c.String(flagSandboxSeed)) })
		if err != nil {
			return "", fmt.Errorf("--%s: %w", flagSandboxSeed, err)
		}
		return sandbox.SeedDigest(data), nil
	})
}

// stateFor is the one rule for the state of --sandbox: --sandbox-state
// when given; else, with --sandbox-seed, a state of the seed's own, named
// by its digest; else the default.
func stateFor(c *cli.Context, digest func() (string, error)) (string, error) {
	if c.String(flagSandboxSeed) == "" || c.IsSet(flagSandboxState) {
		return c.String(flagSandboxState), nil
	}
	d, err := digest()
	if err != nil {
		return "", err
	}
	return seedStatePath(sandbox.SeedInfo{Digest: d}), nil
}

// loadSeed reads a seed file; an interrupt ends a read that blocks (a
// FIFO).
func loadSeed(c *cli.Context, path string) (*sandbox.Tenant, sandbox.SeedInfo, error) {
	type seed struct {
		t    *sandbox.Tenant
		info sandbox.SeedInfo
	}
	r, err := interruptibly(c.Context, func() (seed, error) {
		t, info, err := sandbox.LoadSeed(path)
		return seed{t, info}, err
	})
	return r.t, r.info, err
}

// sandboxError adds to an error of the sandbox's state what to do about
// it, in the flags of the command: seedFlag and stateFlag name the seed
// and the state (--sandbox-seed and --sandbox-state, or serve's --seed and
// --state).
func sandboxError(err error, seedFlag, stateFlag string) error {
	var mismatch *sandbox.SeedMismatchError
	switch {
	case errors.Is(err, sandbox.ErrStateYAML) && seedFlag == flagSandboxSeed:
		return fmt.Errorf("%w; to start from a tenant in YAML, give it with --%s (its state is then a file of its own)", err, seedFlag)
	case errors.Is(err, sandbox.ErrStateYAML):
		return fmt.Errorf("%w; to start from a tenant in YAML, give it with --%s, and --%s a FILE.json of its own", err, seedFlag, stateFlag)
	case errors.As(err, &mismatch):
		return fmt.Errorf("%w: to start over from %s, delete %s and %s; to keep that tenant, give another --%s FILE for this seed",
			err, mismatch.Want.Name, mismatch.State, sandbox.JournalPath(mismatch.State), stateFlag)
	}
	return err
}

// checkSandboxFlags refuses --sandbox-seed without --sandbox: the command
// would otherwise talk to the tenant of the environment, which the seed
// says nothing about.
func checkSandboxFlags(c *cli.Context) error {
	if c.String(flagSandboxSeed) != "" && !c.Bool(flagSandbox) {
		return fmt.Errorf("--%s needs --%s: the seed is the built-in sandbox's first tenant", flagSandboxSeed, flagSandbox)
	}
	return nil
}
