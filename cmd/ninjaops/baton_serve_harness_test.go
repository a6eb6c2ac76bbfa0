package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/batonsync/c1fake"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// The harness of the service-mode tests: a NinjaOne sandbox behind a
// recording proxy, the fake ConductorOne, and `ninjaops baton serve` as a
// process of its own (the test binary, which runs as ninjaops from PATH:
// see TestMain), since the SDK reads its ConductorOne address and trusted
// roots from the environment once per process.

// waitLimit bounds every wait of these tests: it only keeps a broken
// build from hanging; nothing is timed against it.
const waitLimit = 90 * time.Second

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ninja is a sandbox tenant behind a proxy that records every request,
// can hold requests to a path until released, and can answer a path with
// the route-level 404 of an instance that lacks it.
type ninja struct {
	srv          *sandbox.Server
	url          string
	clientID     string
	clientSecret string

	mu      sync.Mutex
	record  bytes.Buffer
	holds   map[string]chan struct{}
	arrived map[string]chan struct{}
	missing map[string]bool
}

// quickstartWithAdminInRole is the quickstart tenant with its System
// Administrator (user 1) made a member of Helpdesk (role 1), so that a
// revoke of an administrator's grant can be asked for.
func quickstartWithAdminInRole(t *testing.T) *sandbox.Tenant {
	t.Helper()
	seed, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range seed.Roles {
		if seed.Roles[i].ID == 1 {
			seed.Roles[i].Members = append(seed.Roles[i].Members, 1)
		}
	}
	return seed
}

func startNinja(t *testing.T, seed *sandbox.Tenant) *ninja {
	t.Helper()
	n := &ninja{
		clientID: "ninja-app-" + randomHex(4), clientSecret: "ninja-secret-" + randomHex(16),
		holds: map[string]chan struct{}{}, arrived: map[string]chan struct{}{}, missing: map[string]bool{},
	}
	var err error
	n.srv, err = sandbox.New(sandbox.Options{ClientID: n.clientID, ClientSecret: n.clientSecret, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(n.serve))
	n.url = ts.URL
	t.Cleanup(func() {
		n.mu.Lock()
		for p, ch := range n.holds {
			close(ch)
			delete(n.holds, p)
		}
		n.mu.Unlock()
		ts.Close()
		if err := n.srv.Close(); err != nil {
			t.Errorf("closing the sandbox: %v", err)
		}
	})
	return n
}

func (n *ninja) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var hdr strings.Builder
	_ = r.Header.Write(&hdr)
	n.mu.Lock()
	fmt.Fprintf(&n.record, "%s %s\n%s%s\n", r.Method, r.URL.RequestURI(), hdr.String(), body)
	// Decoded too, so that a search finds a value whatever its encoding.
	if q, err := url.QueryUnescape(r.URL.RawQuery + "&" + string(body)); err == nil {
		fmt.Fprintf(&n.record, "decoded: %s\n", q)
	}
	hold, arrived, missing := n.holds[r.URL.Path], n.arrived[r.URL.Path], n.missing[r.URL.Path]
	if arrived != nil {
		close(arrived)
		delete(n.arrived, r.URL.Path)
	}
	n.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if missing {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`)
		return
	}
	n.srv.ServeHTTP(w, r)
}

// hold makes requests to path wait; it returns a channel closed when the
// first one arrives, and the function that lets them all through.
func (n *ninja) hold(path string) (arrived <-chan struct{}, release func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, a := make(chan struct{}), make(chan struct{})
	n.holds[path], n.arrived[path] = ch, a
	var once sync.Once
	return a, func() {
		once.Do(func() {
			n.mu.Lock()
			if n.holds[path] == ch {
				delete(n.holds, path)
			}
			n.mu.Unlock()
			close(ch)
		})
	}
}

// setMissing makes path answer the route-level 404 of an instance
// without it (on), or the sandbox's answer again (off).
func (n *ninja) setMissing(path string, on bool) {
	n.mu.Lock()
	n.missing[path] = on
	n.mu.Unlock()
}

func (n *ninja) recorded() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.record.String()
}

// env is the NinjaOne part of serve's environment, in the upstream
// connector's variables.
func (n *ninja) env() []string {
	return []string{
		"BATON_NINJA_ONE_BASE_URL=" + n.url,
		"BATON_NINJA_ONE_CLIENT_ID=" + n.clientID,
		"BATON_NINJA_ONE_CLIENT_SECRET=" + n.clientSecret,
	}
}

var bearer = regexp.MustCompile(`(?i)authorization: bearer (\S+)`)

// accessTokens are the bearer tokens the proxy saw.
func (n *ninja) accessTokens() []string {
	var out []string
	for _, m := range bearer.FindAllStringSubmatch(n.recorded(), -1) {
		out = append(out, m[1])
	}
	return out
}

func startC1(t *testing.T) *c1fake.Fake {
	t.Helper()
	f, err := c1fake.Start(c1fake.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// syncBuffer is an io.Writer that tests can read while a process writes.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveProc is a running `ninjaops baton serve`.
type serveProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr
	done chan struct{}
	err  error
}

// baseEnv is the environment every process under test starts from: no
// variable of the developer's, a home and temporary directory of its own.
func baseEnv(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
}

// startServe runs ninjaops with args and exactly env (plus baseEnv).
func startServe(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, out: newSyncBuffer(), done: make(chan struct{})}
	p.cmd = exec.Command("ninjaops", args...)
	p.cmd.Env = append(baseEnv(t), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		// NINJAOPS_TEST_SERVE_LOG=1 shows the log of a passing test too.
		if t.Failed() || os.Getenv("NINJAOPS_TEST_SERVE_LOG") != "" {
			t.Logf("ninjaops %s printed:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

func (p *serveProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *serveProc) wait(ctx context.Context) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.t.Fatalf("ninjaops did not exit: %v", ctx.Err())
	}
	if p.err != nil {
		if ee, ok := p.err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		p.t.Fatal(p.err)
	}
	return 0
}

// awaitOutput waits until the process has printed a match of re, n times.
func (p *serveProc) awaitOutput(ctx context.Context, re string, n int) string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	for {
		p.out.mu.Lock()
		ch := p.out.changed
		p.out.mu.Unlock()
		out := p.out.String()
		if len(rx.FindAllString(out, -1)) >= n {
			return out
		}
		select {
		case <-ch:
		case <-p.done:
			if out := p.out.String(); len(rx.FindAllString(out, -1)) >= n {
				return out
			}
			p.t.Fatalf("ninjaops exited before printing %q %d times", re, n)
		case <-ctx.Done():
			p.t.Fatalf("ninjaops did not print %q %d times: %v", re, n, ctx.Err())
		}
	}
}

// await is c1fake's Await, failing the test on a timeout.
func await(t *testing.T, ctx context.Context, f *c1fake.Fake, what string, cond func(c1fake.State) bool) c1fake.State {
	t.Helper()
	st, err := f.Await(ctx, what, cond)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
