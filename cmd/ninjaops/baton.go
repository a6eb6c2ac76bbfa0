package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ninjaops/ninjaops/internal/batonsync"
)

func init() { register(batonCommand) }

const (
	flagFile          = "file"
	flagStorageEngine = "storage-engine"
	flagProvisioning  = "provisioning"
	flagProtected     = "protected"
	envProvisioning   = "BATON_PROVISIONING"
)

func batonCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "baton",
		Usage: "sync NinjaOne to a baton .c1z file, and provision through the baton connector",
		Description: `The same reader as plan, as a baton-sdk connector: users and roles as
resources, each role's "member" entitlement, a grant per role member.
"sync" writes a .c1z file (SQLite by default, which the baton CLI reads);
grant, revoke, create-account and delete go through the connector's own
provisioning, as ConductorOne drives it, and need --provisioning.
"serve" is service mode, driven by ConductorOne; without a subcommand,
ninjaops baton runs it when BATON_CLIENT_ID or BATON_CLIENT_SECRET is set.`,
		Action: batonDefaultAction(e),
		Subcommands: []*cli.Command{
			batonServeCommand(e),
			batonSyncCommand(e),
			batonGrantCommand(e),
			batonRevokeCommand(e),
			batonCreateAccountCommand(e),
			batonDeleteCommand(e),
		},
	}
}

// batonFlags are the flags of every baton subcommand.
func batonFlags(extra ...cli.Flag) []cli.Flag {
	flags := append(extra,
		&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "sync.c1z",
			Usage: "the c1z file: written by sync, read by grant and revoke"},
		&cli.BoolFlag{Name: flagProvisioning,
			Usage: "allow grant, revoke, create-account and delete (also " + envProvisioning + "=true)"},
		&cli.StringSliceFlag{Name: flagProtected,
			Usage: "case-insensitive email glob of users never removed from a role or deleted (repeatable); System Administrators always are"},
	)
	return append(flags, connectionFlags()...)
}

func batonSyncCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "read NinjaOne once and write users, roles, entitlements and grants to a .c1z file",
		ArgsUsage: " ",
		Flags: batonFlags(&cli.StringFlag{Name: flagStorageEngine, Value: "sqlite",
			Usage: "c1z storage engine for a new file: sqlite (what the baton CLI reads) or pebble"}),
		Action: func(c *cli.Context) error {
			engine, err := batonsync.ParseEngine(c.String(flagStorageEngine))
			if err != nil {
				return fmt.Errorf("--%s: %w", flagStorageEngine, err)
			}
			file := c.String(flagFile)
			return withBaton(c, e, false, func(ctx context.Context, s *batonsync.Server) error {
				fmt.Fprintf(e.stderr, "Syncing NinjaOne to %s (%s)...\n", file, engine)
				p := &progress{w: e.stderr}
				sum, err := s.Sync(ctx, batonsync.SyncOptions{File: file, Engine: engine, Progress: p.handle})
				p.flush()
				if err != nil {
					return fmt.Errorf("sync to %s: %s", file, batonsync.Message(err))
				}
				fmt.Fprintf(e.stderr, "Wrote %s (%s, %s): %s, %d entitlements, %d grants in %.1fs.\n",
					file, sum.Engine, formatBytes(sum.FileBytes), describeResources(sum), sum.Entitlements, sum.Grants, sum.Duration.Seconds())
				return nil
			})
		},
	}
}

func batonGrantCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "grant",
		Usage:     "add a user to a role: --entitlement role:12:member --principal user:34",
		ArgsUsage: " ",
		Flags: batonFlags(
			&cli.StringFlag{Name: "entitlement", Required: true, Usage: "the role's entitlement, role:<roleId>:member"},
			&cli.StringFlag{Name: "principal", Required: true, Usage: "the user, user:<userId>"},
		),
		Action: func(c *cli.Context) error {
			file, ent, principal := c.String(flagFile), c.String("entitlement"), c.String("principal")
			return withBaton(c, e, true, func(ctx context.Context, s *batonsync.Server) error {
				out, err := s.Grant(ctx, file, ent, principal)
				if err != nil {
					return provisioningError(err, file, "grant "+principal+" "+ent)
				}
				if out.Changed {
					fmt.Fprintf(e.stderr, "Granted %s to %s.\n", ent, principal)
				} else {
					fmt.Fprintf(e.stderr, "%s already has %s; nothing to do.\n", principal, ent)
				}
				return nil
			})
		},
	}
}

func batonRevokeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "revoke",
		Usage:     "remove a user from a role: --grant role:12:member:user:34",
		ArgsUsage: " ",
		Flags: batonFlags(
			&cli.StringFlag{Name: "grant", Required: true, Usage: "the grant, role:<roleId>:member:user:<userId>"},
		),
		Action: func(c *cli.Context) error {
			file, grant := c.String(flagFile), c.String("grant")
			return withBaton(c, e, true, func(ctx context.Context, s *batonsync.Server) error {
				out, err := s.Revoke(ctx, file, grant)
				if err != nil {
					return provisioningError(err, file, "revoke "+grant)
				}
				if out.Changed {
					fmt.Fprintf(e.stderr, "Revoked %s.\n", grant)
				} else {
					fmt.Fprintf(e.stderr, "%s was already revoked; nothing to do.\n", grant)
				}
				return nil
			})
		},
	}
}

func batonCreateAccountCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "create-account",
		Usage: `create an end user or technician: --email E --profile '{"firstName":"Ada","lastName":"Lovelace","organizationId":12}'`,
		Description: `Profile keys: firstName, lastName (required), userType (END_USER, the
default, or TECHNICIAN), organizationId (required for end users), phone,
fullPortalAccess and sendInvitation (end users only). No password is set:
NinjaOne's invitation lets the user choose one. The new user's resource id
(user:<id>) is printed on stdout.`,
		ArgsUsage: " ",
		Flags: batonFlags(
			&cli.StringFlag{Name: "email", Required: true, Usage: "the new user's email, which is also the login"},
			&cli.StringFlag{Name: "profile", Value: "{}", Usage: "JSON object of profile fields"},
		),
		Action: func(c *cli.Context) error {
			email := c.String("email")
			var profile map[string]any
			if err := json.Unmarshal([]byte(c.String("profile")), &profile); err != nil || profile == nil {
				return fmt.Errorf("--profile: want a JSON object such as {\"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"organizationId\":12}: %v", err)
			}
			return withBaton(c, e, true, func(ctx context.Context, s *batonsync.Server) error {
				out, err := s.CreateAccount(ctx, c.String(flagFile), email, profile)
				if err != nil {
					return provisioningError(err, "", "create-account "+email)
				}
				if out.Changed {
					fmt.Fprintf(e.stderr, "Created %s (%s).\n", out.Resource, email)
				} else {
					fmt.Fprintf(e.stderr, "%s already exists as %s; nothing to do.\n", email, out.Resource)
				}
				fmt.Fprintln(e.stdout, out.Resource)
				return nil
			})
		},
	}
}

func batonDeleteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete a user: --resource user:34",
		ArgsUsage: " ",
		Flags: batonFlags(
			&cli.StringFlag{Name: "resource", Required: true, Usage: "the user, user:<userId>"},
		),
		Action: func(c *cli.Context) error {
			res := c.String("resource")
			return withBaton(c, e, true, func(ctx context.Context, s *batonsync.Server) error {
				if _, err := s.Delete(ctx, c.String(flagFile), res); err != nil {
					return provisioningError(err, "", "delete "+res)
				}
				fmt.Fprintf(e.stderr, "Deleted %s (or it was already gone).\n", res)
				return nil
			})
		},
	}
}

