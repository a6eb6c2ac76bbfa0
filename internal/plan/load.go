package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml4 "go.yaml.in/yaml/v4"
	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest desired-state file Load reads. A 100,000-user
// export is 15 to 20 MB, so 64 MiB leaves room for several times that
// while refusing, before any parsing, input that cannot be a ninjaops file.
const MaxFileSize = 64 << 20

// Load parses and validates a desired-state file. path names the file in
// messages; data is its content (the caller reads the file, or stdin).
//
// Load is strict: an unknown or duplicate key, a value of the wrong type or
// outside its range, and every rule of the format in README.md is an error.
// It reports all the problems it finds, not only the first, as a
// Diagnostics error of FILE:LINE:COL lines. On success the defaults are
// filled in (unmanaged_users report, membership authoritative, state
// present, scope user_types both, max_deletions 5, max_removal_percent 25)
// and every user and role carries the Positions of its keys.
func Load(path string, data []byte) (*Desired, error) {
	return load(path, data, loadOptions{})
}

type loadOptions struct {
	whole     bool // parse the whole document at once, never split it
	chunkSize int  // bytes of list items per chunk; 0: defaultChunkSize
	noFast    bool // parse chunks with yaml.v3 only
	noScope   bool // leave settings.scope to the diff (a test compares the two)
}

func load(path string, data []byte, o loadOptions) (*Desired, error) {
	if len(data) > MaxFileSize {
		return nil, TooLarge(path, int64(len(data)))
	}
	if p, msg := checkText(data); msg != "" {
		return nil, Diagnostics{{Path: path, Line: p.Line, Col: p.Col, Msg: msg}}
	}
	if !o.whole {
		size := o.chunkSize
		if size <= 0 {
			size = defaultChunkSize
		}
		if sp := splitDocument(data, size); sp != nil {
			if des, err, ok := loadSplit(path, data, sp, o); ok {
				return des, err
			}
		}
	}
	return loadWhole(path, data, o)
}

// TooLarge is the error for a file over MaxFileSize; size < 0 means its
// size is unknown (standard input), only that it is over the limit. Callers
// that read files use it to refuse one before reading it all.
func TooLarge(path string, size int64) error {
	what := fmt.Sprintf("more than %d MiB", MaxFileSize>>20)
	if size >= 0 {
		what = fmt.Sprintf("%.1f MiB (%d bytes)", float64(size)/(1<<20), size)
	}
	return Diagnostics{{Path: path, Msg: fmt.Sprintf(
		"the file is %s; the limit is %d MiB (%d bytes), several times the size of a 100,000-user file",
		what, MaxFileSize>>20, MaxFileSize)}}
}

func loadWhole(path string, data []byte, o loadOptions) (*Desired, error) {
	sink := &diagSink{path: path}
	doc, ok := parseDocument(sink, data)
	if !ok {
		return nil, sink.result()
	}
	d := newDecoder(sink, data)
	des := d.desired(doc)
	return finish(sink, des, path, data, o)
}

// loadSplit loads a split document. ok is false when the split turned out
// not to match what yaml.v3 reads; the caller then parses the whole.
func loadSplit(path string, data []byte, sp *split, o loadOptions) (des *Desired, err error, ok bool) {
	doc, perr := parseOne(sp.skeleton)
	if perr != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, false
	}
	root := doc.Content[0]
	lazy := make(map[*yaml.Node]*lazySeq, len(sp.seqs))
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		lz := sp.seqs[k.Value]
		if lz == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!null" || v.Value != "" {
			return nil, nil, false
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: lz.line, Column: lz.col}
		root.Content[i+1] = n
		lazy[n] = lz
	}
	if len(lazy) != len(sp.seqs) {
		return nil, nil, false
	}
	sink := &diagSink{path: path}
	d := newDecoder(sink, data)
	d.lazy = lazy
	d.noFast = o.noFast
	des = d.desired(doc)
	if d.abort {
		return nil, nil, false
	}
	des, err = finish(sink, des, path, data, o)
	return des, err, true
}

func finish(sink *diagSink, des *Desired, path string, data []byte, o loadOptions) (*Desired, error) {
	if !o.noScope {
		checkScope(sink, des)
	}
	if !sink.empty() {
		return nil, sink.result()
	}
	des.Path = path
	des.Source = data
	des.Warnings = sink.warnings()
	des.applyDefaults()
	return des, nil
}

// desired decodes a document node into a Desired.
func (d *decoder) desired(doc *yaml.Node) *Desired {
	des := &Desired{}
	root := doc.Content[0]
	if !d.plain(root) {
		return des
	}
	switch {
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		d.errAt(root, "the document is empty: it needs at least \"version: 1\"")
	case root.Kind != yaml.MappingNode:
		d.errAt(root, "the file must be a mapping with the keys version, settings, roles and users; found %s", describe(root))
		d.skip(root)
	default:
		d.structure(root, reflect.ValueOf(des).Elem())
	}
	return des
}

