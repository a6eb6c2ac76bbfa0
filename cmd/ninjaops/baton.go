package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ninjaops/ninjaops/internal/batonsync"
	"github.com/ninjaops/ninjaops/internal/plan"
)

func init() { register(batonCommand) }

const (
	flagFile          = "file"
	flagStorageEngine = "storage-engine"
	flagProvisioning  = "provisioning"
	flagProtected     = "protected"
	envProvisioning   = "BATON_PROVISIONING"
	defaultC1Z        = "sync.c1z"
)

func batonCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "baton",
		Usage:     "sync NinjaOne to a baton .c1z file, and provision through the baton connector",
		UsageText: "ninjaops baton [flags]            a sync, or the one action the standard flags name\n   ninjaops baton COMMAND [flags]",
		Description: `The same reader as plan, as a baton-sdk connector: users, roles and the
System Administrators as resources, each role's "member" entitlement, a
grant per member. Without a command it behaves as a baton connector's main
command: --grant-entitlement, --revoke-grant, --create-account-* or
--delete-resource do that one thing, else it syncs to --file. "sync" writes
a .c1z file (SQLite by default, which the baton tool reads); grant, revoke,
create-account and delete go through the connector's own provisioning, as
ConductorOne drives it, and need --provisioning. NinjaOne's settings are
--ninja-one-* (or NINJAONE_*, BATON_NINJA_ONE_*): on a baton command
--client-id and --client-secret are ConductorOne's. "serve" is service
mode, driven by ConductorOne; without a command, ninjaops baton runs it
when ConductorOne's credentials are given (BATON_CLIENT_ID, BATON_CLIENT_SECRET).`,
		Flags:  batonMainFlags(),
		Action: func(c *cli.Context) error { return batonMain(c, e) },
		Subcommands: []*cli.Command{
			batonServeCommand(e),
			batonSyncCommand(e),
			batonGrantCommand(e),
			batonRevokeCommand(e),
			batonCreateAccountCommand(e),
			batonDeleteCommand(e),
			batonCapabilitiesCommand(e),
			batonConfigCommand(e),
		},
	}
}

// batonMain is `ninjaops baton` without a command: service mode with
// ConductorOne's credentials, else the one action the flags name, else a
// sync.
func batonMain(c *cli.Context, e *env) error {
	if c.Args().Present() {
		var names []string
		for _, sub := range c.Command.Subcommands {
			if sub.Name != "help" {
				names = append(names, sub.Name)
			}
		}
		return fmt.Errorf("unknown command %q for ninjaops baton; its commands are %s (or none, for a sync)", c.Args().First(), strings.Join(names, ", "))
	}
	if c1CredentialsGiven(c, e) {
		return runServe(c, e)
	}
	if c.Bool(flagSkipFullSync) {
		return fmt.Errorf("--%s (%s) applies to service mode only, where it skips ConductorOne's full-sync tasks; without ConductorOne's credentials ninjaops baton runs one sync", flagSkipFullSync, batonEnv(flagSkipFullSync))
	}
	var actions []string
	grant := c.String(flagGrantEnt) != "" || c.String(flagGrantPrincipal) != ""
	revoke := c.String(flagRevokeGrant) != ""
	create := c.String(flagCreateEmail) != "" || c.String(flagCreateLogin) != "" || c.IsSet(flagCreateProfile)
	del := c.String(flagDeleteResource) != ""
	for _, a := range []struct {
		on   bool
		flag string
	}{{grant, flagGrantEnt}, {revoke, flagRevokeGrant}, {create, "create-account-*"}, {del, flagDeleteResource}} {
		if a.on {
			actions = append(actions, "--"+a.flag)
		}
	}
	if len(actions) > 1 {
		return fmt.Errorf("%s exclude each other: ninjaops baton does one action at a time", strings.Join(actions, " and "))
	}
	file := batonFile(c)
	switch {
	case grant:
		if c.String(flagGrantEnt) == "" {
			return fmt.Errorf("--%s needs --%s, the entitlement to grant (role:12:member)", flagGrantPrincipal, flagGrantEnt)
		}
		principal, err := resourceRef(c.String(flagGrantPrincipal), c.String(flagGrantPrinType), flagGrantPrincipal, flagGrantPrinType)
		if err != nil {
			return err
		}
		return runGrant(c, e, file, c.String(flagGrantEnt), principal)
	case revoke:
		return runRevoke(c, e, file, c.String(flagRevokeGrant))
	case create:
		return runCreateAccount(c, e, file, accountArgs{
			email: c.String(flagCreateEmail), login: c.String(flagCreateLogin), profile: c.String(flagCreateProfile),
			emailFlag: flagCreateEmail, loginFlag: flagCreateLogin, profileFlag: flagCreateProfile,
		})
	case del:
		res, err := resourceRef(c.String(flagDeleteResource), c.String(flagDeleteType), flagDeleteResource, flagDeleteType)
		if err != nil {
			return err
		}
		return runDelete(c, e, file, res)
	}
	return runSync(c, e)
}

func batonSyncCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "read NinjaOne once and write users, roles, entitlements and grants to a .c1z file",
		ArgsUsage: " ",
		Flags:     append(syncFlags(), commonBatonFlags()...),
		Action:    func(c *cli.Context) error { return runSync(c, e) },
	}
}

func batonGrantCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "grant",
		Usage:     "add a user to a role: --entitlement role:12:member --principal user:102",
		ArgsUsage: " ",
		Flags: append([]cli.Flag{
			stdFlag(flagGrantEnt, false, "role:<roleId>:member", "entitlement"),
			stdFlag(flagGrantPrincipal, false, "user:<userId>, or the id with --grant-principal-type", "principal"),
			stdFlag(flagGrantPrinType, false, "user (the default)"),
		}, commonBatonFlags()...),
		Action: func(c *cli.Context) error {
			if c.String("entitlement") == "" {
				return errors.New("--entitlement is required: the role's entitlement, role:<roleId>:member")
			}
			principal, err := resourceRef(c.String("principal"), c.String(flagGrantPrinType), "principal", flagGrantPrinType)
			if err != nil {
				return err
			}
			return runGrant(c, e, batonFile(c), c.String("entitlement"), principal)
		},
	}
}

func batonRevokeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "revoke",
		Usage:     "remove a user from a role: --grant role:12:member:user:103",
		ArgsUsage: " ",
		Flags:     append([]cli.Flag{stdFlag(flagRevokeGrant, false, "role:<roleId>:member:user:<userId>", "grant")}, commonBatonFlags()...),
		Action: func(c *cli.Context) error {
			if c.String("grant") == "" {
				return errors.New("--grant is required: the grant to revoke, role:<roleId>:member:user:<userId>")
			}
			return runRevoke(c, e, batonFile(c), c.String("grant"))
		},
	}
}

func batonCreateAccountCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "create-account",
		Usage: `create an end user or technician: --email E --profile '{"firstName":"Ada","lastName":"Lovelace","organizationId":2}'`,
		Description: `Profile keys: firstName, lastName (required), userType (END_USER, the
default, or TECHNICIAN), organizationId (required for end users), phone,
fullPortalAccess and sendInvitation (end users only). No password is set:
NinjaOne's invitation lets the user choose one. The new user's resource id
(user:<id>) is printed on stdout.`,
		ArgsUsage: " ",
		Flags: append([]cli.Flag{
			stdFlag(flagCreateEmail, false, "required: the new user's email, which is also the NinjaOne login", "email"),
			stdFlag(flagCreateLogin, false, "NinjaOne's login is the email: the same as --email, if given", "login"),
			stdFlag(flagCreateProfile, false, "the profile fields below", "profile"),
		}, commonBatonFlags()...),
		Action: func(c *cli.Context) error {
			return runCreateAccount(c, e, batonFile(c), accountArgs{
				email: c.String("email"), login: c.String("login"), profile: c.String("profile"),
				emailFlag: "email", loginFlag: "login", profileFlag: "profile",
			})
		},
	}
}

func batonDeleteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete a user: --resource user:109",
		ArgsUsage: " ",
		Flags: append([]cli.Flag{
			stdFlag(flagDeleteResource, false, "user:<userId>, or the id with --delete-resource-type", "resource"),
			stdFlag(flagDeleteType, false, "user (the default)"),
		}, commonBatonFlags()...),
		Action: func(c *cli.Context) error {
			res, err := resourceRef(c.String("resource"), c.String(flagDeleteType), "resource", flagDeleteType)
			if err != nil {
				return err
			}
			return runDelete(c, e, batonFile(c), res)
		},
	}
}

func batonCapabilitiesCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "capabilities",
		Usage:     "print what the connector can do, per resource type, as every baton connector's capabilities command does",
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("capabilities takes no arguments")
			}
			caps, err := batonsync.Capabilities(c.Context)
			if err != nil {
				return err
			}
			out, err := marshalCapabilities(caps)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, out)
			return err
		},
	}
}

