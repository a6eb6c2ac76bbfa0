package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

func init() { register(versionCommand) }

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the commit it was built from and the Go version",
		Description: `Release builds set the version and commit with
  -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)";
otherwise they come from the Go build information: the module version for
go install ...@v1.2.3, the VCS revision for a build in a git checkout
(unless built with -buildvcs=false).`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("version takes no arguments (got %q)", c.Args().First())
			}
			return writeVersion(e.stdout)
		},
	}
}

// writeVersion prints what `ninjaops version` and `ninjaops --version`
// print.
func writeVersion(w io.Writer) error {
	bi, _ := debug.ReadBuildInfo()
	v, cm := buildVersion(version, commit, bi)
	_, err := fmt.Fprintf(w, "ninjaops %s\ncommit: %s\ngo: %s %s/%s\n", v, cm, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// buildVersion is the version and commit to print: those set with
// -ldflags -X first, then what the Go toolchain recorded in the binary.
func buildVersion(version, commit string, bi *debug.BuildInfo) (string, string) {
	if bi == nil {
		return version, commit
	}
	if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	if commit == "unknown" {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			commit = rev
			if dirty {
				// Built from a checkout with uncommitted changes: the
				// commit alone does not describe the binary.
				commit += " (modified)"
			}
		}
	}
	return version, commit
}
