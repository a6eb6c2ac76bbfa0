package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDiagnostics caps how many diagnostics Load collects. A file with one
// systematic mistake on every one of 100,000 users would otherwise produce
// 100,000 lines (and a hostile file millions, held in memory); past the cap
// the loader only counts, and the last diagnostic says how many were left
// out.
const MaxDiagnostics = 1000

// Diagnostic is one problem found in a desired-state file.
type Diagnostic struct {
	Path string
	// Line and Col are 1-based; Line is 0 for a problem with the whole
	// file (its size), which has no place.
	Line, Col int
	Msg       string
}

func (d Diagnostic) String() string {
	if d.Line == 0 {
		return d.Path + ": " + d.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Path, d.Line, d.Col, d.Msg)
}

// Diagnostics is every problem Load found, sorted by place. It is the error
// Load returns (like go/scanner's ErrorList); commands print one per line.
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

// MaxWarnings caps how many warnings Load collects, as MaxDiagnostics caps
// errors.
const MaxWarnings = 100

// Warning is the diagnostic as a warning: "FILE:LINE:COL: warning: ...".
func (d Diagnostic) Warning() string {
	if d.Line == 0 {
		return d.Path + ": warning: " + d.Msg
	}
	return fmt.Sprintf("%s:%d:%d: warning: %s", d.Path, d.Line, d.Col, d.Msg)
}

// diagSink collects diagnostics up to MaxDiagnostics and counts the rest,
// and warnings up to MaxWarnings.
type diagSink struct {
	path    string
	list    Diagnostics
	dropped int

	warns       Diagnostics
	warnDropped int
}

func (s *diagSink) warn(p Pos, format string, args ...any) {
	s.keep(&s.warns, &s.warnDropped, MaxWarnings, p, format, args)
}

// keep appends a diagnostic to list, or counts it in dropped once list
// holds max.
func (s *diagSink) keep(list *Diagnostics, dropped *int, max int, p Pos, format string, args []any) {
	if len(*list) >= max {
		*dropped++
		return
	}
	*list = append(*list, Diagnostic{Path: s.path, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

// warnings sorts the warnings by place and appends the count of those
// left out.
func (s *diagSink) warnings() []Diagnostic {
	if len(s.warns) == 0 && s.warnDropped == 0 {
		return nil
	}
	ws := slices.Clone(s.warns)
	slices.SortStableFunc(ws, func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	if s.warnDropped > 0 {
		ws = append(ws, Diagnostic{Path: s.path, Msg: fmt.Sprintf("%d more warnings not shown", s.warnDropped)})
	}
	return ws
}

func (s *diagSink) add(p Pos, format string, args ...any) {
	s.keep(&s.list, &s.dropped, MaxDiagnostics, p, format, args)
}

// full reports whether further diagnostics are only counted.
func (s *diagSink) full() bool { return len(s.list) >= MaxDiagnostics }

func (s *diagSink) empty() bool { return len(s.list) == 0 && s.dropped == 0 }

// result sorts the diagnostics by place (file-wide ones first) and appends
// the count of those left out.
func (s *diagSink) result() Diagnostics {
	ds := slices.Clone(s.list)
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Col != b.Col {
			return a.Col - b.Col
		}
		return strings.Compare(a.Msg, b.Msg)
	})
	ds = slices.CompactFunc(ds, func(a, b Diagnostic) bool { return a == b })
	if s.dropped > 0 {
		ds = append(ds, Diagnostic{Path: s.path, Msg: fmt.Sprintf(
			"too many errors: %d more not shown (fix the ones above and run again)", s.dropped)})
	}
	return ds
}

// quote formats user text for a message: Go-quoted (so control characters
// and invisible spaces show) and cut short, so a hostile 50 MB scalar
// cannot become a 50 MB message.
func quote(s string) string {
	c := clip(s)
	if len(c) == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.TrimSuffix(c, "...")) + "..."
}

// clip cuts s to 64 characters.
func clip(s string) string {
	const max = 64
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

// suggest returns the candidate closest to s (case-insensitively, by
// optimal string alignment distance) when it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	if len(s) > 64 {
		return ""
	}
	best, bestD := "", 0
	for _, c := range candidates {
		d := osaDistance(s, strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if n := utf8.RuneCountInString(s); n <= 4 {
		limit = 1
	}
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

// osaDistance is the edit distance counting an insertion, deletion,
// substitution or swap of two neighbours as one edit.
func osaDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// list formats allowed values for a message: a, b or c.
func list(vals []string) string {
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return vals[0]
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}