// marshalCapabilities writes capabilities as the SDK's capabilities
// command does: an Any, protojson, indented again (protojson's own spacing
// varies at random between runs).
func marshalCapabilities(caps *v2.ConnectorCapabilities) (string, error) {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, caps, proto.MarshalOptions{Deterministic: true}); err != nil {
		return "", err
	}
	raw, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(a)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return "", err
	}
	return out.String(), nil
}

func batonConfigCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "config",
		Usage:     "print the connector's configuration schema, as every baton connector's config command does",
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("config takes no arguments")
			}
			conf := batonConfiguration()
			out, err := json.MarshalIndent(&conf, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, string(out))
			return err
		},
	}
}

func runSync(c *cli.Context, e *env) error {
	engine, err := batonsync.ParseEngine(c.String(flagStorageEngine))
	if err != nil {
		return fmt.Errorf("--%s: %w", flagStorageEngine, err)
	}
	file := batonFile(c)
	// Before anything opens it: opening a FIFO to read its header blocks.
	if err := checkOutput(flagFile, file); err != nil {
		return err
	}
	before, err := batonsync.FileEngine(file)
	if err != nil {
		return fmt.Errorf("%w; delete it or choose another --%s", err, flagFile)
	}
	opts := batonsync.SyncOptions{File: file, Engine: engine, SkipEntitlementsAndGrants: c.Bool(flagSkipEntsGrants)}
	for _, t := range c.StringSlice(flagSyncTypes) {
		if t = strings.TrimSpace(t); t != "" {
			opts.ResourceTypes = append(opts.ResourceTypes, t)
		}
	}
	for _, r := range c.StringSlice(flagSyncResources) {
		if strings.TrimSpace(r) == "" {
			continue
		}
		id, err := batonsync.ParseResourceRef(r)
		if err != nil {
			return fmt.Errorf("--%s: %w", flagSyncResources, err)
		}
		opts.Resources = append(opts.Resources, id)
	}
	return withBaton(c, e, "sync", false, func(ctx context.Context, s *batonsync.Server) error {
		fmt.Fprintf(e.stderr, "Syncing NinjaOne to %s (%s)...\n", file, engine)
		p := newSyncProgress(e)
		opts.Progress = p.handle
		sum, err := s.Sync(ctx, opts)
		p.done()
		if err != nil {
			if ctx.Err() != nil {
				if _, serr := os.Stat(file); serr != nil {
					return withCode(exitInterrupted, errors.New("interrupted; nothing was written"))
				}
				return withCode(exitInterrupted, fmt.Errorf("interrupted; %s holds an unfinished sync, which the next `%s` completes", file, syncCommand(file)))
			}
			return fmt.Errorf("sync to %s: %s", file, batonsync.Message(err))
		}
		switch {
		case sum.Engine != engine:
			fmt.Fprintf(e.stderr, "%s was already a %s file and stays one: the baton-sdk keeps the engine of an existing file, so this sync is written with %s, not %s. Delete it, or choose another --%s, for a %s file.\n",
				file, before, sum.Engine, engine, flagFile, engine)
		case before != "" && before != sum.Engine:
			fmt.Fprintf(e.stderr, "%s was a %s file; this sync converted it to %s.\n", file, before, sum.Engine)
		}
		// The SDK skips a targeted resource NinjaOne does not have; each
		// of ours is exactly one resource, so the count says how many.
		if missing := int64(len(opts.Resources)) - sum.Resources; len(opts.Resources) > 0 && missing > 0 {
			fmt.Fprintf(e.stderr, "%d of the %d resources of --%s are not in NinjaOne, so not in %s.\n", missing, len(opts.Resources), flagSyncResources, file)
		}
		kind := ""
		if sum.SyncType != "" && sum.SyncType != "full" {
			kind = ", a " + strings.ReplaceAll(sum.SyncType, "_", "-") + " sync"
		}
		fmt.Fprintf(e.stderr, "Wrote %s (%s, %s%s): %s, %s, %s in %.1fs.\n",
			file, sum.Engine, formatBytes(sum.FileBytes), kind, describeResources(sum),
			plan.Count(int(sum.Entitlements), "entitlement", ""), plan.Count(int(sum.Grants), "grant", ""), sum.Duration.Seconds())
		return nil
	})
}

