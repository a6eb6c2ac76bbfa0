package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// Every fenced block of README.md is exercised here, against a sandbox
// seeded for it. A block is run or checked by what it is:
//
//   - ```yaml: a desired-state file, which must pass validate and then
//     plan against the quickstart tenant (what --sandbox serves);
//   - ```sh: commands, each run as written (ninjaops, or `go run
//     ./cmd/ninjaops`, in process) from a directory that holds the
//     repository's examples/, with --sandbox as the tenant;
//
// and the others by a marker, an HTML comment (which GitHub does not
// show) on the line before the fence:
//
//	<!-- readme-test: usage -->            a command's usage line: its --help's
//	<!-- readme-test: output NAME -->      output, compared with what the
//	                                       scenario NAME (readmeOutputs) prints
//	<!-- readme-test: transcript -->       `$ command` lines, each followed by
//	                                       the output it prints, run and compared
//	<!-- readme-test: seed -->             a sandbox seed: parsed and served
//	<!-- readme-test: tree -->             the source tree: every path exists
//	<!-- readme-test: tested-by TestX -->  run, as written, by TestX
//	<!-- readme-test: not-run REASON -->   deliberately not run, and why
//
// Output is compared line by line, in order, blank lines aside; "..." in
// the README stands for any text, and the output may hold lines the
// README leaves out. The exceptions (tested-by, not-run) are few and each
// says why.
func TestREADMEBlocks(t *testing.T) {
	root, data := readREADME(t)
	blocks := readmeBlocks(t, string(data))
	if len(blocks) < 25 {
		t.Fatalf("found %d fenced blocks in README.md", len(blocks))
	}
	tests := readmeTestNames(t)
	seen := map[string]bool{}
	for _, b := range blocks {
		kind, arg, _ := strings.Cut(b.marker, " ")
		name := fmt.Sprintf("line%d_%s", b.line, cmp0(kind, b.info))
		t.Run(name, func(t *testing.T) {
			t.Logf("README.md:%d (%s)", b.line, b.section)
			switch {
			case kind == "" && b.info == "yaml":
				readmeDesired(t, root, b.body)
			case kind == "" && b.info == "sh":
				readmeShell(t, root, b.body)
			case kind == "usage":
				readmeUsage(t, b.body)
			case kind == "output":
				f, ok := readmeOutputs[arg]
				if !ok {
					t.Fatalf("README.md:%d: no output scenario %q in readmeOutputs", b.line, arg)
				}
				seen[arg] = true
				f(t, root, b.body)
			case kind == "transcript":
				readmeTranscript(t, root, b.body)
			case kind == "seed":
				seed, err := sandbox.ParseTenant("README.md", []byte(b.body))
				if err != nil {
					t.Fatal(err)
				}
				srv, _ := sandboxtest.New(t, sandbox.Options{Seed: seed})
				if got := len(srv.Tenant().Users); got != len(seed.Users) {
					t.Errorf("the sandbox serves %d users of the seed's %d", got, len(seed.Users))
				}
			case kind == "tree":
				for _, l := range strings.Split(strings.TrimSpace(b.body), "\n") {
					if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, " ") && strings.HasSuffix(f[0], "/") {
						if _, err := os.Stat(filepath.Join(root, f[0])); err != nil {
							t.Errorf("README.md:%d: %v", b.line, err)
						}
					}
				}
			case kind == "tested-by":
				if !tests[arg] {
					t.Errorf("README.md:%d: no test %s in this package", b.line, arg)
				}
			case kind == "not-run":
				if len(arg) < 20 {
					t.Errorf("README.md:%d: not-run needs its reason", b.line)
				}
				// A reason that names the test doing the work names one
				// that exists.
				for _, name := range regexp.MustCompile(`\bTest\w+`).FindAllString(arg, -1) {
					if !tests[name] {
						t.Errorf("README.md:%d: the reason names %s, which is no test of this package", b.line, name)
					}
				}
			default:
				t.Errorf("README.md:%d: a ```%s block with no way to test it: run it, or mark it (%q)", b.line, b.info, b.marker)
			}
		})
	}
	for name := range readmeOutputs {
		if !seen[name] {
			t.Errorf("output scenario %q is shown by no README block", name)
		}
	}
}

