package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// nodeDiff compares two node trees on everything the walk reads: kind,
// style, tag, value, anchor, place and children. Comments are ignored.
func nodeDiff(a, b *yaml.Node, path string) string {
	if a == nil || b == nil {
		if a != b {
			return fmt.Sprintf("%s: one node is nil", path)
		}
		return ""
	}
	type flat struct {
		Kind         yaml.Kind
		Style        yaml.Style
		Tag, Value   string
		Anchor       string
		Line, Column int
		Children     int
	}
	fa := flat{a.Kind, a.Style, a.ShortTag(), a.Value, a.Anchor, a.Line, a.Column, len(a.Content)}
	fb := flat{b.Kind, b.Style, b.ShortTag(), b.Value, b.Anchor, b.Line, b.Column, len(b.Content)}
	if d := cmp.Diff(fa, fb); d != "" {
		return fmt.Sprintf("%s:\n%s", path, d)
	}
	for i := range a.Content {
		if d := nodeDiff(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkFastParser parses s with the fast parser and, when it accepts s,
// checks that yaml.v3 reads the same tree. It reports whether it accepted.
func checkFastParser(t *testing.T, s string) bool {
	t.Helper()
	var p fastParser
	got := p.parse(s)
	if got == nil {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("fast parser accepted what yaml.v3 refuses (%v):\n%s", err, s)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("fast parser accepted an empty document:\n%q", s)
	}
	if d := nodeDiff(doc.Content[0], got, "root"); d != "" {
		t.Fatalf("fast parser and yaml.v3 differ (yaml.v3 first) on\n%s\n%s", s, d)
	}
	return true
}

func TestFastParser(t *testing.T) {
	tests := []struct {
		src    string
		accept bool
	}{
		{"- a\n", true},
		{"- email: a@x.example\n  type: technician\n", true},
		{"  - email: a\n    roles: [x, 'y', \"z\"]\n  - email: b\n", true},
		{"- roles:\n  - a\n  - b\n  email: c\n", true},
		{"- roles:\n    - a\n  email: c\n", true},
		{"-\n  a: b\n", true},
		{"-\n", true},
		{"- # comment\n  a: b\n", true},
		{"- a:\n  b: ~\n- c:   # x\n", true},
		{"- n: 1\n  f: 1.5\n  t: true\n  T: TRUE\n  y: yes\n  d: 2001-12-14\n  h: 0x1F\n  m: <<\n  neg: -5\n  dot: .5\n  nul: null\n  o: 0o17\n  e: 1e3\n  inf: .inf\n", true},
		{"- 'it''s': 'don''t'\n  \"q\": \"v\"\n", true},
		{"- a: b # c\n  # full comment\n\n  c: d\n# trailing\n", true},
		{"- a: []\n  b: [ x ,y ]\n  c: ['a, b', \"[c]\"]\n", true},
		{"- key with spaces: value:with:colons\n  k: a[1]{2}\n  z: http://x.example/a#b\n", true},
		{"- first_name: Zoë\n  last_name: Ünal\n  roles: [Rôle, Role]\n", true},
		{"- a:\n- b\n", true},
		{"- a:\n  - x\n- b\n", true},
		{"- a: b\r\n  c: d\r\n", true},
		{"- -5\n- .x\n- -foo\n", true},
		{"- a: x  \n  b: 'y'   \n", true},

		{"- a: |\n    x\n", false},                          // block scalar
		{"- &x a\n", false},                                 // anchor
		{"- *x\n", false},                                   // alias
		{"- !!str a\n", false},                              // tag
		{"- a: \"esc\\n\"\n", false},                        // escape
		{"- a: b\n    c\n", false},                          // multi-line plain scalar
		{"- a: {x: 1}\n", false},                            // flow mapping
		{"- - a\n", false},                                  // list in a list item
		{"- a: [x,\n  y]\n", false},                         // multi-line flow list
		{"- a: 'unterminated\n", false},                     // multi-line quote
		{"- ? a\n", false},                                  // complex key
		{"- a: b: c\n", false},                              // yaml.v3 refuses
		{"- a: [a, ]\n", false},                             // trailing comma
		{"- a: [[a]]\n", false},                             // nested flow
		{"- a: x\n  - y\n", false},                          // yaml.v3 refuses
		{"- a: x\n b: y\n", false},                          // bad indentation
		{"- a\n  - b\n", false},                             // continuation
		{"- a: 'x' y\n", false},                             // junk after a quote
		{"- a: ---\n", false},                               // looks like a marker
		{"- a: \"x\"#c\n", false},                           // comment without a space
		{"a: b\n", false},                                   // not a list
		{"# only a comment\n", false},                       // nothing
		{"- " + strings.Repeat("k", 1001) + ": v\n", false}, // key too long for yaml.v3
	}
	for _, tt := range tests {
		if got := checkFastParser(t, tt.src); got != tt.accept {
			t.Errorf("fast parser accepted=%v, want %v, on\n%s", got, tt.accept, tt.src)
		}
	}
}

// FuzzFastParser checks that whatever the fast parser accepts, yaml.v3
// reads the same way.
func FuzzFastParser(f *testing.F) {
	for _, s := range []string{
		"- email: a@x.example\n  type: technician\n  roles: [a, 'b', \"c\"]\n",
		"  - a:\n    - x\n  - b: ~\n",
		"- 'k''': [ x ,y ]  # c\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Chunks reach the parser only after Load's checks and the split's.
		if _, msg := checkText([]byte(s)); msg != "" || !splittable([]byte(s)) {
			return
		}
		checkFastParser(t, s)
	})
}

func TestSplitDocument(t *testing.T) {
	users := "users:\n  - email: a@x.example\n    state: absent\n  - email: b@x.example\n    state: absent\n"
	tests := []struct {
		name  string
		src   string
		split map[string]int // list key to item count; nil: not split
	}{
		{"users", "version: 1\n" + users, map[string]int{"users": 2}},
		{"users and roles", "version: 1\nroles:\n- name: R\n  type: technician\n" + users, map[string]int{"users": 2, "roles": 1}},
		{"lists at column 0", "version: 1\nusers:\n- email: a@x.example\n  roles:\n  - R\n- email: b@x.example\n", map[string]int{"users": 2}},
		{"comments and CRLF", "version: 1\r\n# c\r\nusers: # the users\r\n\r\n  # first\r\n  - email: a@x.example\r\n", map[string]int{"users": 1}},
		{"multi-line quote elsewhere", "version: 1\nsettings:\n  protected: [\"a\n    b\"]\n" + users, map[string]int{"users": 2}},
		{"flow list", "version: 1\nusers: [{email: a@x.example}]\n", nil},
		{"no lists", "version: 1\nsettings: {}\n", nil},
		{"tab", "version: 1\n" + users + "#\t\n", nil},
		{"anchor", "version: 1\nusers:\n  - &a {email: a@x.example}\n", nil},
		{"block scalar", "version: 1\nusers:\n  - email: |\n      a@x.example\n", nil},
		{"second document", "version: 1\n" + users + "---\nversion: 1\n", nil},
		{"byte order mark", "\xEF\xBB\xBFversion: 1\n" + users, nil},
		{"bare carriage return", "version: 1\r" + users, nil},
		{"duplicate key", "version: 1\n" + users + users, nil},
		{"quoted top-level key", "\"version\": 1\n" + users, nil},
		{"content before any key", "  version: 1\n" + users, nil},
		{"bad indentation", "version: 1\nusers:\n  - email: a@x.example\n - email: b@x.example\n", nil},
		{"unterminated quote", "version: 1\n" + users + "x: \"a\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := splitDocument([]byte(tt.src), 1)
			var got map[string]int
			if sp != nil {
				got = map[string]int{}
				for k, s := range sp.seqs {
					got[k] = s.count
					n := 0
					for _, c := range s.chunks {
						n += c.items
					}
					if n != s.count || len(s.chunks) != s.count {
						t.Errorf("%s: %d items in %d chunks of one item, want %d", k, n, len(s.chunks), s.count)
					}
				}
				if strings.Count(string(sp.skeleton), "\n") != strings.Count(tt.src, "\n") {
					t.Errorf("the skeleton does not keep every line:\n%s", sp.skeleton)
				}
			}
			if diff := cmp.Diff(tt.split, got); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
			// Whatever the split, every way of loading agrees.
			loadEveryWay(t, "f.yaml", []byte(tt.src))
		})
	}
}
