package main

import (
	"io"
	"sync"
)

// lockedWriter serialises the writes to one stream. stderr is written by
// several goroutines at once: apply's progress lines from its workers, and
// the client's notices ("retrying...") from the calls they make, each
// under a lock of its own; one lock on the stream keeps every line whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// withLockedStderr is e with its stderr serialised, for one run.
func withLockedStderr(e *env) *env {
	if _, ok := e.stderr.(*lockedWriter); ok || e.stderr == nil {
		return e
	}
	locked := *e
	locked.stderr = &lockedWriter{w: e.stderr}
	return &locked
}
