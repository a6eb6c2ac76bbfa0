package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// What the renderers share: the order and titles of the change groups,
// the summary sentence, and how a user's fields read.

// group is the changes of one kind and action, in plan order.
type group struct {
	kind    Kind
	action  Action
	title   string
	changes []Change
}

// groups splits p's changes, which Diff sorted, into the groups every
// renderer shows, leaving out empty ones.
func groups(p *Plan) []group {
	all := []group{
		{UserKind, Create, "Users to create", nil},
		{UserKind, Update, "Users to update", nil},
		{UserKind, Delete, "Users to delete", nil},
		{MembershipKind, Add, "Memberships to add", nil},
		{MembershipKind, Remove, "Memberships to remove", nil},
	}
	for _, c := range p.Changes {
		for i := range all {
			if all[i].kind == c.Kind && all[i].action == c.Action {
				all[i].changes = append(all[i].changes, c)
				break
			}
		}
	}
	out := all[:0]
	for _, g := range all {
		if len(g.changes) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// summaryCounts is the sentence after "Plan:", or "" when nothing changes.
func summaryCounts(s Summary) string {
	if s == (Summary{}) {
		return ""
	}
	return fmt.Sprintf("%d to create, %d to update, %d to delete, %s to add, %d to remove", s.Create, s.Update, s.Delete, Count(s.Add, "membership", ""), s.Remove)
}

// maxNamed is how many unmanaged users a summary line names.
const maxNamed = 5

// unmanagedNote names the unmanaged users for a summary line, each through
// esc: "Unmanaged: 2 users in scope are not in the file: a, b.", or "".
func unmanagedNote(p *Plan, esc func(string) string) string {
	n := len(p.Unmanaged)
	if n == 0 {
		return ""
	}
	names := make([]string, 0, min(n, maxNamed))
	for _, e := range p.Unmanaged[:min(n, maxNamed)] {
		names = append(names, esc(e))
	}
	list := strings.Join(names, ", ")
	if n > maxNamed {
		list += fmt.Sprintf(" and %d more", n-maxNamed)
	}
	if n == 1 {
		return "Unmanaged: 1 user in scope is not in the file: " + list + "."
	}
	return fmt.Sprintf("Unmanaged: %d users in scope are not in the file: %s.", n, list)
}

// field is one named value of a user as the renderers print it.
type field struct{ name, value string }

// userFields lists the fields v sets, in a fixed order.
func userFields(v *Values) []field {
	if v == nil {
		return nil
	}
	var fs []field
	if v.ID != 0 {
		fs = append(fs, field{"id", strconv.Itoa(int(v.ID))})
	}
	if v.Type != "" {
		fs = append(fs, field{"type", string(v.Type)})
	}
	if v.FirstName != "" {
		fs = append(fs, field{"first_name", strconv.Quote(v.FirstName)})
	}
	if v.LastName != "" {
		fs = append(fs, field{"last_name", strconv.Quote(v.LastName)})
	}
	if v.Phone != "" {
		fs = append(fs, field{"phone", strconv.Quote(v.Phone)})
	}
	if v.OrganizationID != 0 || v.Organization != "" {
		fs = append(fs, field{"organization", orgValue(v)})
	}
	if v.FullPortalAccess != nil {
		fs = append(fs, field{"full_portal_access", strconv.FormatBool(*v.FullPortalAccess)})
	}
	if v.SendInvitation {
		fs = append(fs, field{"send_invitation", "true"})
	}
	return fs
}

func orgValue(v *Values) string {
	switch {
	case v.Organization != "" && v.OrganizationID != 0:
		return fmt.Sprintf("%q (id %d)", v.Organization, v.OrganizationID)
	case v.Organization != "":
		return strconv.Quote(v.Organization)
	}
	return fmt.Sprintf("id %d", v.OrganizationID)
}

// fieldChange is one field an update changes.
type fieldChange struct{ name, old, new string }

// updatedFields lists the fields that differ between before and after.
func updatedFields(before, after *Values) []fieldChange {
	if before == nil || after == nil {
		return nil
	}
	var out []fieldChange
	str := func(name, b, a string) {
		if b != a {
			out = append(out, fieldChange{name, strconv.Quote(b), strconv.Quote(a)})
		}
	}
	str("first_name", before.FirstName, after.FirstName)
	str("last_name", before.LastName, after.LastName)
	str("phone", before.Phone, after.Phone)
	if before.OrganizationID != after.OrganizationID || before.Organization != after.Organization {
		out = append(out, fieldChange{"organization", orgValue(before), orgValue(after)})
	}
	if b, a := before.FullPortalAccess, after.FullPortalAccess; b != nil && a != nil && *b != *a {
		out = append(out, fieldChange{"full_portal_access", strconv.FormatBool(*b), strconv.FormatBool(*a)})
	}
	return out
}

// memberOf splits a membership change into its role label and member email.
func memberParts(c Change) (role, email string) {
	v := c.membership()
	return roleOf(c.Address), emailaddr.Key(v.Email)
}

// userEmail is the lower-cased email a user change is addressed by.
func userEmail(c Change) string {
	if c.After != nil {
		return emailaddr.Key(c.After.Email)
	}
	if c.Before != nil {
		return emailaddr.Key(c.Before.Email)
	}
	return c.Address
}
