package plan

// Loading a large file in bounded memory. yaml.v3 builds the whole
// yaml.Node tree of a document before anything can look at it, and that
// tree costs about fifteen times the file's size: some 250 MB for a
// 100,000-user file, on top of the result. So the loader splits the
// document first. A cheap line scanner finds the top-level keys and, for
// `users:` and `roles:` written as block lists, where each list item
// starts. yaml.v3 then parses a skeleton of the document (those lists
// blanked out, every line kept in place) and the lists a chunk of items at
// a time; the walk decodes each chunk and drops it before parsing the next.
//
// The scanner only splits where it can be sure an item starts: a line with
// "-" at the list's indentation, outside any quoted scalar or flow
// collection, in a document without tabs, anchors, tags, block scalars,
// directives or document markers. Anything else, and any chunk yaml.v3
// refuses, makes the loader parse the whole document at once instead,
// which is always correct, only hungrier. The fuzz test checks that both
// ways give the same result on every input.

import (
	"bytes"
	"reflect"

	"gopkg.in/yaml.v3"
)

// defaultChunkSize is roughly how many bytes of list items are parsed at a
// time: large enough that yaml.v3's per-parse overhead vanishes, small
// enough that a chunk's node tree stays a few megabytes.
const defaultChunkSize = 256 << 10

// splitKeys are the top-level lists worth splitting.
var splitKeys = map[string]bool{"users": true, "roles": true}

// split is a document cut into a skeleton and the chunks of its big lists.
type split struct {
	skeleton []byte
	seqs     map[string]*lazySeq // by top-level key
}

// lazySeq is a top-level block list whose items are parsed chunk by chunk.
type lazySeq struct {
	line, col int // of the first item's "-"
	count     int
	chunks    []chunk
}

// chunk is a run of whole list items: src[start:end], starting on line.
type chunk struct {
	start, end int
	line       int
	items      int
}

// lexer follows just enough of YAML's syntax, line by line, to know
// whether a line starts inside a quoted scalar or a flow collection.
type lexer struct {
	quote byte // '"' or '\'' while inside a quoted scalar
	flow  int  // depth of [ ] and { }
}

func (lx *lexer) clean() bool { return lx.quote == 0 && lx.flow == 0 }

// line lexes one line (without its line break). It returns false on
// anything it does not model, so that the caller gives up splitting.
func (lx *lexer) line(b []byte) bool {
	i := 0
	for {
		if lx.quote != 0 {
			j, closed := scanQuoted(b, i, lx.quote)
			if !closed {
				return true
			}
			lx.quote = 0
			i = j
			continue
		}
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) {
			return true
		}
		switch c := b[i]; c {
		case '#':
			// A comment needs a space before it (or the line start).
			return i == 0 || b[i-1] == ' '
		case '"', '\'':
			lx.quote = c
			i++
			continue
		case '[', '{':
			lx.flow++
			i++
			continue
		case ']', '}':
			if lx.flow == 0 {
				return false
			}
			lx.flow--
			i++
			continue
		case ',':
			if lx.flow == 0 {
				return false
			}
			i++
			continue
		case '|', '>', '&', '*', '!', '%', '@', '`', '?':
			// Block scalars, anchors, aliases, tags, directives,
			// reserved characters and complex keys: not modelled.
			return false
		case '-':
			if lx.flow == 0 && (i+1 == len(b) || b[i+1] == ' ') {
				i++
				continue
			}
		case ':':
			if i+1 == len(b) || b[i+1] == ' ' || (lx.flow > 0 && isFlowIndicator(b[i+1])) {
				i++
				continue
			}
		}
		i = scanPlain(b, i, lx.flow > 0)
	}
}