func (des *Desired) applyDefaults() {
	s := &des.Settings
	if s.UnmanagedUsers == "" {
		s.UnmanagedUsers = UnmanagedReport
	}
	if s.Membership == "" {
		s.Membership = Authoritative
	}
	if len(s.Scope.UserTypes) == 0 {
		s.Scope.UserTypes = []UserType{TechnicianUser, EndUserUser}
	}
	if s.MaxDeletions == nil {
		n := DefaultMaxDeletions
		s.MaxDeletions = &n
	}
	if s.MaxRemovalPercent == nil {
		p := DefaultMaxRemovalPercent
		s.MaxRemovalPercent = &p
	}
	for i := range des.Users {
		if des.Users[i].State == "" {
			des.Users[i].State = Present
		}
	}
}

// parseDocument parses data as exactly one YAML document, reporting an
// empty file, a syntax error or a second document.
func parseDocument(sink *diagSink, data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := safeDecode(dec, &doc)
	if errors.Is(err, io.EOF) {
		sink.add(Pos{Line: 1, Col: 1}, "the file is empty: it needs at least \"version: 1\"")
		return nil, false
	}
	if err != nil {
		p, msg := syntaxError(err, data)
		sink.add(p, "%s", msg)
		return nil, false
	}
	var more yaml.Node
	switch err := safeDecode(dec, &more); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p, msg := syntaxError(err, data)
		sink.add(p, "%s", msg)
		return nil, false
	default:
		p := Pos{Line: more.Line, Col: more.Column}
		if p.Line == 0 && len(more.Content) > 0 {
			p = Pos{Line: more.Content[0].Line, Col: more.Content[0].Column}
		}
		sink.add(p, "a second YAML document starts here: a desired-state file holds exactly one (remove the --- or ... line)")
		return nil, false
	}
	if len(doc.Content) != 1 {
		sink.add(Pos{Line: 1, Col: 1}, "the file is empty: it needs at least \"version: 1\"")
		return nil, false
	}
	return &doc, true
}

// parseOne parses data, known to hold at most one document.
func parseOne(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := safeDecode(yaml.NewDecoder(bytes.NewReader(data)), &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// safeDecode turns a panic inside the YAML parser into an error: hostile
// input must never crash ninjaops.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input (%v)", r)
		}
	}()
	return dec.Decode(n)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError places a yaml.v3 syntax error. yaml.v3 gives no column, and
// its line is often that of the enclosing construct, or one off. Its
// successor, go.yaml.in/yaml/v4 (in the module graph already), reports the
// exact place, so the loader asks it where the error is and keeps
// yaml.v3's own line only if v4 does not fail too. A tab, the commonest
// cause, gets a message of its own.
func syntaxError(err error, data []byte) (Pos, string) {
	msg := err.Error()
	p := Pos{Line: 1, Col: 1}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	context := ""
	if le := loadErrorV4(data); le != nil && le.Mark.Line > 0 {
		p = Pos{Line: le.Mark.Line, Col: max(le.Mark.Column, 1)}
		msg = le.Message
		if c := le.ContextMark; le.ContextMsg != "" && c.Line > 0 && (c.Line != p.Line || c.Column != p.Col) {
			context = fmt.Sprintf(" (%s that starts at line %d, column %d)", le.ContextMsg, c.Line, c.Column)
		}
	}
	text := lineText(data, p.Line)
	if tab := bytes.IndexByte(text, '\t'); tab >= 0 && (strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token")) {
		return Pos{Line: p.Line, Col: utf8.RuneCount(text[:tab]) + 1},
			"a tab character: YAML indents with spaces only (" + msg + ")"
	}
	return p, "YAML syntax error: " + msg + context
}

// loadErrorV4 parses data with go.yaml.in/yaml/v4 and returns its first
// error, if it is a located one.
func loadErrorV4(data []byte) (le *yaml4.LoadError) {
	defer func() {
		if recover() != nil {
			le = nil
		}
	}()
	dec := yaml4.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml4.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.As(err, &le) {
			return le
		}
		return nil
	}
}

// lineText returns line n (1-based) of data, without its line break.
func lineText(data []byte, n int) []byte {
	for n > 1 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
		n--
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	return data
}

// checkText finds the first byte that cannot be in a YAML file: invalid
// UTF-8 or a control character (YAML allows tab, line feed and carriage
// return only). yaml.v3 refuses these too, but without saying where.
func checkText(data []byte) (Pos, string) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				line++
				col = 1
				i++
				continue
			case c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f):
			default:
				return Pos{Line: line, Col: col}, fmt.Sprintf("control character %U is not allowed in a YAML file; remove it", c)
			}
			i++
			col++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			hint := ""
			if i == 0 && (c == 0xFF || c == 0xFE) {
				hint = " (it looks like UTF-16)"
			}
			return Pos{Line: line, Col: col}, fmt.Sprintf("the file is not valid UTF-8 (byte 0x%02X)%s: save it as UTF-8", c, hint)
		}
		if !(r == 0x85 || (r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000) {
			return Pos{Line: line, Col: col}, fmt.Sprintf("control character %U is not allowed in a YAML file; remove it", r)
		}
		i += size
		col++
	}
	return Pos{}, ""
}
