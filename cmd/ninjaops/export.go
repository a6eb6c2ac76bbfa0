package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
	"github.com/ninjaops/ninjaops/internal/safefile"
)

func init() { register(exportCommand) }

// defaultSchemaURL is where `ninjaops schema` output is expected to live:
// next to the file, as the schema command's help suggests.
const defaultSchemaURL = "ninjaops.schema.json"

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a ninjaops.yaml that reproduces the live tenant",
		Description: `Reads the tenant once and writes a desired-state file that declares it as it
is: every user in scope, sorted by email, with its type, names, phone,
organization, portal access and complete list of roles, and settings that
keep it so (unmanaged_users: report, membership: authoritative, a scope
matching the filters). ninjaops plan against a fresh export shows
"No changes.". The filters work as settings.scope does: --organization
limits end users only (technicians belong to no organization), so add
--user-type end_user for one customer's people alone.

The output is stable: the same tenant gives the same bytes. The header
records when (UTC; SOURCE_DATE_EPOCH overrides the clock) and from which
host; with -o FILE an export that would change only that time leaves FILE
untouched, so the time is that of the last export that changed something.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "-", TakesFile: true, Usage: "write to `FILE` (atomically) instead of standard output"},
			someOf(&cli.StringSliceFlag{Name: "user-type", Usage: "export only users of `TYPE`: technician|end_user (repeatable)"}, "technician", "end_user"),
			&cli.StringSliceFlag{Name: "organization", Usage: "export only the end users of organization `NAME` (repeatable)"},
			&cli.StringSliceFlag{Name: "email-domain", Usage: "export only users whose email is in `DOMAIN` (repeatable)"},
			&cli.BoolFlag{Name: "no-timestamp", Usage: "leave the export time out of the header"},
			&cli.StringFlag{Name: "schema-url", Value: defaultSchemaURL, Usage: "JSON Schema `URL` for the editor modeline; empty: none"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error { return runExport(c, e) },
	}
}

func runExport(c *cli.Context, e *env) error {
	if c.NArg() > 0 {
		return fmt.Errorf("export takes no arguments (got %q); give the file with -o", c.Args().First())
	}
	opts := plan.ExportOptions{
		EmailDomains:  c.StringSlice("email-domain"),
		Organizations: c.StringSlice("organization"),
		SchemaURL:     c.String("schema-url"),
		Warn:          func(msg string) { fmt.Fprintf(e.stderr, "Warning: %s\n", msg) },
	}
	for _, t := range c.StringSlice("user-type") {
		switch ut := plan.UserType(strings.ToLower(t)); ut {
		case plan.TechnicianUser, plan.EndUserUser:
			opts.UserTypes = append(opts.UserTypes, ut)
		default:
			return fmt.Errorf("--user-type %q: want technician or end_user", t)
		}
	}
	if !c.Bool("no-timestamp") {
		t, err := exportTime(e)
		if err != nil {
			return err
		}
		opts.Time = t
	}

	out := c.String("output")
	if out != "-" && out != "" {
		if err := checkOutput("output", out); err != nil {
			return err
		}
	}

	client, closeFn, err := connect(c, e)
	if err != nil {
		return err
	}
	defer closeFn()
	opts.Source = exportSource(c, client)
	live, err := client.Snapshot(c.Context, ninjaone.SnapshotOptions{Organizations: true})
	if err != nil {
		return fmt.Errorf("reading NinjaOne: %w", err)
	}
	data, err := plan.Export(live, opts)
	if err != nil {
		return err
	}

	if out == "-" || out == "" {
		_, err := e.stdout.Write(data)
		return err
	}
	// An export that would change nothing but the time keeps the file as
	// it is, so exporting an unchanged tenant twice gives the same bytes.
	if old, err := readRegular(out); err == nil {
		same := bytes.Equal(old, data)
		if t, ok := plan.ExportTime(old); ok && !same && !opts.Time.IsZero() {
			again := opts
			again.Time, again.Warn = t, nil
			if prev, err := plan.Export(live, again); err == nil && bytes.Equal(prev, old) {
				same = true
			}
		}
		if same {
			// Kept as it is, but no longer readable by others.
			if err := safefile.Tighten(out); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%s is up to date: the tenant has not changed since it was exported.\n", out)
			return nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the previous export: %w", err)
	}
	if err := safefile.Write(out, data); err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	fmt.Fprintf(e.stderr, "Exported %s to %s.\n", plan.Count(countUsers(data), "user", ""), out)
	return nil
}

// readRegular reads path if it is a regular file; anything else (a
// device, a pipe) reads as not existing, so nothing blocks on it.
func readRegular(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fs.ErrNotExist
	}
	return os.ReadFile(path)
}

// exportTime is now, or SOURCE_DATE_EPOCH (the reproducible-builds
// convention) when set, so CI can produce byte-identical exports.
func exportTime(e *env) (time.Time, error) {
	if s := e.getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970-01-01 UTC", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

// exportSource names where the export came from: the host only, never a
// URL (which could carry credentials).
func exportSource(c *cli.Context, client *ninjaone.Client) string {
	if c.Bool(flagSandbox) {
		return "the built-in sandbox"
	}
	if u, err := url.Parse(client.BaseURL()); err == nil && u.Host != "" {
		return u.Host
	}
	return "NinjaOne"
}

// countUsers counts the entries of an export: Export writes each user as
// a list item whose first key is its email.
func countUsers(data []byte) int { return bytes.Count(data, []byte("\n  - email: ")) }
