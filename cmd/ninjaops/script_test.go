package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ninjaops/ninjaops/internal/plan"
)

// The end-to-end tests are txtar scripts in testdata/script that run the
// real ninjaops main (the test binary re-executes itself as `ninjaops`).

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ninjaops": func() {
			net.DefaultResolver = offlineResolver()
			exitRecordingPeak(ninjaopsMain())
		},
		// The bare read, as a process of its own: BenchmarkPlan's baseline.
		"ninjaops-snapshot": func() { exitRecordingPeak(snapshotMain()) },
		// ninjaops' read alone, through its own flags and connection:
		// BenchmarkReadFloor's read side (bench_floor_test.go).
		"ninjaops-read": func() { os.Exit(readMain()) },
	})
}

func TestScripts(t *testing.T) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"freeport":   cmdFreeport,
		"waithttp":   cmdWaitHTTP,
		"http":       cmdHTTP,
		"httptoken":  cmdHTTPToken,
		"gendesired": cmdGenDesired,
		"replace":    cmdReplace,
		"waitcount":  cmdWaitCount,
		"truncate":   cmdTruncate,
		"waitfile":   cmdWaitFile,
		"fileinfo":   cmdFileinfo,
		"dupcheck":   cmdDupcheck,
		"forgeplan":  cmdForgePlan,
	}
	for name, f := range platformCmds {
		cmds[name] = f
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// Never let a developer's real credentials reach a script.
			for _, k := range []string{"NINJAONE_BASE_URL", "NINJAONE_CLIENT_ID", "NINJAONE_CLIENT_SECRET", "NINJAONE_SCOPE",
				"BATON_NINJA_ONE_BASE_URL", "BATON_NINJA_ONE_CLIENT_ID", "BATON_NINJA_ONE_CLIENT_SECRET", "BATON_NINJA_ONE_SCOPE", "NO_COLOR",
				// ConductorOne's credentials, and the standard baton
				// variables a developer's shell may hold; set but empty, as
				// here, they are unset.
				"BATON_CLIENT_ID", "BATON_CLIENT_SECRET", "BATON_PROVISIONING", "BATON_FILE", "BATON_LOG_LEVEL", "BATON_LOG_FORMAT",
				"BATON_STORAGE_ENGINE", "BATON_C1Z_TEMP_DIR", "BATON_SYNC_RESOURCES", "BATON_SYNC_RESOURCE_TYPES",
				envProtected} {
				e.Setenv(k, "")
			}
			// Each script's applies lock in a directory of its own (as on
			// one machine); a script may point two applies at two.
			e.Setenv(envLockDir, filepath.Join(e.WorkDir, ".locks"))
			return nil
		},
		Condition: scriptCondition,
		Cmds:      cmds,
	})
}

// freeport VAR sets VAR to a TCP port that is free on 127.0.0.1 now.
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], fmt.Sprint(port))
}

