package ninjaone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// ErrInconsistent matches (errors.Is) every refusal of a read that cannot
// be trusted: lists that disagree with each other, ids that cannot be
// ids, a list answered with null or nothing. Nothing may be planned,
// applied, exported or synced from such a read.
var ErrInconsistent = errors.New("NinjaOne's answers cannot be trusted")

// InconsistentError is a refused read: what disagreed, with counts and a
// few examples.
type InconsistentError struct {
	// Findings each say one thing that disagreed, e.g. `100 members of 20
	// roles are in neither the technician nor the end-user list (e.g.
	// user 100251 in role "Role 0019")`.
	Findings []string
	// shapeOnly: every finding is a list answered without a list.
	shapeOnly bool
}

func (e *InconsistentError) Error() string {
	lead := "NinjaOne's lists disagree: "
	if e.shapeOnly {
		lead = "NinjaOne answered a list call without a list: "
	}
	return lead + strings.Join(e.Findings, "; ") + "; refusing to plan from a partial read. Run again; if it persists, report it."
}

func (e *InconsistentError) Is(target error) bool { return target == ErrInconsistent }

type findingKind int

const (
	notList findingKind = iota
	badIDs
	duplicateIDs
	unknownMembers
	memberEmails
	userCount
)

type finding struct {
	kind findingKind
	text string
}

func inconsistent(fs ...finding) *InconsistentError {
	e := &InconsistentError{shapeOnly: true}
	for _, f := range fs {
		e.Findings = append(e.Findings, f.text)
		e.shapeOnly = e.shapeOnly && f.kind == notList
	}
	return e
}

// notAList refuses a list call answered with null, nothing or 204.
func notAList(where, what string) error {
	return inconsistent(finding{kind: notList, text: fmt.Sprintf("%s answered %s instead of a list", where, what)})
}

// examples collects up to three examples and counts the rest.
type examples struct {
	n    int
	some []string
}

func (x *examples) add(format string, args ...any) {
	x.n++
	if len(x.some) < 3 {
		x.some = append(x.some, fmt.Sprintf(format, args...))
	}
}

func (x *examples) eg() string { return "e.g. " + strings.Join(x.some, ", ") }

// userIndex finds a user of a Snapshot by id: a dense table when the ids
// are close together, as NinjaOne's sequential ids are, else a map.
type userIndex struct {
	s      *Snapshot
	min    int32
	dense  []int32 // by id-min: index+1, 0 for none
	sparse map[int32]int32
}

// user returns the i-th user of the technicians then the end users.
func (x *userIndex) user(i int32) *User {
	if n := int32(len(x.s.Technicians)); i >= n {
		return &x.s.EndUsers[i-n]
	}
	return &x.s.Technicians[i]
}

func (x *userIndex) lookup(id int32) (int32, bool) {
	if x.sparse != nil {
		i, ok := x.sparse[id]
		return i, ok
	}
	if id < x.min || int64(id)-int64(x.min) >= int64(len(x.dense)) || x.dense[id-x.min] == 0 {
		return 0, false
	}
	return x.dense[id-x.min] - 1, true
}

// set records user i under id, or returns the index already there.
func (x *userIndex) set(id, i int32) (int32, bool) {
	if x.sparse != nil {
		if j, ok := x.sparse[id]; ok {
			return j, false
		}
		x.sparse[id] = i
		return 0, true
	}
	if j := x.dense[id-x.min]; j != 0 {
		return j - 1, false
	}
	x.dense[id-x.min] = i + 1
	return 0, true
}

func describeUser(u *User) string {
	what := "technician"
	if u.UserType == EndUser {
		what = "end user"
	}
	return fmt.Sprintf("%s %d (%q)", what, u.ID, u.Email)
}