// withBaton connects, serves the connector in process and runs fn against
// it. Provisioning commands refuse before connecting when provisioning is
// not enabled, as the upstream connector does.
func withBaton(c *cli.Context, e *env, provisions bool, fn func(context.Context, *batonsync.Server) error) error {
	provisioning, err := provisioningEnabled(c, e)
	if err != nil {
		return err
	}
	if provisions && !provisioning {
		return withCode(exitGuard, fmt.Errorf("%s refused: provisioning is disabled; enable it with --%s or %s=true", c.Command.Name, flagProvisioning, envProvisioning))
	}
	// Grant and revoke look their ids up in the file of an earlier sync.
	if name := c.Command.Name; name == "grant" || name == "revoke" {
		if err := needSyncFile(c.String(flagFile), name); err != nil {
			return err
		}
	}
	sdkLog, err := sdkLogger(c, e)
	if err != nil {
		return err
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
	s, err := batonsync.Start(c.Context, conn, batonsync.Options{Logger: sdkLog})
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(c.Context, s)
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

// sdkLogger gives the SDK a zap logger on stderr at debug level only; at any
// other level it stays silent, so a normal run prints progress and the
// summary and nothing else.
func sdkLogger(c *cli.Context, e *env) (*zap.Logger, error) {
	if !c.Bool(flagDebug) && !strings.EqualFold(c.String(flagLogLevel), "debug") {
		return zap.NewNop(), nil
	}
	enc := zap.NewDevelopmentEncoderConfig()
	var encoder zapcore.Encoder = zapcore.NewConsoleEncoder(enc)
	if c.String(flagLogFormat) == "json" {
		encoder = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	}
	return zap.New(zapcore.NewCore(encoder, zapcore.AddSync(e.stderr), zap.DebugLevel)).Named("baton-sdk"), nil
}

// needSyncFile checks that the c1z grant and revoke look ids up in exists.
func needSyncFile(file, verb string) error {
	if _, err := os.Stat(file); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file; %s looks the ids up in the file of an earlier sync: run `ninjaops baton sync --file %s` first", file, verb, file)
		}
		return err
	}
	return nil
}

// provisioningError gives the connector's refusals exit code 3 and says
// what to do when the ids are not in the file.
func provisioningError(err error, file, what string) error {
	msg := batonsync.Message(err)
	switch {
	case batonsync.IsRefusal(err):
		return withCode(exitGuard, errors.New(msg))
	case file != "" && status.Code(err) == codes.NotFound:
		return fmt.Errorf("%s: %s (the id is not in %s: check it, or sync again if it is new)", what, msg, file)
	}
	return fmt.Errorf("%s: %s", what, msg)
}

// progress prints, on stderr, how many items each phase of the sync stored,
// one line per phase as it ends.
type progress struct {
	w   io.Writer
	mu  sync.Mutex
	cur string
	n   uint64
}

func (p *progress) handle(pr *sdksync.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := phaseName(pr.Action, pr.ResourceTypeID)
	if key != p.cur {
		p.flushLocked()
		p.cur, p.n = key, 0
	}
	p.n += uint64(pr.Count)
}

func (p *progress) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	p.cur = ""
}

func (p *progress) flushLocked() {
	if p.cur != "" {
		fmt.Fprintf(p.w, "  %s: %d\n", p.cur, p.n)
	}
}

func phaseName(action, resourceType string) string {
	switch action {
	case "list-resource-types":
		return "resource types"
	case "list-resources":
		return resourceType + "s"
	case "list-entitlements":
		return resourceType + " entitlements"
	case "list-grants":
		return resourceType + " grants"
	}
	return strings.TrimSpace(action + " " + resourceType)
}

func describeResources(sum batonsync.Summary) string {
	return fmt.Sprintf("%d resources (%d users, %d roles)", sum.Resources, sum.ResourcesByType["user"], sum.ResourcesByType["role"])
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
