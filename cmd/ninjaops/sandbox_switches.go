package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// The `sandbox serve` flags for the sandbox's switches: how objects are
// shaped, and what real tenants may do that the default sandbox does not.
// Each maps onto one sandbox.Options field (README: ninjaops sandbox serve).

func sandboxSwitchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shape", Value: string(sandbox.ShapeSpec), Usage: "how objects are written: `SHAPE` spec (exactly the spec's keys), all-keys, legacy or sparse"},
		&cli.StringFlag{Name: "scopes", Value: "monitoring management control", Usage: "the `SCOPES` the client app was granted (space or comma separated)"},
		&cli.BoolFlag{Name: "partial-scopes", Usage: "grant the asked scopes the app has and drop the others instead of refusing the token call"},
		&cli.BoolFlag{Name: "token-without-scope", Usage: "leave scope out of the token answer"},
		&cli.IntFlag{Name: "org-page-cap", Usage: "serve at most `N` organizations a page, whatever pageSize asks"},
		&cli.Float64Flag{Name: "truncate-technicians", Usage: "leave fraction `F` of the technicians out of their list (roles still name them)"},
		&cli.Float64Flag{Name: "truncate-end-users", Usage: "leave fraction `F` of the end users out of their list (roles still name them)"},
		&cli.BoolFlag{Name: "truncate-spread", Usage: "leave out users spread over the list instead of its last ones"},
		&cli.StringFlag{Name: "truncate-users", Value: sandbox.TruncateUsersComplete, Usage: "`HOW` GET /v2/users reflects the truncation: complete (lists everyone) or same (leaves out the same users)"},
		&cli.StringFlag{Name: "roles-without-members", Usage: "list roles without their members: `HOW` missing (no key) or null"},
		&cli.StringFlag{Name: "roles-without-members-ids", Usage: "only these roles (`IDS`, comma separated; default every role)"},
		&cli.StringFlag{Name: "user-context-required", Usage: "answer writes under these path `PREFIXES` (comma separated, / for every write) with 403 user_context_required"},
		&cli.StringFlag{Name: "redirect-to", Usage: "answer with a redirect to `URL` (the request's path and query appended)"},
		&cli.StringFlag{Name: "redirect-calls", Value: "token,api", Usage: "which calls --redirect-to redirects: `CALLS` token, api or both"},
		&cli.IntFlag{Name: "redirect-status", Value: 307, Usage: "the redirect's `STATUS`: 301, 302, 303, 307 or 308"},
		&cli.IntFlag{Name: "drip-bytes", Usage: "write list answers `N` bytes at a time"},
		&cli.DurationFlag{Name: "drip-interval", Usage: "`DURATION` between the writes of --drip-bytes"},
	}
}

// sandboxSwitches fills opts from the switch flags.
func sandboxSwitches(c *cli.Context, opts *sandbox.Options) error {
	opts.Shape = sandbox.Shape(c.String("shape"))
	opts.Scopes = splitList(c.String("scopes"))
	if len(opts.Scopes) == 0 {
		return fmt.Errorf("--scopes must name at least one scope")
	}
	opts.PartialScopes = c.Bool("partial-scopes")
	opts.TokenWithoutScope = c.Bool("token-without-scope")
	opts.OrgPageCap = c.Int("org-page-cap")
	opts.Truncate = sandbox.Truncation{
		Technicians: c.Float64("truncate-technicians"),
		EndUsers:    c.Float64("truncate-end-users"),
		Spread:      c.Bool("truncate-spread"),
		Users:       c.String("truncate-users"),
	}
	opts.RolesWithoutMembers = c.String("roles-without-members")
	if v := c.String("roles-without-members-ids"); v != "" {
		for _, f := range splitList(v) {
			id, err := strconv.ParseInt(f, 10, 32)
			if err != nil || id < 1 {
				return fmt.Errorf("--roles-without-members-ids: %q is not a role id", f)
			}
			opts.RolesWithoutMembersIDs = append(opts.RolesWithoutMembersIDs, int32(id))
		}
		if opts.RolesWithoutMembers == "" {
			return fmt.Errorf("--roles-without-members-ids needs --roles-without-members missing or null")
		}
	}
	opts.UserContextRequired = splitList(c.String("user-context-required"))
	if to := c.String("redirect-to"); to != "" {
		r := &sandbox.Redirect{Location: to, Status: c.Int("redirect-status")}
		for _, k := range splitList(c.String("redirect-calls")) {
			switch k {
			case "token":
				r.Token = true
			case "api":
				r.API = true
			default:
				return fmt.Errorf("--redirect-calls: %q is neither token nor api", k)
			}
		}
		opts.Redirect = r
	}
	if n := c.Int("drip-bytes"); n != 0 || c.Duration("drip-interval") != 0 {
		opts.Drip = &sandbox.Drip{Bytes: n, Interval: c.Duration("drip-interval")}
	}
	return nil
}

// splitList splits a comma- or space-separated list, dropping empties.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
