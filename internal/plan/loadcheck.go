package plan

// The loader's rules that involve more than one value: a user's keys
// against its type and state, and emails and roles across entries. The
// rules of single values (types, enums, lengths, ranges) come from the
// struct tags in yamldecode.go.

import (
	"strings"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// The email and domain syntax the loader accepts, shared with the JSON
// Schema (so they are written to mean the same in Go's RE2 and in the
// ECMA-262 dialect schema validators use). Deliberately simple: one @, no
// spaces, control (C0, DEL, C1), no-break space or address-list
// characters, and a domain of at least two non-empty dot-separated labels.
// The other invisible characters (U+200B, U+202E...) have no spelling that
// both dialects read; the loader refuses them before this check
// (unicode.go). It catches typos and pasted display
// names ("Bob <bob@x.com>"); NinjaOne has the last word.
const (
	addrChar      = `[^\x00-\x20\x7f-\xa0@<>(),;:"\[\]\\]`
	labelChar     = `[^\x00-\x20\x7f-\xa0@<>(),;:"\[\]\\.]`
	emailPattern  = `^` + addrChar + `+@` + labelChar + `+(\.` + labelChar + `+)+$`
	domainPattern = `^` + labelChar + `+(\.` + labelChar + `+)+$`
)

// validEmail and validDomain accept exactly what emailPattern and
// domainPattern (which the JSON Schema publishes) match; written out by
// hand because a 100,000-user file spent a fifth of its load time in the
// regexp. TestEmailMatchesPattern keeps them equal.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	for _, r := range s[:at] {
		if !addrRune(r) {
			return false
		}
	}
	return validDomain(s[at+1:])
}

func validDomain(s string) bool {
	labels := 0
	for label := range strings.SplitSeq(s, ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			if !addrRune(r) {
				return false
			}
		}
		labels++
	}
	return labels >= 2
}

// addrRune is addrChar: not a control character, space, no-break space,
// or one of the characters that delimit addresses.
func addrRune(r rune) bool {
	if r <= 0x20 || (r >= 0x7f && r <= 0xa0) {
		return false
	}
	switch r {
	case '@', '<', '>', '(', ')', ',', ';', ':', '"', '[', ']', '\\':
		return false
	}
	return true
}

func checkEmail(s string) string {
	switch {
	case s == "":
		return "is empty"
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces; remove them"
	case !validEmail(s):
		return "is not a valid email address (want name@domain.tld)"
	}
	return ""
}

func checkDomain(s string) string {
	switch {
	case strings.HasPrefix(s, "@"):
		return "is not a domain: write it without the @, e.g. example.com"
	case strings.TrimSpace(s) != s:
		return "has leading or trailing spaces; remove them"
	case !validDomain(s):
		return "is not a domain name like example.com"
	}
	return ""
}

// checkGlob compiles a protected pattern the way the diff does.
func checkGlob(s string) string {
	if _, err := CompileGlob(s); err != nil {
		return "is not a valid pattern: use * for any run of characters, ? for one, [abc] or [a-z] for a class (and \\ to escape)"
	}
	return ""
}

// who names a user in messages: kind is "user", "end user"...
func who(kind string, u *UserSpec, ks *keySet) string {
	if ks.ok("email") {
		return kind + " " + quote(u.Email)
	}
	return "this " + kind
}

// checkUser checks one user's keys against each other and its email
// against the users before it.
func (d *decoder) checkUser(u *UserSpec, ks *keySet) {
	if ks.ok("email") {
		key := emailaddr.Key(u.Email)
		p, _ := u.At.lookupID(emailPosKey, -1)
		if first, dup := d.emails[key]; dup {
			how := "emails are compared case-insensitively"
			if strings.ToLower(u.Email) != strings.ToLower(first.email) {
				how = "emails are compared case-insensitively, and a domain's Unicode and punycode spellings are the same domain"
			}
			d.sink.add(p, "duplicate email %s (%s): first listed at line %d as %s",
				quote(u.Email), how, first.pos.Line, quote(first.email))
		} else {
			d.emails[key] = firstEmail{pos: p, email: u.Email}
		}
	}
	if !ks.ok("state") && ks.has("state") {
		return // its own error says enough
	}
	if u.State == Absent {
		for _, fi := range ks.si.fields {
			if fi.key != "email" && fi.key != "state" && ks.has(fi.key) {
				d.sink.add(ks.pos(fi.key), "%s does not apply to a user with state: absent (%s is deleted if it exists); an absent user takes only email and state",
					fi.key, who("user", u, ks))
			}
		}
		return
	}
	for _, key := range []string{"type", "first_name", "last_name"} {
		if !ks.has(key) {
			d.sink.add(u.At.Get(""), "%s has no %s (required unless state: absent)", who("user", u, ks), key)
		}
	}
	if !ks.ok("type") {
		return
	}
	switch u.Type {
	case TechnicianUser:
		for _, key := range []string{"organization", "organization_id", "full_portal_access", "send_invitation"} {
			if ks.has(key) {
				d.sink.add(ks.pos(key), "%s applies only to end users; %s is a technician", key, who("user", u, ks))
			}
		}
	case EndUserUser:
		switch org, id := ks.has("organization"), ks.has("organization_id"); {
		case !org && !id:
			d.sink.add(u.At.Get(""), "%s has no organization: give organization (a name) or organization_id", who("end user", u, ks))
		case org && id:
			d.sink.add(ks.pos("organization_id"), "%s has both organization and organization_id: keep one", who("end user", u, ks))
		}
	}
}

// checkRole checks that a role is declared once.
func (d *decoder) checkRole(r *RoleSpec, ks *keySet) {
	if !ks.ok("name") || !ks.ok("type") {
		return
	}
	key := [2]string{r.Name, string(r.Type)}
	if first, dup := d.roles[key]; dup {
		d.sink.add(r.At.Get(""), "role %s (%s) is declared twice (first at line %d, column %d)", quote(r.Name), r.Type, first.Line, first.Col)
		return
	}
	d.roles[key] = r.At.Get("")
}
