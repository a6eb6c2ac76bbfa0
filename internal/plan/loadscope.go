package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// checkScope refuses the listed users that settings.scope leaves out, as
// far as the file alone tells: a user type the scope excludes, an email
// domain outside scope.email_domains, and an end user's organization named
// (by name) outside scope.organizations. The diff refuses the same users
// (it governs nothing outside the scope), but only once a tenant has been
// read; refusing them here lets validate say so, in the same words. What
// only NinjaOne knows (the organization behind an organization_id, the
// type of a user the file marks absent) is left to the diff.
//
// A scope entry that is itself invalid has its own error; the axis it
// belongs to is then not checked, so that one typo in the scope does not
// become an error on every user. So is a user whose email or type is
// invalid.
func checkScope(sink *diagSink, des *Desired) {
	s := &des.Settings.Scope
	var types map[UserType]bool
	if len(s.UserTypes) > 0 && !slices.ContainsFunc(s.UserTypes, func(t UserType) bool { return t.API() == "" }) {
		types = make(map[UserType]bool, len(s.UserTypes))
		for _, t := range s.UserTypes {
			types[t] = true
		}
	}
	var domains map[string]bool
	if len(s.EmailDomains) > 0 && !slices.ContainsFunc(s.EmailDomains, func(d string) bool { return checkDomain(d) != "" }) {
		domains = make(map[string]bool, len(s.EmailDomains))
		for _, d := range s.EmailDomains {
			domains[emailaddr.Domain(d)] = true
		}
	}
	var orgs map[string]bool
	if len(s.Organizations) > 0 && !slices.Contains(s.Organizations, "") {
		orgs = make(map[string]bool, len(s.Organizations))
		for _, o := range s.Organizations {
			orgs[o] = true
		}
	}
	if types == nil && domains == nil && orgs == nil {
		return
	}
	outside := func(u *UserSpec, key, why string) {
		p, ok := u.At.Lookup(key)
		if !ok {
			p = u.At.Get("")
		}
		sink.add(p, "user %s is outside settings.scope (%s); widen the scope or remove the entry", quote(u.Email), why)
	}
	for i := range des.Users {
		u := &des.Users[i]
		if checkEmail(u.Email) != "" {
			continue
		}
		// Each reason at its own place, all at once: a user outside the
		// scope in two ways is not fixed by fixing one.
		if types != nil && u.State != Absent && u.Type.API() != "" && !types[u.Type] {
			outside(u, "type", fmt.Sprintf("type %s is not in user_types", u.Type))
		}
		if dom := domainOf(u.Email); domains != nil && !domains[dom] {
			outside(u, "email", fmt.Sprintf("domain %q is not in email_domains", dom))
		}
		if orgs != nil && u.State != Absent && u.Type == EndUserUser && u.Organization != "" && !orgs[u.Organization] {
			why := fmt.Sprintf("organization %q is not in organizations", u.Organization)
			if m := scopeOrgMatch(u.Organization, s.Organizations); m != "" {
				why += fmt.Sprintf("; did you mean %q? organization names are compared exactly", m)
			}
			outside(u, "organization", why)
		}
	}
}

// scopeOrgMatch is the scope organization a user's organization name
// probably means: the same name in another case, or a near spelling.
func scopeOrgMatch(name string, scope []string) string {
	for _, o := range scope {
		if strings.EqualFold(o, name) {
			return o
		}
	}
	return suggest(name, scope)
}
