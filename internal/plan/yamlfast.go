package plan

// A fast parser for the chunks of list items the split loader cuts out
// (yamlsplit.go). yaml.v3, a port of libyaml, takes some 15 µs per user
// and allocates a node tree of some 2.5 KB per user; that alone makes
// loading a 100,000-user file take well over a second. Desired-state files are
// written in a small, regular part of YAML: block mappings and lists,
// one-line plain or quoted scalars, one-line flow lists of scalars. This
// parser reads exactly that part, builds the same yaml.Node trees yaml.v3
// builds (same kinds, tags, styles, values, lines and columns; tags are
// resolved by yaml.v3 itself through Node.ShortTag), and reuses the nodes
// from one chunk to the next. On anything else it gives up and the chunk
// goes to yaml.v3; a test and the fuzz target check that the two agree.

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// fastLine is one line of a chunk.
type fastLine struct {
	start, end int // the line's text, without its line break
	ind        int // leading spaces
	trivia     bool
}

// fastParser parses chunks, reusing its node and line storage.
type fastParser struct {
	s     string
	lines []fastLine
	li    int // the line being parsed
	bad   bool

	blocks [][]yaml.Node
	bi, ni int
	ptrs   []*yaml.Node // children of finished containers
	stack  []*yaml.Node // children of open containers

	colLine, colOff, colN int // the last column computed, for column
}

// parse parses a chunk of list items starting on line 1. It returns nil
// when the chunk is outside the part of YAML it reads. The nodes are valid
// until the next call.
func (p *fastParser) parse(s string) *yaml.Node {
	p.s, p.li, p.bad = s, 0, false
	p.colLine = -1
	p.bi, p.ni = 0, 0
	p.ptrs = p.ptrs[:0]
	p.stack = p.stack[:0]
	p.lines = p.lines[:0]
	for off := 0; off < len(s); {
		end := strings.IndexByte(s[off:], '\n')
		next := len(s)
		if end < 0 {
			end = len(s)
		} else {
			end += off
			next = end + 1
		}
		l := fastLine{start: off, end: end}
		if end > off && s[end-1] == '\r' {
			l.end--
		}
		for l.ind < l.end-l.start && s[l.start+l.ind] == ' ' {
			l.ind++
		}
		l.trivia = l.start+l.ind == l.end || s[l.start+l.ind] == '#'
		p.lines = append(p.lines, l)
		off = next
	}
	p.skipTrivia()
	if p.li >= len(p.lines) || p.li != 0 {
		return nil
	}
	l := p.lines[0]
	if !isDashStr(s, l.start+l.ind, l.end) {
		return nil
	}
	root := p.seq(l.ind)
	p.skipTrivia()
	if p.bad || p.li != len(p.lines) {
		return nil
	}
	return root
}

func (p *fastParser) node(kind yaml.Kind, tag string, style yaml.Style, value string, li, off int) *yaml.Node {
	if p.bi == len(p.blocks) {
		p.blocks = append(p.blocks, make([]yaml.Node, 1024))
	}
	n := &p.blocks[p.bi][p.ni]
	if p.ni++; p.ni == len(p.blocks[p.bi]) {
		p.bi, p.ni = p.bi+1, 0
	}
	*n = yaml.Node{Kind: kind, Tag: tag, Style: style, Value: value, Line: li + 1, Column: p.column(li, off)}
	return n
}

// column converts a byte offset in line li to yaml.v3's 1-based column,
// which counts characters. Nodes come in order along a line, so a long
// line of non-ASCII text is counted once, not once per node.
func (p *fastParser) column(li, off int) int {
	l := p.lines[li]
	if li != p.colLine || off < p.colOff {
		p.colLine, p.colOff, p.colN = li, 0, 0
	}
	p.colN += utf8.RuneCountInString(p.s[l.start+p.colOff : l.start+off])
	p.colOff = off
	return p.colN + 1
}