func runGrant(c *cli.Context, e *env, file, ent, principal string) error {
	return withBaton(c, e, "grant", true, func(ctx context.Context, s *batonsync.Server) error {
		out, err := s.Grant(ctx, file, ent, principal)
		if err != nil {
			return provisioningError(err, "grant "+principal+" "+ent)
		}
		if out.Changed {
			fmt.Fprintf(e.stderr, "Granted %s to %s.%s\n", ent, principal, staleNote(file, "has the grant after"))
		} else {
			fmt.Fprintf(e.stderr, "%s already has %s; nothing to do.\n", principal, ent)
		}
		return nil
	})
}

func runRevoke(c *cli.Context, e *env, file, grant string) error {
	return withBaton(c, e, "revoke", true, func(ctx context.Context, s *batonsync.Server) error {
		out, err := s.Revoke(ctx, file, grant)
		if err != nil {
			return provisioningError(err, "revoke "+grant)
		}
		if out.Changed {
			fmt.Fprintf(e.stderr, "Revoked %s.%s\n", grant, staleNote(file, "still lists the grant until"))
		} else {
			fmt.Fprintf(e.stderr, "%s was already revoked; nothing to do.\n", grant)
		}
		return nil
	})
}

// accountArgs are create-account's settings and the names of the flags
// they came from, for messages.
type accountArgs struct {
	email, login, profile             string
	emailFlag, loginFlag, profileFlag string
}

func runCreateAccount(c *cli.Context, e *env, file string, a accountArgs) error {
	profile := map[string]any{}
	if strings.TrimSpace(a.profile) != "" {
		if err := json.Unmarshal([]byte(a.profile), &profile); err != nil || profile == nil {
			return fmt.Errorf("--%s: want a JSON object such as {\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"organizationId\":2}: %v", a.profileFlag, err)
		}
	}
	email, login := strings.TrimSpace(a.email), strings.TrimSpace(a.login)
	if pe, ok := profile["email"].(string); ok && email == "" {
		email = strings.TrimSpace(pe)
	}
	switch {
	case email == "" && login == "":
		return fmt.Errorf("the email is required: --%s ada@example.com (NinjaOne signs users in by email, so it is also the login)", a.emailFlag)
	case email != "" && login != "" && !strings.EqualFold(email, login):
		return fmt.Errorf("--%s %q and --%s %q differ: NinjaOne signs users in by email, so the login is the email", a.loginFlag, login, a.emailFlag, email)
	case email == "":
		email = login
	}
	return withBaton(c, e, "create-account", true, func(ctx context.Context, s *batonsync.Server) error {
		out, err := s.CreateAccount(ctx, file, email, profile)
		if err != nil {
			return provisioningError(err, "create-account "+email)
		}
		if out.Changed {
			fmt.Fprintf(e.stderr, "Created %s (%s).%s\n", out.Resource, email, staleNote(file, "lists the user after"))
		} else {
			fmt.Fprintf(e.stderr, "%s already exists as %s; nothing to do.\n", email, out.Resource)
		}
		fmt.Fprintln(e.stdout, out.Resource)
		return nil
	})
}

func runDelete(c *cli.Context, e *env, file, res string) error {
	return withBaton(c, e, "delete", true, func(ctx context.Context, s *batonsync.Server) error {
		out, err := s.Delete(ctx, file, res)
		if err != nil {
			return provisioningError(err, "delete "+res)
		}
		if out.Absent {
			return fmt.Errorf("%s does not exist in NinjaOne; nothing was deleted", res)
		}
		fmt.Fprintf(e.stderr, "Deleted %s.%s\n", res, staleNote(file, "still lists the user until"))
		return nil
	})
}

// batonFile is --file (or BATON_FILE); empty, as a variable that is set but
// empty makes it, is the default, as an empty variable is unset everywhere
// in ninjaops.
func batonFile(c *cli.Context) string {
	if f := c.String(flagFile); f != "" {
		return f
	}
	return defaultC1Z
}

// staleNote says, after a change, that the c1z (if there is one) shows the
// state of its last sync, not the change just made.
func staleNote(file, what string) string {
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	return fmt.Sprintf(" (%s %s the next `%s`.)", file, what, syncCommand(file))
}

func syncCommand(file string) string {
	if file == defaultC1Z {
		return "ninjaops baton sync"
	}
	return "ninjaops baton sync --file " + file
}