// readREADME returns the repository's root and its README.md.
func readREADME(t *testing.T) (string, []byte) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return root, data
}

func cmp0(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "plain"
}

type readmeBlock struct {
	line          int // of the opening fence
	section, info string
	marker        string // what the readme-test comment says, or ""
	body          string
}

var readmeMarker = regexp.MustCompile(`^<!-- readme-test: (.+?) -->$`)

func readmeBlocks(t *testing.T, readme string) []readmeBlock {
	t.Helper()
	var out []readmeBlock
	lines := strings.Split(readme, "\n")
	section := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "#") {
			section = strings.TrimLeft(l, "# ")
		}
		if readmeMarker.MatchString(l) && (i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```")) {
			t.Errorf("README.md:%d: a readme-test marker not directly before a fence", i+1)
		}
		if !strings.HasPrefix(l, "```") {
			continue
		}
		b := readmeBlock{line: i + 1, section: section, info: strings.TrimPrefix(l, "```")}
		if i > 0 {
			if m := readmeMarker.FindStringSubmatch(lines[i-1]); m != nil {
				b.marker = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("README.md:%d: unterminated fence", b.line)
		}
		b.body = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// readmeTestNames is the tests of this package, for tested-by.
func readmeTestNames(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
	}
	return names
}

// readmeDir is a directory to run the README's commands from: it holds
// the repository's examples (read only through a symbolic link), and the
// --sandbox state the commands make.
func readmeDir(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "examples"), filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

// readmeRun runs one ninjaops command line in process and returns its
// exit code, stdout and stderr.
func readmeRun(t *testing.T, environ map[string]string, args []string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
	code := run(context.Background(), e, append([]string{"ninjaops"}, args...))
	return code, stdout.String(), stderr.String()
}

