package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// lockedBuffer is a stderr that a test may read while ninjaops writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits (up to a minute) until s() holds want.
func waitFor(t *testing.T, s func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(s(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q in %q", want, s())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// On a terminal a long read shows a live line on stderr, cleared before
// the plan is printed; elsewhere (CI logs) nothing is shown.
func TestReadProgressOnATerminalOnly(t *testing.T) {
	for _, tty := range []bool{true, false} {
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		srv := fakeTenant(t)
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/user/technicians" {
				entered <- struct{}{}
				<-release
			}
			srv.Config.Handler.ServeHTTP(w, r)
		}))
		defer slow.Close()

		dir := t.TempDir()
		path := filepath.Join(dir, "ninjaops.yaml")
		if err := os.WriteFile(path, []byte(fileNoChanges), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		var errb lockedBuffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, stderrTTY: tty, getenv: func(string) string { return "" }}
		done := make(chan int, 1)
		go func() {
			done <- run(context.Background(), e, []string{"ninjaops", "plan", "-f", path, "--base-url", slow.URL, "--client-id", "id", "--client-secret", "secret"})
		}()
		select {
		case <-entered:
		case code := <-done:
			t.Fatalf("tty %v: exit %d before reading the technicians: %q", tty, code, errb.String())
		}
		if tty {
			waitFor(t, errb.String, "\r\033[KReading NinjaOne at "+strings.TrimPrefix(slow.URL, "http://")+": ")
		}
		close(release)
		if code := <-done; code != exitOK {
			t.Fatalf("tty %v: exit %d, stderr %q", tty, code, errb.String())
		}
		got := errb.String()
		switch {
		case tty && !strings.HasSuffix(got, "\r\033[K"):
			t.Errorf("on a terminal: stderr %q does not end by clearing the line", got)
		case !tty && got != "":
			t.Errorf("not on a terminal: stderr %q, want nothing", got)
		}
		if !strings.HasPrefix(out.String(), "No changes.") {
			t.Errorf("tty %v: stdout %q", tty, out.String())
		}
	}
}

// Notices are said once each, as plain lines or log records, and not at
// all at --log-level error; a notice clears the live line first.
func TestFeedbackNotices(t *testing.T) {
	n := ninjaone.Notice{Message: "NinjaOne at https://x is not answering (connection refused); retrying...", Method: "GET", Path: "/v2/user/roles", Attempt: 1}
	var plain bytes.Buffer
	f := newFeedback(&env{stderr: &plain}, slog.New(slog.DiscardHandler), slog.LevelWarn, "text", "https://x", false, true)
	f.notice(n)
	f.notice(n)
	if want := n.Message + "\n"; plain.String() != want {
		t.Errorf("text: %q, want %q", plain.String(), want)
	}

	var js bytes.Buffer
	f = newFeedback(&env{stderr: &js}, slog.New(slog.NewJSONHandler(&js, nil)), slog.LevelWarn, "json", "https://x", false, true)
	f.notice(n)
	if !strings.Contains(js.String(), `"level":"WARN","msg":"NinjaOne at https://x is not answering (connection refused); retrying...","method":"GET","path":"/v2/user/roles","attempt":1}`) {
		t.Errorf("json: %q", js.String())
	}

	var quiet bytes.Buffer
	f = newFeedback(&env{stderr: &quiet}, slog.New(slog.DiscardHandler), slog.LevelError, "text", "https://x", false, true)
	f.notice(n)
	if quiet.Len() != 0 {
		t.Errorf("--log-level error: %q, want nothing", quiet.String())
	}

	var live bytes.Buffer
	f = newFeedback(&env{stderr: &live, stderrTTY: true}, slog.New(slog.DiscardHandler), slog.LevelWarn, "text", "https://x", false, true)
	f.mu.Lock()
	f.started = time.Now()
	f.bytes = 2500
	f.drawLocked()
	f.mu.Unlock()
	f.notice(n)
	if want := "\r\033[KReading NinjaOne at x: 2.5 kB received...\r\033[K" + n.Message + "\n"; live.String() != want {
		t.Errorf("live: %q, want %q", live.String(), want)
	}
	// At debug level, or under baton, no live line.
	if newFeedback(&env{stderrTTY: true}, nil, slog.LevelDebug, "text", "https://x", false, true).live ||
		newFeedback(&env{stderrTTY: true}, nil, slog.LevelWarn, "text", "https://x", false, false).live {
		t.Error("a live line at debug level or without progress")
	}
}