// resourceRef is a resource id given as TYPE:ID, or as an id and its type
// in a second flag (the standard --grant-principal 34
// --grant-principal-type user). The type defaults to user.
func resourceRef(value, typ, valueFlag, typeFlag string) (string, error) {
	value, typ = strings.TrimSpace(value), strings.TrimSpace(typ)
	if value == "" {
		return "", fmt.Errorf("--%s is required: the user, user:<userId>", valueFlag)
	}
	if t, _, ok := strings.Cut(value, ":"); ok {
		if typ != "" && typ != t {
			return "", fmt.Errorf("--%s %s and --%s %s disagree", valueFlag, value, typeFlag, typ)
		}
		return value, nil
	}
	if typ == "" {
		typ = "user"
	}
	return typ + ":" + value, nil
}

// withBaton connects, serves the connector in process and runs fn against
// it. Provisioning commands refuse before connecting when provisioning is
// not enabled, as the upstream connector does.
func withBaton(c *cli.Context, e *env, verb string, provisions bool, fn func(context.Context, *batonsync.Server) error) error {
	for _, f := range []string{flagC1ClientID, flagC1ClientSecret} {
		if c.String(f) != "" {
			return fmt.Errorf("--%s is ConductorOne's on a baton command, for service mode (`ninjaops baton` with %s); NinjaOne's is --%s (or %s)",
				f, envC1ClientID, batonNames[f], strings.Join(connEnv[f], ", "))
		}
	}
	provisioning, err := provisioningEnabled(c, e)
	if err != nil {
		return err
	}
	if provisions && !provisioning {
		return withCode(exitGuard, fmt.Errorf("%s refused: provisioning is disabled; enable it with --%s or %s=true", verb, flagProvisioning, envProvisioning))
	}
	// Grant and revoke look their ids up in the file of an earlier sync.
	if verb == "grant" || verb == "revoke" {
		if err := needSyncFile(batonFile(c), verb); err != nil {
			return err
		}
	}
	tmpDir, cleanTmp, err := batonTmpDir(c)
	if err != nil {
		return err
	}
	defer cleanTmp()
	sdkLog, err := sdkLogger(c, e)
	if err != nil {
		return err
	}
	// The SDK unpacks c1z files in temporary directories: keep them in
	// the run's own, which no signal leaves behind (signals.go).
	if e.runTemp != nil {
		if err := e.runTemp(); err != nil {
			return err
		}
	}
	defer func() { _ = sdkLog.Sync() }()

	client, closeFn, err := connect(c, e)
	if err != nil {
		return err
	}
	defer closeFn()
	conn, err := batonsync.New(client, batonsync.Config{
		Protected:    c.StringSlice(flagProtected),
		Provisioning: provisioning,
		// A sync validates by reading the Snapshot it needs anyway.
		ValidateWithSnapshot: !provisions,
	})
	if err != nil {
		return fmt.Errorf("--%s: %w", flagProtected, err)
	}
	s, err := batonsync.Start(c.Context, conn, batonsync.Options{Logger: sdkLog, TmpDir: tmpDir})
	if err != nil {
		return err
	}
	defer s.Close()
	err = fn(c.Context, s)
	var coded cli.ExitCoder
	if err != nil && c.Context.Err() != nil && !errors.As(err, &coded) {
		// A change interrupted in flight may have been made or not; each
		// is idempotent, so running it again settles it.
		settle := "run it again, which makes it or finds it made"
		if verb == "delete" {
			// A second delete of a user already gone is an error by design.
			settle = "run it again: if it then says the user does not exist, the first one deleted it"
		}
		return withCode(exitInterrupted, fmt.Errorf("interrupted; the %s may or may not have been made in NinjaOne: %s", verb, settle))
	}
	return err
}

// batonTmpDir is the SDK's working directory: a new one inside
// --c1z-temp-dir, removed when done, or "" for the batonsync default (a
// new one under the system's temporary directory).
func batonTmpDir(c *cli.Context) (string, func(), error) {
	parent := c.String(flagC1zTempDir)
	if parent == "" {
		return "", func() {}, nil
	}
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return "", nil, fmt.Errorf("--%s %s: no such directory (it must exist and be writable)", flagC1zTempDir, parent)
	}
	dir, err := os.MkdirTemp(parent, "ninjaops-baton-")
	if err != nil {
		return "", nil, fmt.Errorf("--%s: %w", flagC1zTempDir, err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

func provisioningEnabled(c *cli.Context, e *env) (bool, error) {
	if c.Bool(flagProvisioning) {
		return true, nil
	}
	v := strings.TrimSpace(e.getenv(envProvisioning))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", envProvisioning, v)
	}
	return b, nil
}

// sdkLogger gives the SDK a zap logger on stderr at the level asked for
// with --log-level (or BATON_LOG_LEVEL), or --debug; without one it stays
// silent, so a normal run prints progress and the summary and nothing
// else (the SDK warns about its own internals on every sync).
func sdkLogger(c *cli.Context, e *env) (*zap.Logger, error) {
	level := ""
	switch {
	case c.Bool(flagDebug):
		level = "debug"
	case c.IsSet(flagLogLevel) && c.String(flagLogLevel) != "":
		level = c.String(flagLogLevel)
	default:
		return zap.NewNop(), nil
	}
	lv, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: want debug, info, warn or error", flagLogLevel, level)
	}
	var encoder zapcore.Encoder
	switch c.String(flagLogFormat) {
	case "json":
		encoder = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	case "console", "text", "":
		encoder = zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	default:
		return nil, fmt.Errorf("--%s %q: want json or console", flagLogFormat, c.String(flagLogFormat))
	}
	return zap.New(zapcore.NewCore(encoder, zapcore.AddSync(e.stderr), lv)).Named("baton-sdk"), nil
}