// finish gives a container the children pushed on the stack since mark.
func (p *fastParser) finish(n *yaml.Node, mark int) {
	k := len(p.ptrs)
	p.ptrs = append(p.ptrs, p.stack[mark:]...)
	n.Content = p.ptrs[k:len(p.ptrs):len(p.ptrs)]
	p.stack = p.stack[:mark]
}

func (p *fastParser) skipTrivia() {
	for p.li < len(p.lines) && p.lines[p.li].trivia {
		p.li++
	}
}

func isDashStr(s string, i, end int) bool {
	return i < end && s[i] == '-' && (i+1 == end || s[i+1] == ' ')
}

// text is line li's text from byte off.
func (p *fastParser) text(li, off int) string {
	l := p.lines[li]
	return p.s[l.start+off : l.end]
}

// seq parses a block list whose "-" items stand at indentation ind,
// starting at the current line.
func (p *fastParser) seq(ind int) *yaml.Node {
	n := p.node(yaml.SequenceNode, "!!seq", 0, "", p.li, ind)
	mark := len(p.stack)
	for !p.bad {
		p.skipTrivia()
		if p.li >= len(p.lines) {
			break
		}
		l := p.lines[p.li]
		if l.ind != ind || !isDashStr(p.s, l.start+ind, l.end) {
			if l.ind > ind {
				p.bad = true
			}
			break
		}
		li := p.li
		off := ind + 1
		t := p.text(li, off)
		rest := strings.TrimLeft(t, " ")
		off += len(t) - len(rest)
		var item *yaml.Node
		switch {
		case rest == "" || rest[0] == '#':
			p.li++
			item = p.nested(ind, li, ind+1)
		case isDashStr(rest, 0, len(rest)):
			p.bad = true // a list directly in a list item: rare, leave it to yaml.v3
		case p.isKey(li, off):
			item = p.mapping(li, off)
		default:
			item = p.inline(li, off)
			p.li++
			p.noContinuation(ind)
		}
		if p.bad {
			break
		}
		p.stack = append(p.stack, item)
	}
	p.finish(n, mark)
	return n
}

// nested parses the value of a key or item written on the lines after it:
// a block more indented than ind, or, for a key, a list at its own
// indentation. Nothing there is a null at (li, off), the place just after
// the ":" or "-".
func (p *fastParser) nested(ind, li, off int) *yaml.Node {
	p.skipTrivia()
	if p.li < len(p.lines) {
		l := p.lines[p.li]
		dash := isDashStr(p.s, l.start+l.ind, l.end)
		switch {
		case l.ind > ind && dash:
			return p.seq(l.ind)
		case l.ind > ind && p.isKey(p.li, l.ind):
			return p.mapping(p.li, l.ind)
		case l.ind > ind:
			p.bad = true // a scalar on its own line, maybe multi-line
			return nil
		}
	}
	return p.node(yaml.ScalarNode, "!!null", 0, "", li, off)
}

// noContinuation checks that the value just parsed does not go on to a
// more indented line (a multi-line plain scalar, or an error).
func (p *fastParser) noContinuation(ind int) {
	p.skipTrivia()
	if p.li < len(p.lines) && p.lines[p.li].ind > ind {
		p.bad = true
	}
}

// mapping parses a block mapping whose keys stand at byte offset ind; the
// first key is on the current line, maybe after a "- ".
func (p *fastParser) mapping(li, ind int) *yaml.Node {
	n := p.node(yaml.MappingNode, "!!map", 0, "", li, ind)
	mark := len(p.stack)
	for !p.bad {
		li := p.li
		key, vOff := p.key(li, ind)
		if key == nil {
			p.bad = true
			break
		}
		t := p.text(li, vOff)
		rest := strings.TrimLeft(t, " ")
		var val *yaml.Node
		if rest == "" || rest[0] == '#' {
			p.li++
			val = p.nestedOrList(ind, li, vOff)
		} else {
			val = p.inline(li, vOff+len(t)-len(rest))
			p.li++
			p.noContinuation(ind)
		}
		if p.bad {
			break
		}
		p.stack = append(p.stack, key, val)
		p.skipTrivia()
		if p.li >= len(p.lines) {
			break
		}
		l := p.lines[p.li]
		if l.ind < ind {
			break
		}
		if l.ind > ind || isDashStr(p.s, l.start+ind, l.end) || !p.isKey(p.li, ind) {
			p.bad = true
		}
	}
	p.finish(n, mark)
	return n
}

