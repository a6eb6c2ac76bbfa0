package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// TestREADMEBatonExamples runs every command of the README's `ninjaops
// baton` section, as written, in order, against the quickstart tenant
// (what `ninjaops sandbox serve` serves), and checks NinjaOne ends as the
// README says.
func TestREADMEBatonExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := readmeCommands(t, string(data), "### `ninjaops baton`")
	if len(lines) < 10 {
		t.Fatalf("found %d commands in the README's baton section", len(lines))
	}

	seed, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	srv, url := sandboxtest.New(t, sandbox.Options{Seed: seed})
	t.Chdir(t.TempDir())
	environ := map[string]string{}
	var created []string
	for _, line := range lines {
		args := shellWords(t, line)
		switch args[0] {
		case "export":
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("README: %q: want export NAME=VALUE", line)
				}
				// The README's sandbox listens on the default port; this
				// one on a free port.
				environ[k] = strings.Replace(v, "http://127.0.0.1:8765", url, 1)
			}
		case "ninjaops":
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
			if code := run(context.Background(), e, args); code != exitOK {
				t.Fatalf("README: %s\nexit %d\n%s", line, code, stderr.String())
			}
			if slices.Contains(args, "create-account") || slices.Contains(args, "--create-account-email") {
				created = append(created, strings.TrimSpace(stdout.String()))
			}
			if strings.Contains(stderr.String(), "nothing to do") {
				t.Errorf("README: %s changed nothing: %s", line, stderr.String())
			}
		default:
			t.Fatalf("README: %q is neither an export nor a ninjaops command", line)
		}
	}

	// The README creates user:109 and user:110, and deletes both.
	if !slices.Equal(created, []string{"user:109", "user:110"}) {
		t.Errorf("created %v, want user:109 and user:110, as the README says", created)
	}
	members := map[int32][]int32{}
	for _, r := range srv.Tenant().Roles {
		members[r.ID] = r.Members
	}
	for _, m := range []struct {
		role, user int32
		want       bool
	}{{12, 102, true}, {12, 103, false}, {11, 104, true}, {11, 107, false}} {
		if slices.Contains(members[m.role], m.user) != m.want {
			t.Errorf("role %d has user %d: %v, want %v", m.role, m.user, !m.want, m.want)
		}
	}
	for _, u := range srv.Tenant().Users {
		if u.ID == 109 || u.ID == 110 {
			t.Errorf("user 109 (%s) is still there", u.Email)
		}
	}
}

// readmeCommands returns the lines of the ```sh blocks of the README
// section that starts with heading, up to the next heading of its level.
func readmeCommands(t *testing.T, readme, heading string) []string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	section := readme[i+1:]
	if j := strings.Index(section[len(heading):], "\n### "); j >= 0 {
		section = section[:len(heading)+j]
	}
	var out []string
	in := false
	for _, l := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in && strings.TrimSpace(l) != "":
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// shellWords splits a command line as sh would, for the quoting the
// README uses (single and double quotes); anything else a shell would
// interpret is refused, so that the test never runs something other than
// what a reader would.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("$`\\|&;<>()#*?", r):
			t.Fatalf("README: %q: the test does not interpret %q", line, r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("README: %q: unterminated quote", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