// waithttp URL waits up to 20s for URL to answer any HTTP status.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithttp URL")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not answer: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// http [-bearer TOKEN] [-form] [-noredirect] [-status N] METHOD URL [BODY]
// sends one request and writes the response body to stdout and the status
// line and headers ("HTTP 429", "Retry-After: 1") to stderr. A body is
// sent as JSON, or form-encoded with -form; -noredirect answers a redirect
// instead of following it; -status makes any other status fail.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: http [-bearer TOKEN] [-form] [-noredirect] [-status N] METHOD URL [BODY]"
	var bearer string
	var form, noRedirect bool
	status := 0
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-bearer" && len(args) > 1:
			bearer, args = args[1], args[2:]
		case args[0] == "-form":
			form, args = true, args[1:]
		case args[0] == "-noredirect":
			noRedirect, args = true, args[1:]
		case args[0] == "-status" && len(args) > 1:
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			status, args = n, args[2:]
		default:
			ts.Fatalf("%s", usage)
		}
	}
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("%s", usage)
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], args[1], body)
	ts.Check(err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	client := http.DefaultClient
	if noRedirect {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	ts.Stdout().Write(data)
	fmt.Fprintf(ts.Stderr(), "HTTP %d\n", resp.StatusCode)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(ts.Stderr(), "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	if status != 0 && resp.StatusCode != status {
		ts.Fatalf("%s %s: status %d, want %d: %s", args[0], args[1], resp.StatusCode, status, data)
	}
}

// httptoken VAR BASEURL CLIENTID SECRET [SCOPE] fetches an OAuth2 client
// credentials token from BASEURL/ws/oauth/token and sets VAR to it.
func cmdHTTPToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || len(args) > 5 {
		ts.Fatalf("usage: httptoken VAR BASEURL CLIENTID SECRET [SCOPE]")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {args[2]}, "client_secret": {args[3]}}
	if len(args) == 5 {
		form.Set("scope", args[4])
	}
	resp, err := http.PostForm(args[1]+"/ws/oauth/token", form)
	ts.Check(err)
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &tok) != nil || tok.AccessToken == "" {
		ts.Fatalf("token: %d %s", resp.StatusCode, data)
	}
	ts.Setenv(args[0], tok.AccessToken)
}

// gendesired N FILE writes a ninjaops.yaml declaring N new technicians
// (new001@example.com ...), each in the quickstart roles Helpdesk and
// Tier 2: N creates and 2N membership additions against the quickstart
// tenant.
func cmdGenDesired(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gendesired N FILE")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	var b strings.Builder
	b.WriteString("version: 1\nsettings:\n  unmanaged_users: ignore\nusers:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - email: new%03d@example.com\n    type: technician\n    first_name: New\n    last_name: User%03d\n    roles: [Helpdesk, Tier 2]\n", i, i)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

// replace FILE OLD NEW replaces the first OLD in FILE with NEW, failing
// when OLD is not there.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	if !strings.Contains(string(data), args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(p, []byte(strings.Replace(string(data), args[1], args[2], 1)), 0o644))
}

// waitcount STATSURL KEY N waits up to 60s until the sandbox at STATSURL
// has counted at least N requests of KEY (e.g. "POST /v2/user/technicians"),
// so a script can interrupt a command in the middle of its work instead of
// after a guessed delay.
func cmdWaitCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: waitcount STATSURL KEY N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st struct {
			Requests map[string]int `json:"requests"`
		}
		resp, err := http.Get(args[0])
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if err == nil && st.Requests[args[1]] >= n {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: %q did not reach %d (have %d, err %v)", args[0], args[1], n, st.Requests[args[1]], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// truncate FILE N cuts FILE to its first N bytes, as an interrupted copy
// would.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), int64(n)))
}

// fileinfo FILE... prints, for each FILE, its kind and permissions, e.g.
// "plan.json: regular 0600" or "fifo: named pipe 0600", without
// following a symbolic link.
func cmdFileinfo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: fileinfo FILE...")
	}
	for _, a := range args {
		fi, err := os.Lstat(ts.MkAbs(a))
		ts.Check(err)
		m := fi.Mode()
		kind := "regular"
		switch {
		case m.IsDir():
			kind = "directory"
		case m&fs.ModeSymlink != 0:
			kind = "symlink"
		case m&fs.ModeNamedPipe != 0:
			kind = "named pipe"
		case m&fs.ModeCharDevice != 0:
			kind = "character device"
		case !m.IsRegular():
			kind = "other"
		}
		fmt.Fprintf(ts.Stdout(), "%s: %s %04o\n", a, kind, m.Perm())
	}
}

