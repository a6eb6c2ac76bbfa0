package plan

// Text that looks right but is not. The loader refuses characters that
// can only mislead where they stand (a control character in any value,
// an invisible or direction-changing one in an email), warns about words
// whose letters come from several scripts or from compatibility forms (an
// address that imitates another: a Cyrillic "а" in "alice", a fullwidth
// "ａ"), and the renderers escape what a terminal or a pull-request comment
// would hide or reorder.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// runeRule is which characters a string value may not hold.
type runeRule int

const (
	// anyValue: the controls a YAML file may not hold raw (C0 but tab,
	// line feed and carriage return; DEL; C1 but NEL), also when given
	// as escapes such as \0, \a or \e in a double-quoted string; and the
	// bidirectional embeddings, overrides and isolates, which make a value
	// display as something it is not. Every string in the file.
	anyValue runeRule = iota
	// addressValue: also every other invisible character: tabs and line
	// breaks, spaces other than U+0020, zero-width and other format
	// characters, private-use and unassigned code points. Emails, domains
	// and protected patterns.
	addressValue
)

// runeRules gives the fields with more than the anyValue rule, by Go type
// and yaml key as stringChecks does.
var runeRules = map[string]runeRule{
	"UserSpec.email":      addressValue,
	"Scope.email_domains": addressValue,
	"Settings.protected":  addressValue,
}

// bidiControl reports the characters that reorder how the text around
// them displays ("Trojan Source"): marks, embeddings, overrides, isolates.
func bidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || bidiOverride(r)
}

// bidiOverride reports the embeddings, overrides and isolates: the bidi
// controls that no name needs (the marks, U+200E, U+200F and U+061C, do
// turn up in names written in two directions).
func bidiOverride(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// ignorable reports the default-ignorable characters: shown as nothing.
func ignorable(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// invisible reports a character a reader cannot see as itself: a control
// or format character, a space other than U+0020, a private-use or
// unassigned code point, or a default-ignorable character.
func invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return !unicode.IsPrint(r) || ignorable(r)
}

// rawControl reports the controls a YAML file may not hold raw.
func rawControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85)
}

func (rule runeRule) refuses(r rune) bool {
	if rule == addressValue {
		return invisible(r)
	}
	return rawControl(r) || bidiOverride(r)
}

// refusedRune returns the first character of s that rule refuses. Every
// string of a 100,000-user file passes through it: ASCII is checked
// inline.
func (rule runeRule) refusedRune(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if rule.refuses(r) {
					return r, true
				}
			}
			return 0, false
		}
		if c < 0x20 || c == 0x7f {
			if rule == addressValue || (c != '\t' && c != '\n' && c != '\r') {
				return rune(c), true
			}
		}
	}
	return 0, false
}

func refusedBy(rule runeRule, s string) bool {
	_, bad := rule.refusedRune(s)
	return bad
}

// controlNames are the names (Unicode's aliases) of the controls people
// meet, which the Unicode name list leaves as "<control>".
var controlNames = map[rune]string{
	0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED",
	0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE",
	0x85: "NEXT LINE", 0x9B: "CONTROL SEQUENCE INTRODUCER",
}

// describeRune names r for a message: "U+200B ZERO WIDTH SPACE".
func describeRune(r rune) string {
	name := runenames.Name(r)
	if name == "" || strings.HasPrefix(name, "<") {
		name = controlNames[r]
	}
	if name == "" {
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("U+%04X %s", r, name)
}

// runeKind says what kind of character r is, for a message.
func runeKind(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "a control character"
	case bidiControl(r):
		return "a character that reorders the text around it"
	case ignorable(r):
		return "an invisible character"
	case unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp):
		return "a space character other than the plain space"
	case unicode.Is(unicode.Co, r):
		return "a private-use character"
	}
	return "a character Unicode does not assign"
}

// refusal is the message for a value holding r.
func refusal(r rune) string {
	return fmt.Sprintf("holds %s, %s; remove it", describeRune(r), runeKind(r))
}

// A lookalike check returns what it found in a value (a compatibility
// character, letters of several scripts in one word), or "", and the
// plainer spelling a compatibility character stands for.
type lookalikeCheck func(string) (found, plain string)

// lookalikeRules gives the fields checked for look-alikes, by Go type and
// yaml key.
var lookalikeRules = map[string]lookalikeCheck{
	"UserSpec.email":      lookalikeAddress,
	"Settings.protected":  lookalikeAddress,
	"Scope.email_domains": lookalikeDomain,
	"UserSpec.first_name": lookalikeName,
	"UserSpec.last_name":  lookalikeName,
}

// lookalikeWarning is the loader's warning about a value: what was found,
// and what to do.
func lookalikeWarning(found, plain string) string {
	if plain != "" {
		return found + ": did you mean " + quote(plain) + "?"
	}
	return found + ", so it may pass for another spelling; retype it unless that is meant"
}

// liveLookalike says why a live user's email may pass for another, or "".
func liveLookalike(email string) string {
	if r, bad := addressValue.refusedRune(email); bad {
		return fmt.Sprintf("holds %s, %s", describeRune(r), runeKind(r))
	}
	found, _ := lookalikeAddress(email)
	return found
}