func readmeDesired(t *testing.T, root, body string) {
	readmeDir(t, root)
	if err := os.WriteFile("ninjaops.yaml", []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"validate"}, {"plan", "--sandbox"}} {
		if code, _, stderr := readmeRun(t, nil, args); code != exitOK {
			t.Errorf("ninjaops %s of the README's file: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
}

// readmeNotRun are the lines of ```sh blocks that are not run, and why.
var readmeNotRun = map[string]string{
	"go test -race ./...": "the test suite itself, which runs this test",
}

// readmeShell runs a ```sh block line by line. Comments and blank lines
// are skipped; `> FILE` at the end writes stdout to FILE.
func readmeShell(t *testing.T, root, body string) {
	readmeDir(t, root)
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if why, ok := readmeNotRun[line]; ok {
			t.Logf("not run: %s: %s", line, why)
			continue
		}
		out := ""
		if cmd, file, ok := strings.Cut(line, " > "); ok && !strings.ContainsAny(file, " ") {
			line, out = cmd, file
		}
		args := shellWords(t, line)
		switch {
		case args[0] == "ninjaops":
			args = args[1:]
		case len(args) > 2 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/ninjaops":
			args = args[3:]
		default:
			t.Fatalf("README: %q is not a ninjaops command: run it here, or mark its block", line)
		}
		code, stdout, stderr := readmeRun(t, nil, args)
		if code != exitOK {
			t.Fatalf("README: %s\nexit %d\n%s", line, code, stderr)
		}
		if out != "" {
			if err := os.WriteFile(out, []byte(stdout), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readmeUsage checks a usage block against the usage line of the command
// it names.
func readmeUsage(t *testing.T, body string) {
	f := strings.Fields(body)
	var path []string
	for _, w := range f[1:] {
		if strings.HasPrefix(w, "[") {
			break
		}
		path = append(path, w)
	}
	c := findCommand(t, newApp(&env{getenv: func(string) string { return "" }}), strings.Join(path, " "))
	if got, want := strings.Join(f, " "), strings.Join(strings.Fields(c.UsageText), " "); got != want {
		t.Errorf("README shows the usage of ninjaops %s as\n%s\nit is\n%s", strings.Join(path, " "), got, want)
	}
}

// readmeTranscript runs `$ command` lines and compares what each prints
// (stdout and stderr; a `> FILE` at the end is stdout, which must then be
// empty when the README shows the output as the terminal's).
func readmeTranscript(t *testing.T, root, body string) {
	readmeDir(t, root)
	type step struct {
		line string
		want []string
	}
	var steps []step
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, step{line: cmd})
		} else if len(steps) == 0 {
			t.Fatalf("README: transcript output before any command: %q", l)
		} else {
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	for _, s := range steps {
		line, file, redirected := strings.Cut(s.line, " > ")
		args := shellWords(t, line)
		if args[0] != "ninjaops" {
			t.Fatalf("README: %q is not a ninjaops command", s.line)
		}
		_, stdout, stderr := readmeRun(t, nil, args[1:])
		got := stderr
		if redirected {
			if err := os.WriteFile(strings.TrimSpace(file), []byte(stdout), 0o600); err != nil {
				t.Fatal(err)
			}
		} else {
			got = stdout + stderr
		}
		readmeCompare(t, s.line, strings.Join(s.want, "\n"), got)
	}
}

// readmeCompare checks that every non-blank line of want is a line of
// got, in order; "..." in want matches any text.
func readmeCompare(t *testing.T, what, want, got string) {
	t.Helper()
	gotLines := strings.Split(got, "\n")
	i := 0
	for _, w := range strings.Split(want, "\n") {
		if strings.TrimSpace(w) == "" {
			continue
		}
		parts := strings.Split(w, "...")
		for k := range parts {
			parts[k] = regexp.QuoteMeta(parts[k])
		}
		re := regexp.MustCompile(`^` + strings.Join(parts, `.*`) + `$`)
		for i < len(gotLines) && !re.MatchString(gotLines[i]) {
			i++
		}
		if i == len(gotLines) {
			t.Errorf("%s: the README shows the line\n%s\nwhich is not in the output, in its place:\n%s", what, w, got)
			return
		}
		i++
	}
}

// readmeJSON compares a JSON block with the JSON printed: equal when
// exact, else of the same shape (every key the README shows is there,
// with a value of the same JSON type, arrays by their elements).
func readmeJSON(t *testing.T, what, want, got string, exact bool) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: the README's JSON: %v", what, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: the output: %v\n%s", what, err, got)
	}
	if exact {
		wb, _ := json.MarshalIndent(w, "", "  ")
		gb, _ := json.MarshalIndent(g, "", "  ")
		if !bytes.Equal(wb, gb) {
			t.Errorf("%s: the README's JSON\n%s\nis not what is printed:\n%s", what, wb, gb)
		}
		return
	}
	if !sameShape(w, g) {
		t.Errorf("%s: the output is not of the README's shape:\n%s", what, got)
	}
}

// sameShape says whether every key of w is in g with a value of the same
// shape; each element of a list in w must be like one of g's.
func sameShape(w, g any) bool {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if gv, ok := gm[k]; !ok || !sameShape(v, gv) {
				return false
			}
		}
		return true
	case []any:
		ga, ok := g.([]any)
		if !ok {
			return false
		}
		for _, v := range w {
			if !slices.ContainsFunc(ga, func(g any) bool { return sameShape(v, g) }) {
				return false
			}
		}
		return true
	case nil:
		return g == nil
	}
	return fmt.Sprintf("%T", w) == fmt.Sprintf("%T", g)
}

