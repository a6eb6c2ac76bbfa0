package plan

import (
	"path"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, email string
		want           bool
	}{
		{"root@example.com", "ROOT@Example.com", true},
		{"root@example.com", "root@example.co", false},
		{"*@vendor.example", "val@vendor.example", true},
		{"*@vendor.example", "val@vendor.example.org", false},
		// '/' is an ordinary character in an email; path.Match's * and ?
		// would not match it.
		{"*@vendor.example", "ops/admin@vendor.example", true},
		{"ops?admin@*", "ops/admin@x.example", true},
		{"ops[/+]admin@*", "ops/admin@x.example", true},
		{"[^a]*@x.example", "/a@x.example", true},
		{"ops/*@x.example", "ops/a/b@x.example", true},
		{"a[b-d]c@x.example", "acc@x.example", true},
		{"a[b-d]c@x.example", "aec@x.example", false},
		{"a[^b-d]c@x.example", "aec@x.example", true},
		{`a\*c@x.example`, "a*c@x.example", true},
		{`a\*c@x.example`, "abc@x.example", false},
		{"[A-Z]*@x.example", "bob@x.example", true}, // classes compare lower-cased too
		{"é*@x.example", "ÉLODIE@x.example", true},
		{"a.c@x.example", "abc@x.example", false}, // . is literal
		{"(a)+@x.example", "(a)+@x.example", true},
		{"", "", true},
		{"", "a@x.example", false},
	}
	for _, tc := range tests {
		g, err := CompileGlob(tc.pattern)
		if err != nil {
			t.Errorf("CompileGlob(%q): %v", tc.pattern, err)
			continue
		}
		if got := g.Match(tc.email); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.pattern, tc.email, got, tc.want)
		}
	}
	for _, bad := range []string{"[z-a]", "[", "a[", "[]", "[a-]", `a\`, "[^]", "[-a]"} {
		if _, err := CompileGlob(bad); err == nil {
			t.Errorf("CompileGlob(%q) accepted a malformed pattern", bad)
		}
	}
}

// Where no '/' is involved, a Glob matches exactly as path.Match does on
// lower-cased text: the syntax the loader checks and documents.
func TestGlobAgreesWithPathMatch(t *testing.T) {
	patterns := []string{"*", "?", "a*", "*a", "a?c", "[abc]", "[^abc]", "[a-c]x", `\[a\]`, `\*`, "a*b*c", "*@*.example", "[\\]]", "[\\-]", `ab[^\-a]`}
	names := []string{"", "a", "b", "abc", "axc", "[a]", "*", "x@y.example", "]", "-", "ab-", "abz", "aXbYc", "é"}
	for _, p := range patterns {
		g, err := CompileGlob(p)
		if err != nil {
			t.Fatalf("CompileGlob(%q): %v", p, err)
		}
		for _, n := range names {
			want, _ := path.Match(strings.ToLower(p), strings.ToLower(n))
			if got := g.Match(n); got != want {
				t.Errorf("%q matching %q = %v, path.Match says %v", p, n, got, want)
			}
		}
	}
}