// dupcheck STATEURL NAME... reads the sandbox's state and fails if an email
// is held by more than one user unless one of the applies NAME (output in
// NAME.out, exit code in NAME.code) exited 1 naming the email and every id
// holding it, and did not claim success; when none is, every apply must
// have completed (exit 0). It prints how many emails are
// held twice, and how many creations were adopted, for the log.
func cmdDupcheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: dupcheck STATEURL NAME...")
	}
	resp, err := http.Get(args[0])
	ts.Check(err)
	var state struct {
		Users []struct {
			ID    int32  `json:"id"`
			Email string `json:"email"`
		} `json:"users"`
	}
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	ts.Check(err)
	held := map[string][]int32{}
	for _, u := range state.Users {
		k := strings.ToLower(u.Email)
		held[k] = append(held[k], u.ID)
	}
	type run struct{ out, code string }
	var runs []run
	adopted := 0
	for _, name := range args[1:] {
		out, err := os.ReadFile(ts.MkAbs(name + ".out"))
		ts.Check(err)
		code, err := os.ReadFile(ts.MkAbs(name + ".code"))
		ts.Check(err)
		runs = append(runs, run{string(out), strings.TrimSpace(string(code))})
		adopted += strings.Count(string(out), "adopted: created since the plan")
	}
	twice := 0
	for email, ids := range held {
		if len(ids) < 2 {
			continue
		}
		twice++
		slices.Sort(ids)
		strs := make([]string, len(ids))
		for i, id := range ids {
			strs[i] = strconv.Itoa(int(id))
		}
		want := email + ": users " + strings.Join(strs, ", ")
		if !slices.ContainsFunc(runs, func(r run) bool {
			return r.code == "1" && strings.Contains(r.out, want) && !strings.Contains(r.out, "Apply complete!")
		}) {
			ts.Fatalf("%s is held by users %v, and no apply reported it (exit 1, %q)", email, ids, want)
		}
	}
	if twice == 0 {
		// Nothing to report: then every apply must have finished.
		for i, r := range runs {
			if r.code != "0" || !strings.Contains(r.out, "Apply complete!") {
				ts.Fatalf("no email is held twice, yet apply %s exited %s:\n%s", args[1+i], r.code, r.out)
			}
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d emails held twice, all reported; %d creations adopted\n", twice, adopted)
}

// forgeplan PLANFILE PATH OUT does to a plan file what anyone who can edit
// it can: OUT is PLANFILE claiming to be made from PATH, with a checksum
// recomputed to match (it is an unkeyed digest, nothing stops this).
func cmdForgePlan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: forgeplan PLANFILE PATH OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	sp, err := plan.ReadPlanFile(data)
	ts.Check(err)
	forged, err := plan.MarshalPlanFile(sp.Plan, &plan.Desired{Path: args[1], Source: sp.Desired.Source}, sp.Target)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), forged, 0o600))
}

// scriptCondition adds [shell:NAME]: true when the shell NAME is on PATH.
// A missing one is an error instead when NINJAOPS_REQUIRE_SHELLS is set,
// as .ci/run sets it after installing them, so that CI never passes by
// skipping the completion tests.
func scriptCondition(cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "shell:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("NINJAOPS_REQUIRE_SHELLS") != "" {
			return false, fmt.Errorf("%s is not installed, and NINJAOPS_REQUIRE_SHELLS says the completion tests must run in it", name)
		}
		return false, nil
	}
	return true, nil
}

func TestShellCondition(t *testing.T) {
	t.Setenv("NINJAOPS_REQUIRE_SHELLS", "")
	if ok, err := scriptCondition("shell:no-such-shell-anywhere"); ok || err != nil {
		t.Errorf("a missing shell: %v, %v; want a skip (false, nil)", ok, err)
	}
	if ok, err := scriptCondition("shell:sh"); !ok || err != nil {
		t.Errorf("sh: %v, %v; want true", ok, err)
	}
	t.Setenv("NINJAOPS_REQUIRE_SHELLS", "1")
	if _, err := scriptCondition("shell:no-such-shell-anywhere"); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("a missing shell under NINJAOPS_REQUIRE_SHELLS: %v; want an error that fails the script", err)
	}
}

// waitfile FILE REGEXP waits up to 60s until FILE, written by a command
// in the background, matches REGEXP: so that a script acts after a
// command has said something, not after a guessed delay.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfile FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		if re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s does not match %q: %q", args[0], args[1], data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