// readmeFile writes a scenario's file into the current directory.
func readmeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// readmeOutputs make the output the README shows, each from the state it
// describes, and compare it.
var readmeOutputs = map[string]func(t *testing.T, root, want string){
	// validate's errors, each at its place.
	"validate-errors": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		readmeFile(t, "ninjaops.yaml", `version: 1
settings:
  max_deletions: many
users:
  - email: alice@example.com
    type: technician
    first_name: Alice
    last_name: Smith
  - type: technician
    emial: bob@example.com
  - type: technician
    email: Alice@Example.com
    first_name: Alice
    last_name: Smith
`)
		code, _, stderr := readmeRun(t, nil, []string{"validate"})
		if code != exitError {
			t.Errorf("validate: exit %d, want %d", code, exitError)
		}
		readmeCompare(t, "validate", want, stderr)
	},
	// A look-alike: a warning, and the file is valid.
	"validate-warning": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		readmeFile(t, "ninjaops.yaml", `version: 1
users:
  - email: bob@example.com
    type: technician
    first_name: Bob
    last_name: Jones
  - email: аlice@example.com
    type: technician
    first_name: Alice
    last_name: Smith
`)
		code, stdout, stderr := readmeRun(t, nil, []string{"validate"})
		if code != exitOK || !strings.Contains(stdout, "valid") {
			t.Errorf("validate: exit %d, %s", code, stdout)
		}
		readmeCompare(t, "validate", want, stderr)
	},
	// The text plan: a name changed, and a member an exclusive role does
	// not declare, on the quickstart tenant.
	"plan-text": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		readmeFile(t, "ninjaops.yaml", readmePlanFile)
		code, stdout, stderr := readmeRun(t, nil, []string{"plan", "--sandbox"})
		if code != exitOK {
			t.Fatalf("plan: exit %d\n%s", code, stderr)
		}
		readmeCompare(t, "plan", want, stdout)
	},
	// The summary lines of the two kinds of drift.
	"plan-drift": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		readmeFile(t, "eve.yaml", `users:
  - {id: 1, firstName: Alice, lastName: Smith, email: alice@example.com, userType: TECHNICIAN}
  - {id: 2, firstName: Eve, lastName: Martin, email: eve@example.com, userType: TECHNICIAN}
`)
		readmeFile(t, "changes.yaml", `version: 1
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith-Jones}
`)
		_, first, stderr := readmeRun(t, nil, []string{"plan", "--sandbox", "--sandbox-seed", "eve.yaml", "-f", "changes.yaml"})
		// The end users of Customer Inc, three of them listed as they are.
		readmeFile(t, "unmanaged.yaml", `version: 1
settings:
  scope: {user_types: [end_user], organizations: [Customer Inc]}
users:
  - {email: bob@customer.example, type: end_user, first_name: Bob, last_name: Jones, organization: Customer Inc, full_portal_access: true, roles: [Portal Users, Approvers]}
  - {email: carol@customer.example, type: end_user, first_name: Carol, last_name: White, organization: Customer Inc, full_portal_access: false, roles: [Portal Users]}
  - {email: dave@customer.example, type: end_user, first_name: Dave, last_name: Brown, organization: Customer Inc, full_portal_access: true, roles: [Approvers]}
`)
		_, second, stderr2 := readmeRun(t, nil, []string{"plan", "--sandbox", "-f", "unmanaged.yaml"})
		readmeCompare(t, "plan", want, first+second+stderr+stderr2)
	},
	// The JSON plan, exactly.
	"plan-json": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		readmeFile(t, "ninjaops.yaml", `version: 1
settings:
  unmanaged_users: ignore
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith-Jones}
  - {email: carol@example.com, type: technician, first_name: Carol, last_name: White, roles: [Helpdesk]}
`)
		code, stdout, stderr := readmeRun(t, nil, []string{"plan", "--sandbox", "-o", "json"})
		if code != exitOK {
			t.Fatalf("plan: exit %d\n%s", code, stderr)
		}
		readmeJSON(t, "plan -o json", want, stdout, true)
	},
	// apply's progress lines, with a create NinjaOne refuses.
	"apply-progress": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		stderr, _ := readmeFailingApply(t)
		readmeCompare(t, "apply", want, stderr)
	},
	// The report of that apply: the same keys and kinds of values.
	"apply-report": func(t *testing.T, root, want string) {
		readmeDir(t, root)
		_, report := readmeFailingApply(t)
		readmeJSON(t, "apply --report", want, report, false)
	},
}

// readmePlanFile plans the README's text example on the quickstart
// tenant: Alice's last name, and Grace out of the exclusive Helpdesk.
const readmePlanFile = `version: 1
settings:
  unmanaged_users: ignore
roles:
  - {name: Helpdesk, type: technician, exclusive: true}
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith-Jones, roles: [Helpdesk]}
  - {email: carlos@example.com, type: technician, first_name: Carlos, last_name: Diaz, roles: [Helpdesk, Tier 2]}
`