// nestedOrList is nested for a key's value, which may also be a list at
// the key's own indentation.
func (p *fastParser) nestedOrList(ind, li, off int) *yaml.Node {
	p.skipTrivia()
	if p.li < len(p.lines) {
		l := p.lines[p.li]
		if l.ind == ind && isDashStr(p.s, l.start+ind, l.end) {
			return p.seq(ind)
		}
	}
	return p.nested(ind, li, off)
}

// plainScan scans a one-line plain scalar at t[0]. It returns where its
// text ends (trailing spaces excluded) and, when a ": " or a final ":"
// follows it, the index of that colon (else -1). In a flow list it stops
// at "," or "]" and reports stop=false on anything subtler.
func plainScan(t string, flow bool) (end, colon int, ok bool) {
	if !plainStart(t) {
		return 0, -1, false
	}
	i := 0
	for i < len(t) {
		c := t[i]
		if flow {
			switch c {
			case ',', ']':
				return len(strings.TrimRight(t[:i], " ")), -1, true
			case '[', '{', '}', ':', '#':
				return 0, -1, false
			}
		} else if c == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			return len(strings.TrimRight(t[:i], " ")), i, true
		}
		if c == ' ' && i+1 < len(t) && t[i+1] == '#' {
			break
		}
		i++
	}
	if flow {
		return 0, -1, false // a flow list must close on its line
	}
	return len(strings.TrimRight(t[:i], " ")), -1, true
}

// plainStart reports whether t can start a plain scalar in the subset: no
// indicator first (a "-" only before a non-space, as in -5), and no
// document marker.
func plainStart(t string) bool {
	if t == "" {
		return false
	}
	switch t[0] {
	case '-':
		return len(t) > 1 && t[1] != ' ' && !strings.HasPrefix(t, "---")
	case '.':
		return !strings.HasPrefix(t, "...")
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return false
	}
	return true
}

// quoted scans a one-line quoted scalar at t[0] and returns its value and
// the index after the closing quote. Escapes in double quotes are left to
// yaml.v3.
func quoted(t string) (val string, after int, ok bool) {
	q := t[0]
	if q == '"' {
		for i := 1; i < len(t); i++ {
			switch t[i] {
			case '\\':
				return "", 0, false
			case '"':
				return t[1:i], i + 1, true
			}
		}
		return "", 0, false
	}
	esc := false
	for i := 1; i < len(t); i++ {
		if t[i] != '\'' {
			continue
		}
		if i+1 < len(t) && t[i+1] == '\'' {
			esc = true
			i++
			continue
		}
		v := t[1:i]
		if esc {
			v = strings.ReplaceAll(v, "''", "'")
		}
		return v, i + 1, true
	}
	return "", 0, false
}

// onlyTrivia reports whether t, what follows a value on its line, is
// spaces and maybe a comment (which needs a space before it).
func onlyTrivia(t string) bool {
	r := strings.TrimLeft(t, " ")
	return r == "" || (r[0] == '#' && len(r) < len(t))
}

func (p *fastParser) isKey(li, off int) bool {
	t := p.text(li, off)
	if t == "" {
		return false
	}
	if t[0] == '"' || t[0] == '\'' {
		_, after, ok := quoted(t)
		if !ok {
			return false
		}
		r := strings.TrimLeft(t[after:], " ")
		return r != "" && r[0] == ':' && (len(r) == 1 || r[1] == ' ')
	}
	_, colon, ok := plainScan(t, false)
	return ok && colon >= 0
}