func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// scanQuoted scans a quoted scalar's text from b[i] and returns the index
// after its closing quote, or false when it goes on past the line.
func scanQuoted(b []byte, i int, q byte) (int, bool) {
	for i < len(b) {
		c := b[i]
		if q == '"' && c == '\\' {
			i += 2
			continue
		}
		if c == q {
			if q == '\'' && i+1 < len(b) && b[i+1] == '\'' {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(b), false
}

// scanPlain returns where the plain scalar starting at b[i] ends: at a
// ": ", at a " #", at a flow indicator in a flow collection, or at the end
// of the line.
func scanPlain(b []byte, i int, flow bool) int {
	for i < len(b) {
		c := b[i]
		switch {
		case c == ':' && (i+1 == len(b) || b[i+1] == ' ' || (flow && isFlowIndicator(b[i+1]))):
			return i
		case c == ' ' && i+1 < len(b) && b[i+1] == '#':
			return i
		case flow && isFlowIndicator(c):
			return i
		}
		i++
	}
	return i
}

// isDash reports whether line has a block sequence indicator at ind.
func isDash(line []byte, ind int) bool {
	return ind < len(line) && line[ind] == '-' && (ind+1 == len(line) || line[ind+1] == ' ')
}

// topKey reads a top-level key line "name:" and what follows the colon.
func topKey(line []byte) (key string, rest []byte, ok bool) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			i++
			continue
		}
		break
	}
	if i == 0 || i == len(line) || line[i] != ':' || (i+1 < len(line) && line[i+1] != ' ') {
		return "", nil, false
	}
	return string(line[:i]), line[i+1:], true
}

// isTrivia reports whether rest holds only spaces and a comment.
func isTrivia(rest []byte) bool {
	t := bytes.TrimLeft(rest, " ")
	return len(t) == 0 || t[0] == '#' // topKey saw a space after the colon
}

var (
	nel = []byte("\u0085")
	ls  = []byte("\u2028")
	ps  = []byte("\u2029")
)

// splittable reports whether data is free of what would make the
// scanner's lines or columns differ from yaml.v3's: tabs, a byte order
// mark, and line breaks other than \n and \r\n. (Load has refused control
// characters and invalid UTF-8 before.)
func splittable(data []byte) bool {
	if bytes.IndexByte(data, '\t') >= 0 || bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) ||
		bytes.Contains(data, nel) || bytes.Contains(data, ls) || bytes.Contains(data, ps) {
		return false
	}
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 == len(data) || data[i+1] != '\n' {
			return false
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// splitDocument cuts data into a skeleton and chunks of at most about
// chunkSize bytes of list items. It returns nil when the document has no
// list worth splitting or has anything the scanner does not model.
func splitDocument(data []byte, chunkSize int) *split {
	if !splittable(data) {
		return nil
	}
	type section struct {
		key       string
		split     bool
		seq       *lazySeq
		indent    int
		bodyStart int // offset of the first item
		end       int
		chunkFrom int // offset where the current chunk starts
		chunkLine int
		chunkN    int
	}
	var (
		lx       lexer
		cur      *section
		sections []*section
		seen     = map[string]bool{}
	)
	closeChunk := func(s *section, end int) {
		if s.chunkN > 0 {
			s.seq.chunks = append(s.seq.chunks, chunk{start: s.chunkFrom, end: end, line: s.chunkLine, items: s.chunkN})
			s.chunkN = 0
		}
	}
	closeSection := func(end int) {
		if cur == nil {
			return
		}
		cur.end = end
		if cur.seq != nil {
			closeChunk(cur, end)
		}
		cur = nil
	}
	lineNo := 0
	for off := 0; off < len(data); {
		lineNo++
		end := len(data)
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end = off + i
			next = end + 1
		}
		line := data[off:end]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if !lx.clean() {
			// Inside a multi-line scalar or flow collection. A line at
			// column 0 is legal there in some cases; not worth modelling.
			if len(line) > 0 && line[0] != ' ' {
				return nil
			}
		} else {
			ind := 0
			for ind < len(line) && line[ind] == ' ' {
				ind++
			}
			trivia := ind == len(line) || line[ind] == '#'
			if !trivia {
				item := cur != nil && cur.split && isDash(line, ind) && (cur.seq == nil || ind == cur.indent)
				switch {
				case item:
					if cur.seq == nil {
						cur.seq = &lazySeq{line: lineNo, col: ind + 1}
						cur.indent = ind
						cur.bodyStart = off
						cur.chunkFrom, cur.chunkLine = off, lineNo
					} else if off-cur.chunkFrom >= chunkSize {
						closeChunk(cur, off)
						cur.chunkFrom, cur.chunkLine = off, lineNo
					}
					cur.seq.count++
					cur.chunkN++
				case ind == 0:
					key, rest, ok := topKey(line)
					if !ok || seen[key] {
						return nil
					}
					seen[key] = true
					closeSection(off)
					cur = &section{key: key, split: splitKeys[key] && isTrivia(rest)}
					sections = append(sections, cur)
				case cur == nil:
					return nil
				case cur.split && cur.seq == nil:
					// Not a block list after all: an ordinary section.
					cur.split = false
				case cur.split && ind <= cur.indent:
					return nil // malformed; yaml.v3 will say how
				}
			}
		}
		if !lx.line(line) {
			return nil
		}
		off = next
	}
	if !lx.clean() {
		return nil
	}
	closeSection(len(data))

	sp := &split{seqs: map[string]*lazySeq{}}
	var skel []byte
	last := 0
	for _, s := range sections {
		if !s.split || s.seq == nil {
			continue
		}
		if skel == nil {
			skel = make([]byte, 0, len(data)/8)
		}
		skel = append(skel, data[last:s.bodyStart]...)
		// Keep the line breaks so that every later line keeps its number.
		for _, c := range data[s.bodyStart:s.end] {
			if c == '\n' {
				skel = append(skel, '\n')
			}
		}
		last = s.end
		sp.seqs[s.key] = s.seq
	}
	if skel == nil {
		return nil
	}
	sp.skeleton = append(skel, data[last:]...)
	return sp
}

