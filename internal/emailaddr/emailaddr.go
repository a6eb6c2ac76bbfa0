// Package emailaddr says when two spellings of an email address are the
// same address, as ninjaops matches users by email: case-insensitively, in
// Unicode normalization form C, and with a domain's Unicode spelling (its
// U-labels, "bücher.example") and its punycode spelling (its A-labels,
// "xn--bcher-kva.example") alike. NinjaOne may store either spelling of an
// address someone typed in the other, and matching them as different
// addresses would create a user twice.
//
// It owns nothing else and depends only on the IDNA and Unicode tables,
// so that every package matching users by email (the plan, apply, the
// NinjaOne client adopting a user it created) shares one rule.
package emailaddr

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Key is the spelling of addr that every spelling of the same address
// shares: lower-cased, in NFC, its domain in U-labels. Two addresses are
// the same when their Keys are equal. An address without '@' is keyed as
// a whole; an A-label that is not the canonical punycode of a valid
// Unicode label is kept as it is (it is its own domain).
func Key(addr string) string {
	if plain(addr) {
		return strings.ToLower(addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return lowerNFC(addr)
	}
	return lowerNFC(addr[:at]) + "@" + Domain(addr[at+1:])
}

// Domain is the Key of a domain: lower-cased, in NFC, in U-labels.
func Domain(d string) string {
	if plain(d) {
		return strings.ToLower(d)
	}
	labels := strings.Split(lowerNFC(d), ".")
	for i, l := range labels {
		if u, ok := uLabel(l); ok {
			labels[i] = u
		}
	}
	return strings.Join(labels, ".")
}

// ASCIIKey is Key with the domain in A-labels ("xn--..."), the spelling
// DNS uses. Labels that punycode cannot encode are kept in Unicode.
func ASCIIKey(addr string) string {
	k := Key(addr)
	at := strings.LastIndexByte(k, '@')
	if at < 0 || isASCII(k[at+1:]) {
		return k
	}
	labels := strings.Split(k[at+1:], ".")
	for i, l := range labels {
		if isASCII(l) {
			continue
		}
		if a, err := idna.Punycode.ToASCII(l); err == nil {
			labels[i] = a
		}
	}
	return k[:at] + "@" + strings.Join(labels, ".")
}

// Forms lists the distinct spellings a pattern should be matched against
// to find addr in any of them: addr lower-cased, its Key and its ASCIIKey.
func Forms(addr string) []string {
	low := strings.ToLower(addr)
	if plain(addr) {
		return []string{low}
	}
	out := []string{low}
	for _, f := range []string{Key(addr), ASCIIKey(addr)} {
		if !contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// uLabel decodes the A-label l (already lower-cased) to its U-label. ok is
// false unless l is the canonical punycode of a label IDNA2008 allows (no
// invisible, direction-changing or disallowed characters, the bidi rule
// kept): anything else stays its own, ASCII, domain.
func uLabel(l string) (string, bool) {
	if !strings.HasPrefix(l, "xn--") {
		return "", false
	}
	u, err := idna.Registration.ToUnicode(l)
	if err != nil || u == l || strings.Contains(u, ".") {
		return "", false
	}
	if a, err := idna.Registration.ToASCII(u); err != nil || a != l {
		return "", false
	}
	return u, true
}

// plain reports an ASCII string with no A-label: most addresses, for
// which every spelling is the lower-cased one.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return !hasALabel(s)
}

// hasALabel reports an "xn--" prefix, in any case, in ASCII s.
func hasALabel(s string) bool {
	for i := 2; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] == '-' && (s[i-1]|0x20) == 'n' && (s[i-2]|0x20) == 'x' {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerNFC(s string) string { return strings.ToLower(norm.NFC.String(s)) }