// key parses the key at (li, off) and returns its node and the offset
// just after its colon.
func (p *fastParser) key(li, off int) (*yaml.Node, int) {
	t := p.text(li, off)
	if t == "" || len(t) > 1000 { // yaml.v3 wants a key's ":" within 1024 characters
		return nil, 0
	}
	if t[0] == '"' || t[0] == '\'' {
		v, after, ok := quoted(t)
		if !ok {
			return nil, 0
		}
		r := strings.TrimLeft(t[after:], " ")
		if r == "" || r[0] != ':' || (len(r) > 1 && r[1] != ' ') {
			return nil, 0
		}
		style := yaml.DoubleQuotedStyle
		if t[0] == '\'' {
			style = yaml.SingleQuotedStyle
		}
		return p.node(yaml.ScalarNode, "!!str", style, v, li, off), off + len(t) - len(r) + 1
	}
	end, colon, ok := plainScan(t, false)
	if !ok || colon < 0 {
		return nil, 0
	}
	return p.plain(t[:end], li, off), off + colon + 1
}

// plain makes a plain scalar node. yaml.v3 resolves its tag, except for
// the many values that cannot be anything but a string: resolve only ever
// makes a non-string of a value starting with a sign, a digit or a dot,
// or of one of a few words (null, true, false, ~ and their spellings).
func (p *fastParser) plain(v string, li, off int) *yaml.Node {
	n := p.node(yaml.ScalarNode, "!!str", 0, v, li, off)
	switch c := v[0]; {
	case v == "<<":
		n.Tag = "!!merge" // as yaml.v3's parser tags a plain <<
		return n
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0 && len(v) <= 5:
	default:
		return n
	}
	n.Tag = ""
	n.Tag = n.ShortTag()
	return n
}

// inline parses a value that is on its key's or item's line: a scalar or
// a flow list of scalars.
func (p *fastParser) inline(li, off int) *yaml.Node {
	t := p.text(li, off)
	switch t[0] {
	case '"', '\'':
		v, after, ok := quoted(t)
		if !ok || !onlyTrivia(t[after:]) {
			p.bad = true
			return nil
		}
		style := yaml.DoubleQuotedStyle
		if t[0] == '\'' {
			style = yaml.SingleQuotedStyle
		}
		return p.node(yaml.ScalarNode, "!!str", style, v, li, off)
	case '[':
		return p.flowList(li, off)
	}
	end, colon, ok := plainScan(t, false)
	if !ok || colon >= 0 {
		p.bad = true
		return nil
	}
	return p.plain(t[:end], li, off)
}

// flowList parses a one-line flow list of scalars, [a, "b", c].
func (p *fastParser) flowList(li, off int) *yaml.Node {
	n := p.node(yaml.SequenceNode, "!!seq", yaml.FlowStyle, "", li, off)
	mark := len(p.stack)
	t := p.text(li, off)
	i := 1
	for {
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i >= len(t) {
			p.bad = true
			return nil
		}
		if t[i] == ']' && len(p.stack) == mark {
			i++
			break
		}
		var item *yaml.Node
		if t[i] == '"' || t[i] == '\'' {
			v, after, ok := quoted(t[i:])
			if !ok {
				p.bad = true
				return nil
			}
			style := yaml.DoubleQuotedStyle
			if t[i] == '\'' {
				style = yaml.SingleQuotedStyle
			}
			item = p.node(yaml.ScalarNode, "!!str", style, v, li, off+i)
			i += after
		} else {
			end, _, ok := plainScan(t[i:], true)
			if !ok || end == 0 {
				p.bad = true
				return nil
			}
			item = p.plain(t[i:i+end], li, off+i)
			i += end
		}
		p.stack = append(p.stack, item)
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i < len(t) && t[i] == ',' {
			i++
			continue
		}
		if i < len(t) && t[i] == ']' {
			i++
			break
		}
		p.bad = true
		return nil
	}
	if !onlyTrivia(t[i:]) {
		p.bad = true
		return nil
	}
	p.finish(n, mark)
	return n
}
