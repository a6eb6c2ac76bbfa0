package ci

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// workflows are the example workflow files.
func workflows(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join("github", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found %d workflow files in github/, want the plan, apply and drift workflows", len(files))
	}
	return files
}

var (
	buildOnce sync.Once
	linterDir string
	linter    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if linterDir != "" {
		os.RemoveAll(linterDir)
	}
	os.Exit(code)
}

// actionlint builds the lint command (lint/, its own module: see its doc
// comment) once and returns its path.
func actionlint(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			if goTool, err = exec.LookPath("go"); err != nil {
				buildErr = errors.New("no go command to build actionlint with")
				return
			}
		}
		dir, err := os.MkdirTemp("", "ninjaops-actionlint-")
		if err != nil {
			buildErr = err
			return
		}
		linterDir, linter = dir, filepath.Join(dir, "lint")
		cmd := exec.Command(goTool, "build", "-o", linter, ".")
		cmd.Dir = "lint"
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("building actionlint: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return linter
}

func runLint(t *testing.T, files ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(actionlint(t), files...).CombinedOutput()
	return string(out), err
}

var shaRef = regexp.MustCompile(`(uses:\s*[\w.-]+/[\w.-]+)@[0-9a-f]{40}\s*#\s*(v\d+)[\w.-]*`)

// Every example workflow passes actionlint with no finding. actionlint
// checks the inputs of well-known actions only for refs like @v4, not for
// commit SHAs, so each workflow is also linted with its pinned SHAs
// replaced by the major version their comment names.
func TestActionlint(t *testing.T) {
	files := workflows(t)
	tmp := t.TempDir()
	var tagged []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, filepath.Base(f))
		if err := os.WriteFile(p, shaRef.ReplaceAll(data, []byte("$1@$2")), 0o644); err != nil {
			t.Fatal(err)
		}
		tagged = append(tagged, p)
	}
	if out, err := runLint(t, append(files, tagged...)...); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

// The check must be able to fail: a broken workflow gives findings, with
// a pinned SHA turned into its tag as TestActionlint does.
func TestActionlintFindsProblems(t *testing.T) {
	bad := []byte(`on: push
permissions:
  contents: read
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
        with:
          run-idx: 1
      - run: echo "${{ steps.nope.outputs.x }}"
`)
	p := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(p, shaRef.ReplaceAll(bad, []byte("$1@$2")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runLint(t, p)
	if err == nil {
		t.Fatalf("actionlint found nothing wrong in a broken workflow:\n%s", out)
	}
	for _, want := range []string{`input "run-idx" is not defined`, `property "nope" is not defined`} {
		if !strings.Contains(out, want) {
			t.Errorf("actionlint output lacks %q:\n%s", want, out)
		}
	}
}

var (
	usesLine = regexp.MustCompile(`(?m)^\s*(?:-\s*)?uses:\s*(\S+)(.*)$`)
	pinned   = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	version  = regexp.MustCompile(`#\s*v\d+\.\d+\.\d+`)
	envUse   = regexp.MustCompile(`^\s+NINJAONE_[A-Z_]+: \$\{\{ secrets\.NINJAONE_[A-Z_]+ \}\}$`)
)

// Habits actionlint does not check: every action is pinned to a full
// commit SHA with its version in a comment, every workflow starts from
// read-only permissions, and secrets reach ninjaops only as NINJAONE_*
// environment variables, never on a command line.
func TestWorkflowHabits(t *testing.T) {
	for _, f := range workflows(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for _, m := range usesLine.FindAllStringSubmatch(s, -1) {
			if !pinned.MatchString(m[1]) || !version.MatchString(m[2]) {
				t.Errorf("%s: %q is not pinned to a commit SHA with a # vX.Y.Z comment", f, strings.TrimSpace(m[0]))
			}
		}
		if !strings.Contains(s, "\npermissions:\n  contents: read\n") {
			t.Errorf("%s: no top-level permissions: contents: read", f)
		}
		if !strings.Contains(s, "\nconcurrency:\n") {
			t.Errorf("%s: no concurrency group", f)
		}
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "secrets.") && !envUse.MatchString(line) {
				t.Errorf("%s: a secret used other than as a NINJAONE_* environment variable: %q", f, strings.TrimSpace(line))
			}
		}
	}
}
