package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Connection flags: the same on every command that talks to NinjaOne, each
// also read from the environment (ours first, then the upstream baton
// connector's, so an existing deployment's secret works unchanged).
const (
	flagBaseURL      = "base-url"
	flagClientID     = "client-id"
	flagClientSecret = "client-secret"
	flagScope        = "scope"
	flagRegion       = "region"
	flagSandbox      = "sandbox"
	flagSandboxState = "sandbox-state"
	flagLogLevel     = "log-level"
	flagLogFormat    = "log-format"
	flagDebug        = "debug"
)

var connEnv = map[string][]string{
	flagBaseURL:      {"NINJAONE_BASE_URL", "BATON_NINJA_ONE_BASE_URL"},
	flagClientID:     {"NINJAONE_CLIENT_ID", "BATON_NINJA_ONE_CLIENT_ID"},
	flagClientSecret: {"NINJAONE_CLIENT_SECRET", "BATON_NINJA_ONE_CLIENT_SECRET"},
	flagScope:        {"NINJAONE_SCOPE", "BATON_NINJA_ONE_SCOPE"},
	flagRegion:       {"NINJAONE_REGION"},
}

// batonNames are the NinjaOne settings' names on the baton commands: the
// upstream NinjaOne connector's. On every baton connector --client-id and
// --client-secret are ConductorOne's credentials, so there NinjaOne's never
// take those names. The variables are the same on every command.
var batonNames = map[string]string{
	flagBaseURL:      "ninja-one-base-url",
	flagClientID:     "ninja-one-client-id",
	flagClientSecret: "ninja-one-client-secret",
	flagScope:        "ninja-one-scope",
}

// flagName is the name command c gives the NinjaOne setting flag.
func flagName(c *cli.Context, flag string) string {
	if b, ok := batonNames[flag]; ok && c.Command != nil {
		for _, f := range c.Command.Flags {
			if slices.Contains(f.Names(), b) {
				return b
			}
		}
	}
	return flag
}

// defaultSandboxState is where --sandbox keeps the in-process sandbox's
// tenant, so successive commands see what earlier ones changed.
const defaultSandboxState = ".ninjaops/sandbox.json"

// connectionFlags are the flags of every command that talks to NinjaOne.
// Their environment variables are read by setting, not by urfave/cli:
// it takes the first variable that is set even when it is empty, which
// would let an empty NINJAONE_CLIENT_SECRET hide a BATON_NINJA_ONE_ one.
func connectionFlags() []cli.Flag {
	return append(ninjaOneFlags(false), logFlags()...)
}

// batonConnectionFlags are the NinjaOne settings of the baton commands,
// under the upstream connector's names (batonNames); --base-url and
// --scope, which mean nothing else on a baton connector, stay as aliases.
// The baton commands add their own logging flags.
func batonConnectionFlags() []cli.Flag { return ninjaOneFlags(true) }

func ninjaOneFlags(baton bool) []cli.Flag {
	str := func(flag, usage string) *cli.StringFlag {
		f := &cli.StringFlag{Name: flag, Category: "Connection", Usage: usage + envUsage(flag)}
		if b, ok := batonNames[flag]; baton && ok {
			f.Name, f.Category = b, "NinjaOne connection"
			if flag != flagClientID && flag != flagClientSecret {
				f.Aliases = []string{flag}
			}
		}
		return f
	}
	category := "Connection"
	if baton {
		category = "NinjaOne connection"
	}
	return []cli.Flag{
		str(flagBaseURL, "tenant base `URL`, e.g. https://eu.ninjarmm.com (plain http only for loopback)"),
		oneOf(&cli.StringFlag{Name: flagRegion, Category: category,
			Usage: "`REGION` shortcut for the base URL: " + strings.Join(ninjaone.RegionNames(), "|") + envUsage(flagRegion)}, ninjaone.RegionNames()...),
		str(flagClientID, "API client `ID` (client credentials app)"),
		str(flagClientSecret, "API client `SECRET`; prefer the environment variable"),
		str(flagScope, "OAuth `SCOPES`, space separated (default: "+ninjaone.DefaultScope+")"),
		&cli.BoolFlag{Name: flagSandbox, Category: category,
			Usage: "use the built-in sandbox in process instead of a tenant"},
		&cli.StringFlag{Name: flagSandboxState, Category: category, Value: defaultSandboxState, TakesFile: true,
			Usage: "state `FILE` (JSON) of the --sandbox tenant (default: " + defaultSandboxState + "; with --" + flagSandboxSeed + ", one of that seed's own)"},
		&cli.StringFlag{Name: flagSandboxSeed, Category: category, TakesFile: true,
			Usage: "seed `FILE` (YAML or JSON) the --sandbox tenant is first built from (default: the quickstart tenant)"},
	}
}

func envUsage(flag string) string {
	return " [$" + strings.Join(connEnv[flag], ", $") + "]"
}

