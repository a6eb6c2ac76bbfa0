package ci

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// stepScript returns the run script and the env keys of the named step of
// the workflow file.
func stepScript(t *testing.T, file, name string) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			if st.Name == name {
				var keys []string
				for k := range st.Env {
					keys = append(keys, k)
				}
				return st.Run, keys
			}
		}
	}
	t.Fatalf("%s has no step %q", file, name)
	return "", nil
}

// buildNinjaops builds the ninjaops command into dir.
func buildNinjaops(t *testing.T, dir string) {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatal("no go command to build ninjaops with")
		}
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, "ninjaops"), "github.com/ninjaops/ninjaops/cmd/ninjaops")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building ninjaops: %v\n%s", err, out)
	}
}

// The drift workflow's check, run as GitHub runs it (bash -eo pipefail)
// with the real ninjaops against the quickstart sandbox: it passes with
// no drift, fails with 2 on drift and says which kind (an account created
// behind the file's back included), names the unmanaged users in the job
// summary, and reports an error as an error.
func TestDriftWorkflowReportsDrift(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("NINJAOPS_REQUIRE_SHELLS") != "" {
			t.Fatal("jq is not installed, and NINJAOPS_REQUIRE_SHELLS (set by .ci/run, which installs it) says this test must run")
		}
		t.Skip("jq is not installed here (GitHub's runners have it); the drift workflow needs it")
	}
	script, envKeys := stepScript(t, filepath.Join("github", "ninjaops-drift.yml"), "Check for drift")
	for _, k := range []string{"NINJAONE_BASE_URL", "NINJAONE_CLIENT_ID", "NINJAONE_CLIENT_SECRET", "NINJAONE_SCOPE"} {
		if !strings.Contains(strings.Join(envKeys, " "), k) {
			t.Errorf("the step does not set %s", k)
		}
	}
	bin := t.TempDir()
	buildNinjaops(t, bin)
	seed, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	_, url := sandboxtest.New(t, sandbox.Options{Seed: seed, ClientID: "sandbox", ClientSecret: "sandbox"})

	// Globex's two people in the quickstart tenant; the file lists them.
	const ivan = "  - {email: ivan@globex.customer.example, type: end_user, first_name: Ivan, last_name: %s, organization: Globex, roles: [Portal Users]}\n"
	const olga = "  - {email: olga@globex.customer.example, type: end_user, first_name: Olga, last_name: Ivanova, organization: Globex, roles: []}\n"
	file := func(mode, ivanLast string, withOlga bool) string {
		s := "version: 1\nsettings:\n  unmanaged_users: " + mode + "\n  scope:\n    email_domains: [globex.customer.example]\nusers:\n" +
			strings.Replace(ivan, "%s", ivanLast, 1)
		if withOlga {
			s += olga
		}
		return s
	}
	tests := []struct {
		name    string
		file    string
		code    int
		stdout  []string
		summary []string
	}{
		{"no drift", file("report", "Petrov", true), 0,
			[]string{"No drift: NinjaOne matches ninjaops.yaml."}, []string{"No drift"}},
		{"an unmanaged account", file("report", "Petrov", false), 2,
			[]string{"::error title=Drift::NinjaOne has accounts in scope that ninjaops.yaml does not list (unmanaged users: 1); the job summary names them"},
			[]string{"### ninjaops plan: no changes to apply; 1 unmanaged user", "olga&#64;globex.customer.example"}},
		{"changes and an unmanaged account", file("report", "Petrova", false), 2,
			[]string{"::error title=Drift::NinjaOne differs from ninjaops.yaml on main (changes to restore it: 1; unmanaged users: 1); see the job summary"},
			[]string{"1 to update", "olga&#64;globex.customer.example"}},
		{"changes, unmanaged accounts ignored", file("ignore", "Petrova", false), 2,
			[]string{"::error title=Drift::NinjaOne differs from ninjaops.yaml on main (changes to restore it: 1); they are in the job summary"},
			[]string{"1 to update"}},
		{"unmanaged accounts ignored: no drift", file("ignore", "Petrov", false), 0,
			[]string{"No drift"}, []string{"No drift"}},
		{"an error is not drift", "version: 2\n", 1,
			[]string{"::error title=Drift check failed::ninjaops exited with 1: an error, not drift"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "ninjaops.yaml"), []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			summary := filepath.Join(dir, "summary.md")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
			cmd.Dir = dir
			cmd.Env = []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"HOME=" + dir,
				"GITHUB_STEP_SUMMARY=" + summary,
				"NINJAONE_BASE_URL=" + url,
				"NINJAONE_CLIENT_ID=sandbox",
				"NINJAONE_CLIENT_SECRET=sandbox",
				"NINJAONE_SCOPE=monitoring",
			}
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, out)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			sum, _ := os.ReadFile(summary)
			for _, want := range tc.summary {
				if !strings.Contains(string(sum), want) {
					t.Errorf("job summary lacks %q:\n%s", want, sum)
				}
			}
		})
	}
}
