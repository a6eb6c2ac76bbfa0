package plan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MarkdownLimit is the default size bound of a markdown plan: below
// GitHub's 65,536-character comment limit with room for a caller's own
// header or footer around it.
const MarkdownLimit = 60000

// MarkdownOptions shape the markdown rendering.
type MarkdownOptions struct {
	// Limit bounds the output in bytes (so also in characters); 0 means
	// MarkdownLimit.
	Limit int
}

const (
	mdFoldAbove = 10  // groups longer than this are folded in <details>
	mdCellRunes = 300 // a cell longer than this is cut
	mdTextRunes = 1000
	// mdReserve is kept per section for its "more not shown" line.
	mdReserve = 160
)

// mdSection is one titled part of the comment: a table of changes, or a
// list. Rows are complete lines; the budget decides how many are shown.
type mdSection struct {
	title  string
	header string // table header lines, or a list's introduction
	n      int    // items in the section
	row    func(i int) string
	fold   bool
	rows   []string // the first rows, up to the limit: never more can show
}

// render fills rows with the first rows that could possibly fit in limit,
// so a tenant of any size costs the escaping of at most limit bytes.
func (s *mdSection) render(limit int) (need int) {
	for i := 0; i < s.n && need <= limit; i++ {
		r := s.row(i)
		s.rows = append(s.rows, r)
		need += len(r)
	}
	return need
}

// RenderMarkdown renders p for a pull-request comment: a heading with the
// summary counts, a table per group of changes (long groups folded in
// <details>), unmanaged users and warnings as lists. Whatever the tenant's
// size the output stays within the limit: the budget is shared fairly
// between sections, and each says how many rows it left out.
func RenderMarkdown(p *Plan, opts MarkdownOptions) []byte {
	limit := opts.Limit
	if limit <= 0 {
		limit = MarkdownLimit
	}
	var head strings.Builder
	switch s, n := summaryCounts(p.Summary), len(p.Unmanaged); {
	case s != "" && n > 0:
		fmt.Fprintf(&head, "### ninjaops plan: %s; %s\n\n", s, Count(n, "unmanaged user", ""))
	case s != "":
		fmt.Fprintf(&head, "### ninjaops plan: %s\n\n", s)
	case n > 0:
		fmt.Fprintf(&head, "### ninjaops plan: no changes to apply; %s\n\n", Count(n, "unmanaged user", ""))
	default:
		head.WriteString("### ninjaops plan: no changes\n\nNinjaOne matches the desired state.\n\n")
	}
	if note := unmanagedNote(p, func(s string) string { return s }); note != "" {
		head.WriteString(mdText(note, mdTextRunes*2) + "\n\n")
	}

	var secs []mdSection
	for _, g := range groups(p) {
		secs = append(secs, changeSection(g))
	}
	if len(p.Unmanaged) > 0 {
		secs = append(secs, mdSection{
			title: "Unmanaged users", header: "In scope but not in the file (`unmanaged_users: report`):\n\n", fold: true,
			n: len(p.Unmanaged), row: func(i int) string { return "- " + mdText(p.Unmanaged[i], mdCellRunes) + "\n" },
		})
	}
	if len(p.Warnings) > 0 {
		secs = append(secs, mdSection{
			title: "Warnings", fold: len(p.Warnings) > mdFoldAbove,
			n: len(p.Warnings), row: func(i int) string { return "- " + mdText(p.Warnings[i], mdTextRunes) + "\n" },
		})
	}

	// Fixed parts first; what is left is shared between the rows.
	fixed := head.Len()
	needs := make([]int, len(secs))
	for i := range secs {
		fixed += len(secs[i].open()) + len(secs[i].close()) + mdReserve
		needs[i] = secs[i].render(limit)
	}
	alloc := share(needs, limit-fixed)

	var b strings.Builder
	b.WriteString(head.String())
	for i, s := range secs {
		b.WriteString(s.open())
		used, shown := 0, 0
		for _, r := range s.rows {
			if used+len(r) > alloc[i] {
				break
			}
			b.WriteString(r)
			used += len(r)
			shown++
		}
		if left := s.n - shown; left > 0 {
			fmt.Fprintf(&b, "\n_… and %d more not shown; `ninjaops plan -o json` lists them all._\n", left)
		}
		b.WriteString(s.close())
	}
	return []byte(b.String())
}

