package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The end-to-end tests are txtar scripts in testdata/script that run the
// real ninjaops main (the test binary re-executes itself as `ninjaops`).

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ninjaops": func() { os.Exit(ninjaopsMain()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// Never let a developer's real credentials reach a script.
			for _, k := range []string{"NINJAONE_BASE_URL", "NINJAONE_CLIENT_ID", "NINJAONE_CLIENT_SECRET", "NINJAONE_SCOPE",
				"BATON_NINJA_ONE_BASE_URL", "BATON_NINJA_ONE_CLIENT_ID", "BATON_NINJA_ONE_CLIENT_SECRET", "BATON_NINJA_ONE_SCOPE", "NO_COLOR"} {
				e.Setenv(k, "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"freeport":  cmdFreeport,
			"waithttp":  cmdWaitHTTP,
			"http":      cmdHTTP,
			"httptoken": cmdHTTPToken,
		},
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

// http [-bearer TOKEN] [-form] [-status N] METHOD URL [BODY] sends one
// request and writes the response body to stdout and the status line and
// headers ("HTTP 429", "Retry-After: 1") to stderr. A body is sent as JSON,
// or form-encoded with -form; -status makes any other status fail.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: http [-bearer TOKEN] [-form] [-status N] METHOD URL [BODY]"
	var bearer string
	var form bool
	status := 0
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-bearer" && len(args) > 1:
			bearer, args = args[1], args[2:]
		case args[0] == "-form":
			form, args = true, args[1:]
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
	resp, err := http.DefaultClient.Do(req)
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