// setting is a connection flag's value: the flag, else the first
// non-empty of its environment variables.
func setting(c *cli.Context, e *env, flag string) string {
	if v := c.String(flagName(c, flag)); v != "" {
		return v
	}
	for _, k := range connEnv[flag] {
		if v := e.getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// logFlags control the diagnostic log on stderr.
func logFlags() []cli.Flag {
	return []cli.Flag{
		oneOf(&cli.StringFlag{Name: flagLogLevel, EnvVars: []string{"NINJAOPS_LOG_LEVEL"}, Value: "warn", Category: "Logging",
			Usage: "log `LEVEL` on stderr: debug|info|warn|error (debug logs every HTTP call, never a secret)"}, "debug", "info", "warn", "error"),
		oneOf(&cli.StringFlag{Name: flagLogFormat, EnvVars: []string{"NINJAOPS_LOG_FORMAT"}, Value: "text", Category: "Logging",
			Usage: "log `FORMAT`: text|json"}, "text", "json"),
		&cli.BoolFlag{Name: flagDebug, Category: "Logging", Usage: "shorthand for --log-level debug"},
	}
}

// logLevel is the level the logging flags ask for.
func logLevel(c *cli.Context) (slog.Level, error) {
	level := c.String(flagLogLevel)
	switch {
	case c.Bool(flagDebug):
		level = "debug"
	case level == "":
		level = "warn" // a variable set but empty, as BATON_LOG_LEVEL= in a manifest
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return lv, fmt.Errorf("--%s %q: want debug, info, warn or error", flagLogLevel, level)
	}
	return lv, nil
}

// logger builds the stderr logger the logging flags ask for.
func logger(c *cli.Context, e *env) (*slog.Logger, error) {
	lv, err := logLevel(c)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch c.String(flagLogFormat) {
	case "text", "console", "":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--%s %q: want text or json", flagLogFormat, c.String(flagLogFormat))
	}
}

// inProcessSandbox starts the built-in sandbox as s says (its state file
// and seed) and returns its base URL and credentials. It is set by the
// sandbox wiring; nil means this build has no sandbox.
var inProcessSandbox func(ctx context.Context, s sandboxSetup, log *slog.Logger) (cfg ninjaone.Config, stop func(), err error)

// connect builds a client from the connection flags (or starts the
// in-process sandbox for --sandbox). closeFn must be called when done.
func connect(c *cli.Context, e *env) (*ninjaone.Client, func(), error) {
	log, err := logger(c, e)
	if err != nil {
		return nil, nil, err
	}
	var cfg ninjaone.Config
	closeFn := func() {}
	if err := checkSandboxFlags(c); err != nil {
		return nil, nil, err
	}
	if c.Bool(flagSandbox) {
		for _, f := range []string{flagBaseURL, flagRegion, flagClientID, flagClientSecret} {
			if f = flagName(c, f); c.String(f) != "" {
				return nil, nil, fmt.Errorf("--%s and --%s exclude each other: --sandbox uses the built-in sandbox", flagSandbox, f)
			}
		}
		if inProcessSandbox == nil {
			return nil, nil, errors.New("--sandbox: this build has no built-in sandbox")
		}
		setup, err := resolveSandbox(c)
		if err != nil {
			return nil, nil, err
		}
		cfg, closeFn, err = inProcessSandbox(c.Context, setup, log)
		if err != nil {
			return nil, nil, fmt.Errorf("starting the built-in sandbox: %w", sandboxError(err, flagSandboxSeed, flagSandboxState))
		}
	} else {
		cfg, err = connectionConfig(c, e)
		if err != nil {
			return nil, nil, err
		}
	}
	cfg.Logger = log
	cfg.UserAgent = "ninjaops/" + version
	// Say why a call is retried, and show a long read on a terminal
	// (feedback.go); baton sync shows its own progress.
	level, _ := logLevel(c)
	fb := newFeedback(e, log, level, c.String(flagLogFormat), cfg.BaseURL, c.Bool(flagSandbox), !underBaton(c))
	cfg.OnNotice = fb.notice
	if fb.live {
		cfg.OnTransfer = fb.transfer
	}
	cfg.Retry = e.retry
	client, err := ninjaone.New(cfg)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return client, func() { fb.finish(); closeFn() }, nil
}

// underBaton says whether c is a baton command.
func underBaton(c *cli.Context) bool {
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name == "baton" {
			return true
		}
	}
	return false
}

// connectionConfig reads the connection flags; a missing setting is an
// error naming the flag and its variables.
func connectionConfig(c *cli.Context, e *env) (ninjaone.Config, error) {
	base, err := ninjaone.ResolveBaseURL(setting(c, e, flagBaseURL), setting(c, e, flagRegion))
	if err != nil {
		return ninjaone.Config{}, err
	}
	cfg := ninjaone.Config{
		BaseURL:      base,
		ClientID:     setting(c, e, flagClientID),
		ClientSecret: setting(c, e, flagClientSecret),
		Scope:        setting(c, e, flagScope),
	}
	var missing []string
	if cfg.BaseURL == "" {
		missing = append(missing, fmt.Sprintf("the tenant: set --%s or --%s (or %s), or use --%s",
			flagName(c, flagBaseURL), flagRegion, strings.Join(connEnv[flagBaseURL], " or "), flagSandbox))
	}
	if cfg.ClientID == "" {
		missing = append(missing, fmt.Sprintf("the client id: set --%s (or %s)", flagName(c, flagClientID), strings.Join(connEnv[flagClientID], " or ")))
	}
	if cfg.ClientSecret == "" {
		missing = append(missing, fmt.Sprintf("the client secret: set --%s (or %s)", flagName(c, flagClientSecret), strings.Join(connEnv[flagClientSecret], " or ")))
	}
	if len(missing) > 0 {
		return ninjaone.Config{}, fmt.Errorf("missing connection settings:\n  %s", strings.Join(missing, "\n  "))
	}
	return cfg, nil
}
