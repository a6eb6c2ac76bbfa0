package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// The commands the example files give in their comments run as written,
// from the repository's root: `ninjaops sandbox serve --seed FILE` is the
// sandbox serving FILE (in process, on a free port in place of the
// default 127.0.0.1:8765), and a plan prints the same whether the tenant
// is served or --sandbox.
func TestExampleCommands(t *testing.T) {
	root, _ := readREADME(t)
	for _, tc := range []struct {
		file  string
		plans int    // how many plans it shows
		want  string // a line every plan prints
	}{
		{"examples/quickstart/ninjaops.yaml", 1, "Plan: 2 to create, 2 to update, 1 to delete, ..."},
		{"examples/msp/ninjaops.yaml", 2, "Plan: 2 to create, 1 to update, 1 to delete, 3 memberships to add, 2 to remove. Unmanaged: 1 user in scope is not in the file: temp@contoso-dental.example."},
		{"examples/msp/sandbox.yaml", 0, ""},
	} {
		t.Run(strings.ReplaceAll(tc.file, "/", "_"), func(t *testing.T) {
			readmeDir(t, root)
			lines := exampleCommands(t, tc.file)
			if len(lines) == 0 {
				t.Fatalf("%s shows no command", tc.file)
			}
			environ := map[string]string{}
			base := ""
			var plans []string
			for _, line := range lines {
				line = strings.TrimSpace(strings.TrimSuffix(line, "&"))
				args := shellWords(t, line)
				for len(args) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(args[0]) {
					k, v, _ := strings.Cut(args[0], "=")
					environ[k] = strings.Replace(v, "http://127.0.0.1:8765", base, 1)
					args = args[1:]
				}
				switch {
				case len(args) > 2 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/ninjaops":
					args = args[3:]
				case len(args) > 0 && args[0] == "ninjaops":
					args = args[1:]
				default:
					t.Fatalf("%s: %q is not a ninjaops command", tc.file, line)
				}
				if len(args) > 1 && args[0] == "sandbox" && args[1] == "serve" {
					if len(args) != 4 || args[2] != "--seed" {
						t.Fatalf("%s: %q: the test serves only --seed FILE", tc.file, line)
					}
					seed, err := sandbox.LoadTenant(args[3])
					if err != nil {
						t.Fatal(err)
					}
					_, base = sandboxtest.New(t, sandbox.Options{Seed: seed})
					continue
				}
				code, stdout, stderr := readmeRun(t, environ, args)
				if code != exitOK {
					t.Fatalf("%s: %s\nexit %d\n%s", tc.file, line, code, stderr)
				}
				if args[0] == "plan" {
					plans = append(plans, stdout)
					readmeCompare(t, line, tc.want, stdout)
				}
			}
			if len(plans) != tc.plans {
				t.Errorf("%s: %d plans run, want %d", tc.file, len(plans), tc.plans)
			}
			for _, p := range plans[min(1, len(plans)):] {
				if p != plans[0] {
					t.Errorf("%s: the plans differ:\n%s\n----\n%s", tc.file, plans[0], p)
				}
			}
		})
	}
}

// exampleCommands are the command lines of a file's comments: lines
// "#   command", with a trailing backslash continued on the next.
func exampleCommands(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data := string(raw)
	var out []string
	cont := false
	for _, l := range strings.Split(data, "\n") {
		body, ok := strings.CutPrefix(l, "#   ")
		if !ok {
			cont = false
			continue
		}
		body = strings.TrimSpace(body)
		joined := strings.TrimSuffix(body, "\\")
		if cont {
			out[len(out)-1] += " " + strings.TrimSpace(joined)
		} else if regexp.MustCompile(`^(ninjaops|go run|[A-Z_]+=)`).MatchString(body) {
			out = append(out, strings.TrimSpace(joined))
		} else {
			continue
		}
		cont = strings.HasSuffix(body, "\\")
	}
	return out
}
