package plan

import (
	"fmt"
	"strings"
)

// Count says n of a noun in English: "1 user", "2 users", "0 users".
// plural is the noun's plural; empty means singular + "s".
func Count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	if plural == "" {
		plural = singular + "s"
	}
	return fmt.Sprintf("%d %s", n, plural)
}

// WithArticle puts "a" or "an" before s: "a technician", "an end_user".
func WithArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
