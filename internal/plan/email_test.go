package plan

import (
	"regexp"
	"strings"
	"testing"
)

// TestEmailMatchesPattern keeps the hand-written checks equal to the
// patterns the JSON Schema publishes.
func TestEmailMatchesPattern(t *testing.T) {
	emailRE, domainRE := regexp.MustCompile(emailPattern), regexp.MustCompile(domainPattern)
	inputs := []string{
		"", "a@b.c", "alice@example.com", "Alice.Smith+tag@sub.example.co.uk", "a@b", "@b.c", "a@.c", "a@b.", "a@b..c",
		"a@@b.c", "a b@c.d", "a@b c.d", "a@b.c ", "\ta@b.c", "a<b@c.d", "a@b.c>", "a\"b@c.d", "a@[1.2.3.4]", "a\\b@c.d",
		"ops/admin@vendor.example", "zoë@exämple.com", "a@b.c\x7f", "a\x00@b.c", "a@b.\xffc", "\xff@b.c", "a@b.c@d.e",
		"a.@b.c", ".a@b.c", "a@b,c.d", "a@b;c.d", "a:b@c.d", "a@b(c).d", strings.Repeat("x", 300) + "@y.z",
	}
	for _, s := range inputs {
		if got, want := validEmail(s), emailRE.MatchString(s); got != want {
			t.Errorf("validEmail(%q) = %v, the pattern says %v", s, got, want)
		}
		d := strings.TrimPrefix(s, "a@")
		if got, want := validDomain(d), domainRE.MatchString(d); got != want {
			t.Errorf("validDomain(%q) = %v, the pattern says %v", d, got, want)
		}
	}
}

func FuzzEmailMatchesPattern(f *testing.F) {
	emailRE, domainRE := regexp.MustCompile(emailPattern), regexp.MustCompile(domainPattern)
	for _, s := range []string{"a@b.c", "x@y", "a@b..c", "é@ü.de", "a\x00@b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validEmail(s) != emailRE.MatchString(s) {
			t.Errorf("validEmail(%q) disagrees with the pattern", s)
		}
		if validDomain(s) != domainRE.MatchString(s) {
			t.Errorf("validDomain(%q) disagrees with the pattern", s)
		}
	})
}
