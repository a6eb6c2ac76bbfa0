package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// What ninjaops says on stderr while it waits for NinjaOne. At the default
// log level, why a call is retried, once per reason: a call may retry for
// two minutes, and nobody should wait that long in silence. On a terminal,
// a live line while the tenant is read; in CI logs (stderr not a terminal)
// that line stays away.

type feedback struct {
	e     *env
	log   *slog.Logger
	quiet bool // --log-level error: no notices
	json  bool // --log-format json: notices as log records
	live  bool // a progress line on the terminal

	mu   sync.Mutex
	said map[string]bool

	what     string // "NinjaOne at eu.ninjarmm.com"
	delay    time.Duration
	tick     time.Duration
	now      func() time.Time
	inFlight int
	bytes    int64
	started  time.Time
	shown    bool
	ticking  bool
	writing  bool // apply's writes have begun: its own progress takes over
}

// newFeedback is the feedback for one connection. progress asks for the
// live line, which is drawn only on a terminal and never at debug level,
// whose log lines would tear it.
func newFeedback(e *env, log *slog.Logger, level slog.Level, format, baseURL string, sandbox, progress bool) *feedback {
	what := "NinjaOne"
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		what += " at " + u.Host
	}
	if sandbox {
		what = "the built-in sandbox"
	}
	return &feedback{
		e: e, log: log,
		quiet: level > slog.LevelWarn,
		json:  format == "json",
		live:  progress && e.stderrTTY && level > slog.LevelDebug,
		said:  map[string]bool{},
		what:  what,
		delay: 500 * time.Millisecond,
		tick:  100 * time.Millisecond,
		now:   time.Now,
	}
}

// notice is ninjaone's OnNotice.
func (f *feedback) notice(n ninjaone.Notice) {
	if f.quiet {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.said[n.Message] {
		return
	}
	f.said[n.Message] = true
	f.clearLocked()
	if f.json {
		f.log.Warn(n.Message, "method", n.Method, "path", n.Path, "attempt", n.Attempt)
		return
	}
	fmt.Fprintln(f.e.stderr, n.Message)
}

// transfer is ninjaone's OnTransfer: it keeps the live line of a read.
func (f *feedback) transfer(t ninjaone.Transfer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Write {
		f.writing = true
		f.clearLocked()
	}
	switch {
	case t.Start:
		if f.inFlight == 0 && f.started.IsZero() {
			f.started = f.now()
		}
		f.inFlight++
		if !f.ticking && !f.writing {
			f.ticking = true
			go f.ticker()
		}
	case t.Done:
		f.inFlight--
		if f.inFlight == 0 {
			// Cleared now, before whatever prints next.
			f.clearLocked()
		}
	}
	f.bytes += t.Read
}

func (f *feedback) ticker() {
	t := time.NewTicker(f.tick)
	defer t.Stop()
	for range t.C {
		f.mu.Lock()
		if f.inFlight == 0 || f.writing {
			f.ticking = false
			f.clearLocked()
			f.mu.Unlock()
			return
		}
		if f.now().Sub(f.started) >= f.delay {
			f.drawLocked()
		}
		f.mu.Unlock()
	}
}

func (f *feedback) drawLocked() {
	elapsed := f.now().Sub(f.started).Truncate(time.Second)
	line := fmt.Sprintf("Reading %s: waiting for an answer...", f.what)
	if f.bytes > 0 {
		line = fmt.Sprintf("Reading %s: %s received...", f.what, formatBytes(f.bytes))
	}
	if elapsed >= time.Second {
		line += " " + elapsed.String()
	}
	fmt.Fprintf(f.e.stderr, "\r\033[K%s", truncate(line, 120))
	f.shown = true
}

func (f *feedback) clearLocked() {
	if f.shown {
		fmt.Fprint(f.e.stderr, "\r\033[K")
		f.shown = false
	}
}

// finish clears the live line, if any, for good.
func (f *feedback) finish() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writing = true
	f.clearLocked()
}
