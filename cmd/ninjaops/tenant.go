package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/tenantlock"
)

// tenant identifies the NinjaOne tenant a command works on without being
// a secret. NinjaOne's regional hosts serve many tenants and the API
// offers no tenant id, so a tenant is told by its host and the API client
// it is reached with: key is a digest of the two (of the state file for
// the built-in sandbox). A plan records it, and apply refuses a plan made
// for another; the apply lock is keyed by it.
type tenant struct {
	host    string // "eu.ninjarmm.com", or "sandbox"
	key     string // 16 hex digits
	sandbox bool
}

// target is how a plan file records the tenant: the host for a person,
// and the key.
func (t tenant) target() string {
	if t.sandbox {
		return "sandbox state:" + t.key
	}
	return t.host + " client:" + t.key
}

// tenantOf reads the tenant from the connection settings, with the same
// errors connect gives for missing or bad ones.
func tenantOf(c *cli.Context, e *env) (tenant, error) {
	if err := checkSandboxFlags(c); err != nil {
		return tenant{}, err
	}
	if c.Bool(flagSandbox) {
		state, err := sandboxStatePath(c)
		if err != nil {
			return tenant{}, err
		}
		abs, err := filepath.Abs(state)
		if err != nil {
			return tenant{}, err
		}
		return tenant{host: "sandbox", key: tenantDigest("sandbox", abs), sandbox: true}, nil
	}
	cfg, err := connectionConfig(c, e)
	if err != nil {
		return tenant{}, err
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" {
		return tenant{}, fmt.Errorf("base URL %q has no host", cfg.BaseURL)
	}
	host := strings.ToLower(u.Host)
	return tenant{host: host, key: tenantDigest(host, cfg.ClientID)}, nil
}

// tenantDigest is the first 64 bits of a SHA-256 of the parts: enough to
// tell one user's tenants apart, and no way back to the client id.
func tenantDigest(parts ...string) string {
	h := sha256.New()
	h.Write([]byte("ninjaops tenant v1"))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// checkTarget refuses a saved plan made for another tenant than t. A
// target of an older ninjaops (the host alone) cannot tell two tenants on
// one host apart, so it is refused too.
func checkTarget(planFile, saved string, t tenant) error {
	want := t.target()
	switch {
	case saved == want:
		return nil
	case saved == "":
		return fmt.Errorf("%s records no tenant; make a new plan with ninjaops plan --out against this tenant", planFile)
	case !strings.Contains(saved, " "):
		return fmt.Errorf("%s records only the host %s (it was made by an older ninjaops), which does not tell the tenants of one host apart; make a new plan with ninjaops plan --out", planFile, saved)
	}
	host, _, _ := strings.Cut(saved, " ")
	if host != t.host {
		return fmt.Errorf("%s was made for %s, but this apply talks to %s; make a new plan against this tenant", planFile, host, t.host)
	}
	if t.sandbox {
		return fmt.Errorf("%s was made for the built-in sandbox with another --%s (%s), but this apply uses %s; give the --%s or --%s the plan was made with, or make a new plan against this one", planFile, flagSandboxState, saved, want, flagSandboxSeed, flagSandboxState)
	}
	return fmt.Errorf("%s was made for another tenant or API client on %s (%s), but this apply uses %s; a plan is bound to the client id it was made with (a plan-only job can use the same one with --scope monitoring): make a new plan against this tenant", planFile, host, saved, want)
}

// envLockDir overrides where the apply locks live.
const envLockDir = "NINJAOPS_LOCK_DIR"

// lockApply takes the apply lock of t on this machine, or says who holds
// it. The built-in sandbox needs none: its state file is locked by the
// sandbox itself, so a second apply --sandbox on it cannot even start.
func lockApply(c *cli.Context, e *env, t tenant) (*tenantlock.Lock, error) {
	if t.sandbox {
		return nil, nil
	}
	dir := e.getenv(envLockDir)
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no directory for the apply lock (%v): set %s to a directory of your own", err, envLockDir)
		}
		dir = filepath.Join(cache, "ninjaops", "locks")
	}
	cmd := "apply"
	if c.Args().Present() {
		cmd += " " + c.Args().First()
	} else {
		cmd += " -f " + c.String("file")
	}
	l, err := tenantlock.Acquire(dir, "apply-"+t.key+".lock", tenantlock.Holder{
		PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second), Tenant: t.host, Command: cmd})
	var held *tenantlock.HeldError
	if err != nil && !errors.As(err, &held) {
		err = fmt.Errorf("%w (set %s to choose another directory)", err, envLockDir)
	}
	if err != nil {
		return nil, err
	}
	if p := l.Previous; p != nil {
		fmt.Fprintf(e.stderr, "Note: an earlier apply to %s (pid %d, started %s) ended without finishing; its lock was taken over. This apply re-reads NinjaOne and does what is left.\n",
			t.host, p.PID, p.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return l, nil
}