// lazySlice decodes a split list chunk by chunk into v. A chunk that does
// not parse as the scanner expected aborts the walk.
//
// Once the diagnostics are full the file is refused anyway, so the items
// after that are still walked (to count their errors) but not kept: a
// hostile file of millions of tiny bad items ("- {}") then costs one item
// of memory, not millions.
func (d *decoder) lazySlice(lz *lazySeq, v reflect.Value, fi *fieldInfo) bool {
	// Every item kept is valid, which takes some 30 bytes of text, or one
	// of the first MaxDiagnostics bad ones: so this is room enough, and
	// not millions of empty entries for millions of "- {}".
	body := 0
	for _, c := range lz.chunks {
		body += c.end - c.start
	}
	s := reflect.MakeSlice(v.Type(), 0, min(lz.count, body/30+MaxDiagnostics))
	scratch := reflect.New(v.Type().Elem()).Elem()
	zero := reflect.Zero(v.Type().Elem())
	if v.Type().Elem() == userSpecType && len(d.emails) == 0 {
		d.emails = make(map[string]firstEmail, s.Cap())
	}
	k := 0
	for _, c := range lz.chunks {
		var seq *yaml.Node
		if !d.noFast {
			seq = d.fast.parse(string(d.src[c.start:c.end]))
		}
		if seq == nil {
			doc, err := parseOne(d.src[c.start:c.end])
			if err != nil || len(doc.Content) != 1 {
				d.abort = true
				return false
			}
			seq = doc.Content[0]
		}
		if seq.Kind != yaml.SequenceNode || len(seq.Content) != c.items || seq.Line != 1 || k+c.items > lz.count {
			d.abort = true
			return false
		}
		d.off = c.line - 1
		for i, item := range seq.Content {
			if d.sink.full() {
				scratch.Set(zero)
				d.item(item, scratch, fi, k)
			} else {
				if s.Len() == s.Cap() {
					grown := reflect.MakeSlice(s.Type(), s.Len(), 2*s.Cap())
					reflect.Copy(grown, s)
					s = grown
				}
				s = s.Slice(0, s.Len()+1)
				d.item(item, s.Index(s.Len()-1), fi, k)
			}
			seq.Content[i] = nil // let the collector have yaml.v3's nodes
			k++
		}
		d.off = 0
	}
	if k != lz.count {
		d.abort = true
		return false
	}
	v.Set(s)
	return true
}
