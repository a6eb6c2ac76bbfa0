package plan

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// Glob is a compiled protected pattern (settings.protected, and the baton
// connector's --protected): path.Match's syntax, matched case-insensitively
// against a whole email, in each of its spellings (emailaddr.Forms: a
// domain's Unicode and punycode spellings alike), so that
// "*@bücher.example" protects "x@xn--bcher-kva.example" too. Unlike path.Match, '/' is an ordinary character:
// an email's local part may hold one ("ops/admin@vendor.example"), and
// "*@vendor.example" must protect that user too.
type Glob struct {
	pattern string // lower-cased
	re      *regexp.Regexp
}

// CompileGlob checks pattern's syntax (that of path.Match: * any run of
// characters, ? one character, [a-z] or [^a-z] a class, \ an escape) and
// compiles it.
func CompileGlob(pattern string) (Glob, error) {
	p := strings.ToLower(norm.NFC.String(pattern))
	if _, err := path.Match(p, ""); err != nil {
		return Glob{}, err
	}
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	// lit writes the (possibly escaped) character at the start of s as a
	// regexp literal and returns how many bytes it took. path.Match
	// accepted p, so every class is closed and every escape is followed by
	// a character: the indexing below stays in bounds.
	lit := func(s string) int {
		r, n := utf8.DecodeRuneInString(s)
		if r == '\\' {
			var m int
			r, m = utf8.DecodeRuneInString(s[n:])
			n += m
		}
		fmt.Fprintf(&b, `\x{%x}`, r)
		return n
	}
	for i := 0; i < len(p); {
		switch p[i] {
		case '*':
			b.WriteString(`.*`)
			i++
		case '?':
			b.WriteString(`.`)
			i++
		case '[':
			i++
			b.WriteByte('[')
			if p[i] == '^' {
				b.WriteByte('^')
				i++
			}
			for p[i] != ']' {
				i += lit(p[i:])
				if p[i] == '-' {
					b.WriteByte('-')
					i++
					i += lit(p[i:])
				}
			}
			b.WriteByte(']')
			i++
		default:
			i += lit(p[i:])
		}
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return Glob{}, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return Glob{pattern: p, re: re}, nil
}

// Match reports whether email, compared case-insensitively and in any of
// its spellings, matches g.
func (g Glob) Match(email string) bool {
	if g.re == nil {
		return false
	}
	for _, f := range emailaddr.Forms(email) {
		if g.re.MatchString(f) {
			return true
		}
	}
	return false
}

// String is the lower-cased pattern, as messages quote it.
func (g Glob) String() string { return g.pattern }
