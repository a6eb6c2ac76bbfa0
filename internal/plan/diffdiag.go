package plan

// TEMPORARY: the loader (internal/plan/diag.go, on its way to main) owns
// Diagnostic and Diagnostics. This copy of their shape lets Diff return
// them before the loader lands; delete this file when merging main.

import (
	"fmt"
	"strings"
)

// Diagnostic is one problem found in a desired-state file.
type Diagnostic struct {
	Path      string
	Line, Col int // 1-based; Line 0: no place
	Msg       string
}

func (d Diagnostic) String() string {
	if d.Line == 0 {
		return d.Path + ": " + d.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Path, d.Line, d.Col, d.Msg)
}

// Diagnostics is every problem found, sorted by place; it is an error.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}