// check refuses a Snapshot that is not self-consistent, or whose users
// are not those of GET /v2/users (all, when it was read). It is linear in
// the Snapshot and allocates an index of the users and nothing per member.
func check(s *Snapshot, all []int32) error {
	var fs []finding
	n := len(s.Technicians) + len(s.EndUsers)
	x := &userIndex{s: s}

	// User ids: positive, and unique across both lists. keys holds a
	// hash of each user's email, so that members are checked against it
	// without touching the users themselves (far apart in memory).
	var bad, dup examples
	lo, hi := int32(0), int32(0)
	keys := make([]uint64, n)
	for i := range int32(n) {
		u := x.user(i)
		keys[i] = emailKey(u.Email)
		if u.ID <= 0 {
			bad.add("%s", describeUser(u))
			continue
		}
		if lo == 0 || u.ID < lo {
			lo = u.ID
		}
		hi = max(hi, u.ID)
	}
	if span := int64(hi) - int64(lo) + 1; lo > 0 && span <= 4*int64(n)+1024 {
		x.min, x.dense = lo, make([]int32, span)
	} else {
		x.sparse = make(map[int32]int32, n)
	}
	for i := range int32(n) {
		u := x.user(i)
		if u.ID <= 0 {
			continue
		}
		if j, ok := x.set(u.ID, i); !ok {
			dup.add("id %d is %s and %s", u.ID, describeUser(x.user(j)), describeUser(u))
		}
	}
	if bad.n > 0 {
		fs = append(fs, finding{badIDs, fmt.Sprintf("%d users have an id that is not a positive 32-bit integer (%s)", bad.n, bad.eg())})
	}
	if dup.n > 0 {
		fs = append(fs, finding{duplicateIDs, fmt.Sprintf("%d user ids are listed twice across the technician and end-user lists (%s)", dup.n, dup.eg())})
	}

	// Role ids likewise; then every member among the users read.
	var badRole, dupRole, unknown, emails examples
	roleIDs := make(map[int32]string, len(s.Roles))
	unknownRoles, emailRoles, members, memberRoles := 0, 0, 0, 0
	for ri := range s.Roles {
		r := &s.Roles[ri]
		switch other, seen := roleIDs[r.ID]; {
		case r.ID <= 0:
			badRole.add("role %q has id %d", r.Name, r.ID)
		case seen:
			dupRole.add("id %d is role %q and role %q", r.ID, other, r.Name)
		default:
			roleIDs[r.ID] = r.Name
		}
		if r.MembersUnknown {
			continue
		}
		members += len(r.Members)
		if len(r.Members) > 0 {
			memberRoles++
		}
		u0, e0 := unknown.n, emails.n
		for _, m := range r.Members {
			i, ok := int32(0), false
			if m.ID > 0 {
				i, ok = x.lookup(m.ID)
			}
			if !ok {
				unknown.add("user %d in role %q", m.ID, r.Name)
				continue
			}
			if m.Email == "" || emailKey(m.Email) == keys[i] {
				continue
			}
			// Spelled differently: the same address by the project's rule
			// (case, Unicode normalisation, a domain's U- and A-label)?
			if u := x.user(i); emailaddr.Key(m.Email) != emailaddr.Key(u.Email) {
				emails.add("role %q lists %q as user %d, which is %s", r.Name, m.Email, m.ID, describeUser(u))
			}
		}
		if unknown.n > u0 {
			unknownRoles++
		}
		if emails.n > e0 {
			emailRoles++
		}
	}
	if badRole.n > 0 {
		fs = append(fs, finding{badIDs, fmt.Sprintf("%d roles have an id that is not a positive 32-bit integer (%s)", badRole.n, badRole.eg())})
	}
	if dupRole.n > 0 {
		fs = append(fs, finding{duplicateIDs, fmt.Sprintf("%d role ids are listed twice (%s)", dupRole.n, dupRole.eg())})
	}
	switch {
	case n == 0 && members > 0:
		fs = append(fs, finding{unknownMembers, fmt.Sprintf("the technician and end-user lists are both empty, yet %d roles have %d members (%s)", memberRoles, members, unknown.eg())})
	case unknown.n > 0:
		fs = append(fs, finding{unknownMembers, fmt.Sprintf("%d members of %d roles are in neither the technician nor the end-user list (%s)", unknown.n, unknownRoles, unknown.eg())})
	}
	if emails.n > 0 {
		fs = append(fs, finding{memberEmails, fmt.Sprintf("%d members of %d roles have another email than the user with their id (%s)", emails.n, emailRoles, emails.eg())})
	}

	if all != nil {
		if f, ok := checkAllUsers(x, n, all); ok {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return inconsistent(fs...)
}

// checkAllUsers compares GET /v2/users with the two typed lists: the
// same number of users, and the same ids.
func checkAllUsers(x *userIndex, n int, all []int32) (finding, bool) {
	var missing, extra examples
	seen := make([]bool, n)
	for _, id := range all {
		i, ok := int32(0), false
		if id > 0 {
			i, ok = x.lookup(id)
		}
		if !ok {
			if id > 0 {
				missing.add("user %d is in GET /v2/users but in neither list", id)
			} else {
				missing.add("GET /v2/users lists a user without a valid id")
			}
			continue
		}
		seen[i] = true
	}
	for i := range int32(n) {
		if u := x.user(i); !seen[i] && u.ID > 0 {
			extra.add("%s is not in GET /v2/users", describeUser(u))
		}
	}
	if len(all) == n && missing.n == 0 && extra.n == 0 {
		return finding{}, false
	}
	eg := append(missing.some, extra.some...)
	if len(eg) > 3 {
		eg = eg[:3]
	}
	if len(all) == n {
		return finding{userCount, fmt.Sprintf("GET /v2/users and the technician and end-user lists hold %d users each, but not the same ones (e.g. %s)", n, strings.Join(eg, ", "))}, true
	}
	return finding{userCount, fmt.Sprintf("GET /v2/users lists %d users, the technician and end-user lists %d together (e.g. %s)", len(all), n, strings.Join(eg, ", "))}, true
}

// emailKey hashes an email with ASCII letters folded to lower case
// (FNV-1a). Equal keys are taken as equal emails (a false match is a
// 1-in-2^64 chance); unequal ones are confirmed with strings.EqualFold,
// which also folds the rest of Unicode.
func emailKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}