// lookalikeAddress checks an email (or a protected pattern): compatibility
// forms anywhere, several scripts in one word of its local part or in one
// label of its domain (a punycode label is read as its Unicode).
func lookalikeAddress(s string) (string, string) {
	local, domain := s, ""
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		local, domain = s[:at], s[at+1:]
	}
	if !isASCII(s) {
		if found, plain := compatibility(s); found != "" {
			return found, plain
		}
		for _, w := range words(local) {
			if found := mixedScripts(w); found != "" {
				return found, ""
			}
		}
	}
	return lookalikeLabels(domain), ""
}

func lookalikeDomain(s string) (string, string) {
	if !isASCII(s) {
		if found, plain := compatibility(s); found != "" {
			return found, plain
		}
	}
	return lookalikeLabels(s), ""
}

// lookalikeLabels checks each label of a domain, decoding punycode.
func lookalikeLabels(domain string) string {
	if domain == "" || (isASCII(domain) && !strings.Contains(strings.ToLower(domain), "xn--")) {
		return ""
	}
	given := strings.Split(domain, ".")
	for i, label := range strings.Split(emailaddr.Domain(domain), ".") {
		if found := mixedScripts(label); found != "" {
			if i < len(given) && strings.ToLower(given[i]) != label {
				return fmt.Sprintf("has the punycode label %s, which is %s and %s", strconv.Quote(given[i]), strconv.Quote(label), found)
			}
			return found
		}
	}
	return ""
}

func lookalikeName(s string) (string, string) {
	if isASCII(s) {
		return "", ""
	}
	if found, plain := compatibility(s); found != "" {
		return found, plain
	}
	for _, w := range words(s) {
		if found := mixedScripts(w); found != "" {
			return found, ""
		}
	}
	return "", ""
}

// compatibility finds a compatibility character (a fullwidth letter, a
// ligature, a superscript) that stands for plainer text, and returns the
// whole of s in the plainer spelling.
func compatibility(s string) (string, string) {
	nfc := norm.NFC.String(s)
	k := norm.NFKC.String(nfc)
	if k == nfc {
		return "", ""
	}
	for _, r := range nfc {
		if plain := norm.NFKC.String(string(r)); plain != string(r) {
			return fmt.Sprintf("holds %s, a look-alike of %s", describeRune(r), strconv.Quote(plain)), k
		}
	}
	return "", ""
}

// plainKey is an email key with compatibility characters read as the
// plain ones they stand for: "ａlice@example.com" is "alice@example.com".
func plainKey(k string) string {
	if isASCII(k) {
		return k
	}
	return emailaddr.Key(norm.NFKC.String(k))
}

// words splits s into runs of letters, marks and digits.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r)
	})
}

// allowedMixes are the scripts that write one language together (Unicode's
// "highly restrictive" level, UTS #39): Japanese, Chinese with Bopomofo,
// Korean, each also with Latin.
var allowedMixes = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

// mixedScripts says which scripts word mixes and names a letter of the
// rarer one, or "" when it is written in one script (or an allowed mix).
func mixedScripts(word string) string {
	type seen struct {
		n     int
		first rune
	}
	scripts := map[string]*seen{}
	var order []string
	for _, r := range word {
		sc := scriptOf(r)
		if sc == "" || sc == "Common" || sc == "Inherited" {
			continue
		}
		if scripts[sc] == nil {
			scripts[sc] = &seen{first: r}
			order = append(order, sc)
		}
		scripts[sc].n++
	}
	if len(order) < 2 {
		return ""
	}
	for _, mix := range allowedMixes {
		ok := true
		for _, sc := range order {
			ok = ok && mix[sc]
		}
		if ok {
			return ""
		}
	}
	rare := order[0]
	for _, sc := range order[1:] {
		if scripts[sc].n < scripts[rare].n {
			rare = sc
		}
	}
	r := scripts[rare].first
	names := strings.Join(order[:len(order)-1], ", ") + " and " + order[len(order)-1]
	return fmt.Sprintf("mixes %s letters in %s (%s is %s)", names, strconv.Quote(word), strconv.QuoteRune(r), describeRune(r))
}

// frequentScripts are tried first: the scripts of most names and addresses.
var frequentScripts = []string{"Latin", "Common", "Inherited", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Devanagari", "Thai", "Armenian", "Georgian"}

var scriptCache sync.Map // rune -> string

// scriptOf returns the name of r's script, as package unicode calls it.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return "Common"
	}
	if v, ok := scriptCache.Load(r); ok {
		return v.(string)
	}
	name := ""
	for _, sc := range frequentScripts {
		if unicode.Is(unicode.Scripts[sc], r) {
			name = sc
			break
		}
	}
	if name == "" {
		for sc, t := range unicode.Scripts {
			if unicode.Is(t, r) {
				name = sc
				break
			}
		}
	}
	scriptCache.Store(r, name)
	return name
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// escapeInvisible replaces each invisible character of s with its Go
// escape (\u202e), so that live data shown on a terminal or in a
// pull-request comment cannot hide, reorder or imitate the text around it.
func escapeInvisible(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if invisible(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EscapeInvisible is escapeInvisible for callers outside the package that
// print live data (apply's progress and outcome lines).
func EscapeInvisible(s string) string { return escapeInvisible(s) }
