package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
			"freeport": cmdFreeport,
			"waithttp": cmdWaitHTTP,
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