func (s mdSection) open() string {
	title := fmt.Sprintf("%s (%d)", s.title, s.n)
	if s.fold {
		return "<details><summary>" + mdText(title, mdTextRunes) + "</summary>\n\n" + s.header
	}
	return "#### " + mdText(title, mdTextRunes) + "\n\n" + s.header
}

func (s mdSection) close() string {
	if s.fold {
		return "\n</details>\n\n"
	}
	return "\n"
}

func changeSection(g group) mdSection {
	s := mdSection{title: g.title, fold: len(g.changes) > mdFoldAbove, n: len(g.changes)}
	row := func(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |\n" }
	switch g.action {
	case Create:
		s.header = "| User | Type | Values | Reason |\n|---|---|---|---|\n"
	case Update:
		s.header = "| User | Changes | Reason |\n|---|---|---|\n"
	case Delete:
		s.header = "| User | Type | Name | Reason |\n|---|---|---|---|\n"
	default:
		s.header = "| Role | Member | Reason |\n|---|---|---|\n"
	}
	s.row = func(i int) string {
		c := g.changes[i]
		reason := mdCell(c.Reason)
		switch g.action {
		case Create:
			var vals []string
			for _, f := range userFields(c.After) {
				if f.name != "type" {
					vals = append(vals, mdCell(f.name+" "+f.value))
				}
			}
			return row(mdCell(userEmail(c)), mdCell(string(c.After.Type)), strings.Join(vals, "<br>"), reason)
		case Update:
			var chg []string
			for _, fc := range updatedFields(c.Before, c.After) {
				chg = append(chg, mdCell(fc.name+": "+fc.old+" → "+fc.new))
			}
			return row(mdCell(userEmail(c)), strings.Join(chg, "<br>"), reason)
		case Delete:
			name := strings.TrimSpace(c.Before.FirstName + " " + c.Before.LastName)
			return row(mdCell(userEmail(c)), mdCell(string(c.Before.Type)), mdCell(name), reason)
		default:
			role, email := memberParts(c)
			return row(mdCell(role), mdCell(email), reason)
		}
	}
	return s
}

// mdCell makes s safe inside a table cell: nothing in it can end the
// cell or the row, open a code span, or start HTML.
func mdCell(s string) string { return mdEscape(s, mdCellRunes, "<br>") }

// mdText makes s safe in a list item or a heading.
func mdText(s string, runes int) string { return mdEscape(s, runes, " ") }

func mdEscape(s string, runes int, newline string) string {
	if utf8.RuneCountInString(s) > runes {
		r := []rune(s)
		s = string(r[:runes]) + "…"
	}
	var b strings.Builder
	// A leading sign could make a list item a heading or a nested list.
	if s != "" && strings.ContainsRune("#+-=", rune(s[0])) {
		b.WriteByte('\\')
	}
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			// A name like "@ops-team" in a live record must not notify
			// that team from a pull-request comment.
			b.WriteString("&#64;")
		case '|', '`', '\\', '*', '_', '[', ']', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(newline)
		case '\r':
		default:
			// Controls, and what would hide or reorder the comment's text
			// (U+202E RIGHT-TO-LEFT OVERRIDE, zero-width characters).
			if invisible(r) {
				b.WriteString(strconv.QuoteRuneToASCII(r))
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// share divides budget between sections that need needs[i] bytes: each
// gets what it needs if that is no more than an equal share of what is
// left, and the rest split the remainder equally, so a huge section cannot
// crowd out the small ones after it.
func share(needs []int, budget int) []int {
	alloc := make([]int, len(needs))
	open := make([]int, 0, len(needs))
	for i, n := range needs {
		if n > 0 {
			open = append(open, i)
		}
	}
	budget = max(budget, 0)
	for len(open) > 0 {
		each := budget / len(open)
		rest := open[:0:0]
		for _, i := range open {
			if needs[i] <= each {
				alloc[i] = needs[i]
				budget -= needs[i]
			} else {
				rest = append(rest, i)
			}
		}
		if len(rest) == len(open) {
			for _, i := range rest {
				alloc[i] = each
			}
			break
		}
		open = rest
	}
	return alloc
}
