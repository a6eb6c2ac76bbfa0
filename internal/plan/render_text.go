package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// TextOptions shape the text rendering.
type TextOptions struct {
	// Color marks creates green, updates yellow and deletes red with ANSI
	// escapes; the command enables it only for a terminal without NO_COLOR.
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// RenderText renders p for a person at a terminal, in Terraform's manner:
// a sign per change (+ create or add, ~ update, - delete or remove), the
// fields involved, then the summary line, unmanaged users and warnings.
func RenderText(p *Plan, opts TextOptions) []byte {
	var b strings.Builder
	paint := func(color, s string) string {
		if !opts.Color {
			return s
		}
		return color + s + ansiReset
	}
	signs := map[Action]string{
		Create: paint(ansiGreen, "+"), Add: paint(ansiGreen, "+"),
		Update: paint(ansiYellow, "~"),
		Delete: paint(ansiRed, "-"), Remove: paint(ansiRed, "-"),
	}

	gs := groups(p)
	if len(gs) > 0 {
		b.WriteString("ninjaops will perform the following actions:\n")
	}
	for _, g := range gs {
		fmt.Fprintf(&b, "\n%s (%d):\n", paint(ansiBold, g.title), len(g.changes))
		for _, c := range g.changes {
			fmt.Fprintf(&b, "  %s %s  # %s\n", signs[c.Action], escapeInvisible(c.Address), oneLine(c.Reason))
			switch c.Action {
			case Create:
				writeFields(&b, userFields(c.After))
			case Delete:
				writeFields(&b, userFields(c.Before))
			case Update:
				fcs := updatedFields(c.Before, c.After)
				width := 0
				for _, fc := range fcs {
					width = max(width, len(fc.name))
				}
				for _, fc := range fcs {
					fmt.Fprintf(&b, "      %-*s = %s -> %s\n", width, fc.name, escapeInvisible(fc.old), escapeInvisible(fc.new))
				}
			}
		}
	}

	if len(gs) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(summaryLine(p, func(s string) string { return paint(ansiBold, s) }))
	b.WriteByte('\n')

	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(&b, "\nUnmanaged users (%d), in scope but not in the file (unmanaged_users: report):\n", len(p.Unmanaged))
		for _, e := range p.Unmanaged {
			fmt.Fprintf(&b, "  %s\n", printable(e))
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%s\n", paint(ansiYellow, fmt.Sprintf("Warnings (%d):", len(p.Warnings))))
		for _, w := range p.Warnings {
			fmt.Fprintf(&b, "  - %s\n", oneLine(w))
		}
	}
	return []byte(b.String())
}

// SummaryLine is the line that follows the changes in the text plan:
// their counts, or that there are none, and the unmanaged users it names.
// Only a plan without drift says that NinjaOne matches the desired state.
func SummaryLine(p *Plan) string { return summaryLine(p, func(s string) string { return s }) }

func summaryLine(p *Plan, bold func(string) string) string {
	var line string
	switch s := summaryCounts(p.Summary); {
	case s != "":
		line = bold("Plan:") + " " + s + "."
	case len(p.Unmanaged) > 0:
		line = bold("No changes to apply.")
	default:
		return bold("No changes.") + " NinjaOne matches the desired state."
	}
	if note := unmanagedNote(p, printable); note != "" {
		line += " " + note
	}
	return line
}

func writeFields(b *strings.Builder, fs []field) {
	width := 0
	for _, f := range fs {
		width = max(width, len(f.name))
	}
	for _, f := range fs {
		fmt.Fprintf(b, "      %-*s = %s\n", width, f.name, escapeInvisible(f.value))
	}
}

// oneLine keeps a message on one line, whatever live data it quotes, and
// escapes the characters that would hide or reorder text around them.
func oneLine(s string) string {
	return escapeInvisible(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}

// printable returns s, or s quoted when it holds characters a terminal
// would interpret or a reader could not see: live data must not be able
// to move the cursor, reorder the line, or pass for another address.
func printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s || strings.ContainsFunc(s, invisible) {
		return escapeInvisible(q)
	}
	return s
}