// readmeFailingApply applies, to a tenant of 109 users, a file that
// creates sam@example.com in Helpdesk (user 110) and uma@customer.example
// and deletes max@example.com (user 8), where NinjaOne refuses the
// creation of uma and the deletion of max with a 400 (a proxy in front of
// the sandbox answers them), and
// returns apply's stderr and its report.
func readmeFailingApply(t *testing.T) (string, string) {
	t.Helper()
	var seed strings.Builder
	seed.WriteString("organizations: [{id: 2, name: Customer Inc}]\nroles: [{id: 1, name: Helpdesk, type: TECHNICIAN, members: []}]\nusers:\n")
	seed.WriteString("  - {id: 8, firstName: Max, lastName: Mustermann, email: max@example.com, userType: TECHNICIAN}\n")
	seed.WriteString("  - {id: 109, firstName: Last, lastName: One, email: last@example.com, userType: TECHNICIAN}\n")
	tenant, err := sandbox.ParseTenant("seed.yaml", []byte(seed.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, base := sandboxtest.New(t, sandbox.Options{Seed: tenant})
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/8") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"resultCode":"FAILURE","errorMessage":"the user owns open tickets"}`)
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/v2/user/end-users" {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte("uma@customer.example")) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"resultCode":"VALIDATION_FAILED","errorMessage":"the organization does not accept new users"}`)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	readmeFile(t, "ninjaops.yaml", `version: 1
settings:
  unmanaged_users: ignore
users:
  - {email: last@example.com, type: technician, first_name: Last, last_name: One}
  - {email: sam@example.com, type: technician, first_name: Sam, last_name: Ray, roles: [Helpdesk]}
  - {email: uma@customer.example, type: end_user, first_name: Uma, last_name: Bell, organization: Customer Inc}
  - {email: max@example.com, state: absent}
`)
	environ := map[string]string{"NINJAONE_BASE_URL": front.URL, "NINJAONE_CLIENT_ID": "sandbox", "NINJAONE_CLIENT_SECRET": "sandbox", envLockDir: t.TempDir()}
	code, _, stderr := readmeRun(t, environ, []string{"apply", "--auto-approve", "--parallelism", "1", "--report", "report.json"})
	if code != exitError {
		t.Errorf("apply: exit %d, want %d (a change failed)\n%s", code, exitError, stderr)
	}
	report, err := os.ReadFile("report.json")
	if err != nil {
		t.Fatal(err)
	}
	return stderr, string(report)
}

// The Quickstart's words about its first command: what the plan holds,
// and that after an apply a second plan has nothing to apply and names
// the two accounts the file leaves unmanaged.
func TestREADMEQuickstart(t *testing.T) {
	root, data := readREADME(t)
	words := strings.Join(strings.Fields(string(data)), " ")
	for _, said := range []string{
		"two users to create, two to update, one to delete, memberships to add and remove, and the warnings",
		"a second `plan` then says `No changes to apply.` and names the two accounts the file leaves unmanaged",
	} {
		if !strings.Contains(words, said) {
			t.Fatalf("the README's Quickstart no longer says %q: change this test with it", said)
		}
	}
	readmeDir(t, root)
	file := []string{"-f", "examples/quickstart/ninjaops.yaml", "--sandbox"}
	_, first, _ := readmeRun(t, nil, append([]string{"plan"}, file...))
	readmeCompare(t, "plan", "Plan: 2 to create, 2 to update, 1 to delete, ... memberships to add, ... to remove. ...\nWarnings (...):", first)
	if code, _, stderr := readmeRun(t, nil, append([]string{"apply", "--auto-approve"}, file...)); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	_, second, _ := readmeRun(t, nil, append([]string{"plan"}, file...))
	readmeCompare(t, "plan after apply", "No changes to apply. Unmanaged: 2 users in scope are not in the file: ...", second)
}

// The commands the README's prose shows inline (`ninjaops plan -o json`,
// `apply --auto-approve`) name commands and flags that exist. They are
// fragments of the blocks above, so they are not run; a placeholder
// (`...`, `<TAB>`, a pipe) ends what is checked.
func TestREADMEInlineCommands(t *testing.T) {
	_, data := readREADME(t)
	app := newApp(&env{getenv: func(string) string { return "" }})
	top := map[string]bool{}
	for _, c := range app.Commands {
		top[c.Name] = true
	}
	checked := 0
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(string(data), -1) {
		words := strings.Fields(m[1])
		if len(words) > 0 && words[0] == "ninjaops" {
			words = words[1:]
		} else if len(words) < 2 || !top[words[0]] || !strings.HasPrefix(words[1], "-") {
			continue
		}
		if len(words) == 0 || strings.HasPrefix(words[0], "--") && words[0] != "--version" {
			continue
		}
		checked++
		cmds, flags := app.Commands, app.Flags
		var path []string
		for i, w := range words {
			if w == "|" || strings.Contains(w, "...") || strings.Contains(w, "<") {
				break
			}
			if strings.HasPrefix(w, "-") {
				name := strings.TrimLeft(strings.SplitN(w, "=", 2)[0], "-")
				if !slices.ContainsFunc(flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) }) && name != "help" && name != "h" && (name != "version" || len(path) > 0) {
					t.Errorf("README: `%s`: ninjaops %s has no flag %s", m[1], strings.Join(path, " "), w)
				}
				continue
			}
			if i > 0 && strings.HasPrefix(words[i-1], "-") {
				continue // a flag's value
			}
			for _, c := range cmds {
				if c.Name == w || slices.Contains(c.Aliases, w) {
					path = append(path, w)
					cmds, flags = c.Subcommands, c.Flags
					break
				}
			}
		}
		if len(path) == 0 && words[0] != "--version" {
			t.Errorf("README: `%s` names no ninjaops command", m[1])
		}
	}
	if checked < 15 {
		t.Errorf("checked %d inline commands; the README has more", checked)
	}
}

// The guards' messages the README quotes, from the tenants it describes:
// 6 deletions among 240 users in scope, and the worked example's 60
// technicians with 3 roles each, from whom `Tier 2` is taken, next to 500
// end users the scope leaves out; both applies are refused (exit 3). And
// of 20 memberships in scope, 8 removals pass and 11 are refused.
func TestREADMEGuards(t *testing.T) {
	root, data := readREADME(t)
	words := strings.Join(strings.Fields(string(data)), " ")
	quoted := func(prefix string) string {
		t.Helper()
		m := regexp.MustCompile("`(" + regexp.QuoteMeta(prefix) + "[^`]*)`").FindStringSubmatch(words)
		if m == nil {
			t.Fatalf("the README no longer quotes %q...", prefix)
		}
		return m[1]
	}
	readmeDir(t, root)

	var seed, file strings.Builder
	seed.WriteString("users:\n")
	file.WriteString("version: 1\nsettings: {unmanaged_users: ignore}\nusers:\n")
	for i := 1; i <= 240; i++ {
		fmt.Fprintf(&seed, "  - {id: %d, firstName: T, lastName: N%d, email: t%d@example.com, userType: TECHNICIAN}\n", i, i, i)
		if i <= 6 {
			fmt.Fprintf(&file, "  - {email: t%d@example.com, state: absent}\n", i)
		}
	}
	readmeFile(t, "deletes.yaml", seed.String())
	readmeFile(t, "ninjaops.yaml", file.String())
	code, _, stderr := readmeRun(t, nil, []string{"apply", "--auto-approve", "--sandbox", "--sandbox-seed", "deletes.yaml"})
	want := strings.TrimSuffix(quoted("the plan deletes "), " ...")
	if code != exitGuard || !strings.Contains(stderr, strings.TrimSuffix(want, ";")) {
		t.Errorf("6 deletions of 240: exit %d, want %d and %q\n%s", code, exitGuard, want, stderr)
	}

	seed.Reset()
	file.Reset()
	var members []string
	for i := 1; i <= 60; i++ {
		members = append(members, fmt.Sprint(i))
	}
	all := strings.Join(members, ", ")
	fmt.Fprintf(&seed, "organizations: [{id: 1, name: Customer Inc}]\nroles:\n")
	for i, r := range []string{"Helpdesk", "Tier 2", "Read Only"} {
		fmt.Fprintf(&seed, "  - {id: %d, name: %s, type: TECHNICIAN, members: [%s]}\n", i+1, r, all)
	}
	seed.WriteString("  - {id: 11, name: Portal Users, type: END_USER, members: []}\nusers:\n")
	file.WriteString("version: 1\nsettings:\n  scope: {user_types: [technician]}\nusers:\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&seed, "  - {id: %d, firstName: T, lastName: N%d, email: t%d@example.com, userType: TECHNICIAN}\n", i, i, i)
		fmt.Fprintf(&file, "  - {email: t%d@example.com, type: technician, first_name: T, last_name: N%d, roles: [Helpdesk, Read Only]}\n", i, i)
	}
	for i := 1001; i <= 1500; i++ {
		fmt.Fprintf(&seed, "  - {id: %d, firstName: E, lastName: U%d, email: e%d@customer.example, userType: END_USER, organizationId: 1}\n", i, i, i)
	}
	readmeFile(t, "removals.yaml", seed.String())
	readmeFile(t, "ninjaops.yaml", file.String())
	code, _, stderr = readmeRun(t, nil, []string{"apply", "--auto-approve", "--sandbox", "--sandbox-seed", "removals.yaml"})
	want = quoted("the plan removes 60 of the 180 ")
	if code != exitGuard || !strings.Contains(stderr, want) {
		t.Errorf("Tier 2 taken from 60 technicians: exit %d, want %d and %q\n%s", code, exitGuard, want, stderr)
	}

	if !strings.Contains(words, "With only 20 memberships in scope, 8 removals (40%) are applied because they are 10 or fewer, and 11 (55%) are refused.") {
		t.Fatal("the README no longer says what 8 and 11 removals of 20 do: change this test with it")
	}
	for _, n := range []int{8, 11} {
		seed.Reset()
		file.Reset()
		seed.WriteString("roles: [{id: 1, name: Helpdesk, type: TECHNICIAN, members: [")
		file.WriteString("version: 1\nsettings: {unmanaged_users: ignore}\nusers:\n")
		for i := 1; i <= 20; i++ {
			fmt.Fprintf(&seed, "%d, ", i)
			roles := "[Helpdesk]"
			if i <= n {
				roles = "[]"
			}
			fmt.Fprintf(&file, "  - {email: t%d@example.com, type: technician, first_name: T, last_name: N%d, roles: %s}\n", i, i, roles)
		}
		seed.WriteString("]}]\nusers:\n")
		for i := 1; i <= 20; i++ {
			fmt.Fprintf(&seed, "  - {id: %d, firstName: T, lastName: N%d, email: t%d@example.com, userType: TECHNICIAN}\n", i, i, i)
		}
		// The same seed each time: a state of its own for each (the
		// seed's default state would hold the first run's removals).
		name := fmt.Sprintf("twenty-%d.yaml", n)
		readmeFile(t, name, seed.String())
		readmeFile(t, "ninjaops.yaml", file.String())
		code, _, stderr = readmeRun(t, nil, []string{"apply", "--auto-approve", "--sandbox", "--sandbox-seed", name, "--sandbox-state", name + ".json"})
		if want := map[int]int{8: exitOK, 11: exitGuard}[n]; code != want {
			t.Errorf("%d removals of 20 memberships: exit %d, want %d\n%s", n, code, want, stderr)
		}
	}
}

// The plan file's format as the README gives it: its keys, the target of
// a --sandbox plan, and the checksum's form.
func TestREADMEPlanFile(t *testing.T) {
	root, data := readREADME(t)
	words := strings.Join(strings.Fields(string(data)), " ")
	format := `{"format_version":"1","target":"<host> client:<digest>","desired":{"path",...,"source":<base64>,"source_sha256":...},"plan":{...},"checksum":"sha256:..."}`
	if !strings.Contains(words, "`"+format+"`") || !strings.Contains(words, "`sandbox state:<digest>` for `--sandbox`") {
		t.Fatal("the README no longer describes the plan file so: change this test with it")
	}
	readmeDir(t, root)
	if code, _, stderr := readmeRun(t, nil, []string{"plan", "--sandbox", "-f", "examples/quickstart/ninjaops.yaml", "--out", "plan.json"}); code != exitOK {
		t.Fatalf("plan --out: exit %d\n%s", code, stderr)
	}
	raw, err := os.ReadFile("plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var pf struct {
		FormatVersion string         `json:"format_version"`
		Target        string         `json:"target"`
		Plan          map[string]any `json:"plan"`
		Checksum      string         `json:"checksum"`
	}
	if err := json.Unmarshal(raw, &pf); err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	var desired map[string]json.RawMessage
	if err := json.Unmarshal(keys["desired"], &desired); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"path", "source", "source_sha256"} {
		if _, ok := desired[k]; !ok {
			t.Errorf("the plan file's desired has no %q", k)
		}
	}
	if pf.FormatVersion != "1" || !regexp.MustCompile(`^sandbox state:[0-9a-f]+$`).MatchString(pf.Target) ||
		len(pf.Plan) == 0 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(pf.Checksum) {
		t.Errorf("the plan file is not as the README says: format_version %q, target %q, plan of %d keys, checksum %q",
			pf.FormatVersion, pf.Target, len(pf.Plan), pf.Checksum)
	}
}

// readmeOtherTools are the commands of other tools that the README's prose
// shows inline, none of which this test suite runs as written, each with
// the reason; TestREADMEOtherCommands fails on one that is not here.
var readmeOtherTools = map[string]string{
	"apt-get install zsh fish":    "installs packages on the machine; .ci/run does it, and the completion script fails there when a shell is missing",
	"baton resources -f sync.c1z": "the public baton tool, not in this module; TestScripts/baton_sync reads the c1z it would read",
	"baton grants":                "the public baton tool, not in this module",
	"baton stats":                 "the public baton tool, not in this module",
	"docker run --rm ghcr.io/ninjaops/ninjaops:v0.1.0 plan --help": "needs a docker daemon and the published image; examples/deploy checks the image's entrypoint and default command in the Dockerfiles",
	"goreleaser check":             "run by examples/deploy",
	"goreleaser release --clean":   "publishes a release; examples/deploy runs goreleaser check and a snapshot build instead",
	"go vet":                       "run by .ci/run before the tests",
	"timeout 60 ninjaops plan ...": "the signal handling it relies on is tested by TestScripts/signals and the signals tests",
	"go test ./cmd/ninjaops -run TestScripts/apply_":  "a part of this test suite; the test checks that the scripts it names exist",
	"go test -v -run TestReadProperty ./cmd/ninjaops": "a part of this test suite; the test checks that the test it names exists",
}

// Inline commands of other tools are listed in readmeOtherTools with why
// they are not run, and the tests they name exist.
func TestREADMEOtherCommands(t *testing.T) {
	_, data := readREADME(t)
	words := strings.Join(strings.Fields(string(data)), " ")
	tool := regexp.MustCompile("`((?:apt-get|baton (?:resources|grants|stats)|docker|goreleaser|go (?:vet|test|run|build|install)|timeout|kubectl|curl) [^`]*|go vet|baton grants|baton stats)`")
	seen := map[string]bool{}
	for _, m := range tool.FindAllStringSubmatch(words, -1) {
		if strings.HasPrefix(m[1], "go run ./cmd/ninjaops") || m[1] == "go test -race ./..." {
			continue // run by TestREADMEBlocks
		}
		seen[m[1]] = true
		if _, ok := readmeOtherTools[m[1]]; !ok {
			t.Errorf("README: `%s` is a command this suite does not run: add it to readmeOtherTools with the reason", m[1])
		}
	}
	for cmd := range readmeOtherTools {
		if !seen[cmd] {
			t.Errorf("readmeOtherTools lists `%s`, which the README no longer shows", cmd)
		}
	}
	tests := readmeTestNames(t)
	if !tests["TestReadProperty"] || !tests["TestScripts"] {
		t.Error("the README names TestReadProperty and TestScripts, which are not both tests of this package")
	}
	if m, _ := filepath.Glob(filepath.Join("testdata", "script", "apply_*.txtar")); len(m) == 0 {
		t.Error("the README runs TestScripts/apply_, and there is no apply_ script")
	}
}