// needSyncFile checks that the c1z grant and revoke look ids up in exists.
func needSyncFile(file, verb string) error {
	if _, err := os.Stat(file); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file; %s looks the ids up in the file of an earlier sync: run `%s` first", file, verb, syncCommand(file))
		}
		return err
	}
	return nil
}

// provisioningError gives the connector's refusals exit code 3 and says,
// in ninjaops' words, what to do about an id the file does not hold or a
// file that cannot be read.
func provisioningError(err error, what string) error {
	var notIn *batonsync.NotInFileError
	var bad *batonsync.FileError
	switch {
	case batonsync.IsRefusal(err):
		return withCode(exitGuard, errors.New(batonsync.Message(err)))
	case errors.As(err, &notIn):
		return fmt.Errorf("%s is not in %s; run `%s` first, or check the id", notIn.ID, notIn.File, syncCommand(notIn.File))
	case errors.As(err, &bad) && errors.Is(err, batonsync.ErrEmptyFile):
		return fmt.Errorf("%s is empty, so it holds no sync to look ids up in; run `%s` first", bad.File, syncCommand(bad.File))
	case errors.As(err, &bad):
		return fmt.Errorf("%s; delete it and run `%s`", bad, syncCommand(bad.File))
	}
	return fmt.Errorf("%s: %s", what, batonsync.Message(err))
}

// syncProgress shows a sync's counts as it goes, in ninjaops' words: one
// live line on a terminal, and nothing in CI logs, where the summary that
// follows says it all.
type syncProgress struct {
	w    io.Writer
	live bool

	mu                                 sync.Mutex
	users, roles, entitlements, grants uint64
	shown                              bool
}

func newSyncProgress(e *env) *syncProgress {
	p := &syncProgress{w: e.stderr, live: e.stderrTTY}
	if p.live {
		fmt.Fprint(p.w, "\r\033[K  reading NinjaOne...")
		p.shown = true
	}
	return p
}

func (p *syncProgress) handle(pr *sdksync.Progress) {
	if !p.live {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := uint64(pr.Count)
	switch pr.Action {
	case sdksync.SyncResourcesOp.String():
		if pr.ResourceTypeID == "user" {
			p.users += n
		} else {
			p.roles += n
		}
	case sdksync.SyncEntitlementsOp.String(), sdksync.SyncStaticEntitlementsOp.String():
		p.entitlements += n
	case sdksync.SyncGrantsOp.String():
		p.grants += n
	default:
		return
	}
	fmt.Fprintf(p.w, "\r\033[K  %s, %s, %s, %s", plan.Count(int(p.users), "user", ""), plan.Count(int(p.roles), "role", ""), plan.Count(int(p.entitlements), "entitlement", ""), plan.Count(int(p.grants), "grant", ""))
	p.shown = true
}

// done clears the live line.
func (p *syncProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func describeResources(sum batonsync.Summary) string {
	s := fmt.Sprintf("%s (%s, %s", plan.Count(int(sum.Resources), "resource", ""), plan.Count(int(sum.ResourcesByType["user"]), "user", ""), plan.Count(int(sum.ResourcesByType["role"]), "role", ""))
	if n := sum.ResourcesByType["system_role"]; n > 0 {
		s += ", " + plan.Count(int(n), "system role", "")
	}
	return s + ")"
}

func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, suffix := float64(n), []string{"kB", "MB", "GB", "TB"}
	i := -1
	for f >= unit && i < len(suffix)-1 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", f, suffix[i])
}
