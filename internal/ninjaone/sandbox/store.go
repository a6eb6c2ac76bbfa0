package sandbox

import (
	"slices"
)

// store is the tenant in memory, indexed both ways so that every operation
// costs what it touches: a role keeps its members as a sorted id slice
// (binary search to test, merge to add, one pass to remove), and each user
// keeps the ids of its roles, so deleting a user visits only its own roles.
// The caller holds the server's lock.
type store struct {
	orgs     map[int32]*Organization
	orgOrder []int32 // ascending

	users map[int32]*user
	// userOrder holds user ids ascending. Deleted ids stay until they are
	// more than half of it (then it is compacted), so a delete is O(1)
	// amortised and lists skip ids no longer in users.
	userOrder []int32
	stale     int
	nextUser  int32

	roles     map[int32]*role
	roleOrder []int32 // ascending
}

type user struct {
	User
	name  string  // "First Last", as role members show it
	roles []int32 // ids of the roles this user is a member of, unordered
}

type role struct {
	Role // Members is sorted ascending and has no duplicates
}

func newStore(t *Tenant) *store {
	s := &store{
		orgs:  make(map[int32]*Organization, len(t.Organizations)),
		users: make(map[int32]*user, len(t.Users)),
		roles: make(map[int32]*role, len(t.Roles)),
	}
	for _, o := range t.Organizations {
		o := o
		s.orgs[o.ID] = &o
		s.orgOrder = append(s.orgOrder, o.ID)
	}
	slices.Sort(s.orgOrder)
	s.userOrder = make([]int32, 0, len(t.Users))
	for _, u := range t.Users {
		s.users[u.ID] = &user{User: u, name: fullName(u)}
		s.userOrder = append(s.userOrder, u.ID)
		s.nextUser = max(s.nextUser, u.ID)
	}
	slices.Sort(s.userOrder)
	s.nextUser++
	for _, r := range t.Roles {
		r.Members = slices.Clone(r.Members)
		slices.Sort(r.Members)
		r.Members = slices.Compact(r.Members)
		s.roles[r.ID] = &role{Role: r}
		s.roleOrder = append(s.roleOrder, r.ID)
		for _, m := range r.Members {
			if u := s.users[m]; u != nil {
				u.roles = append(u.roles, r.ID)
			}
		}
	}
	slices.Sort(s.roleOrder)
	return s
}

func fullName(u User) string {
	switch {
	case u.FirstName == "":
		return u.LastName
	case u.LastName == "":
		return u.FirstName
	}
	return u.FirstName + " " + u.LastName
}

// tenant returns a deep copy in the seed format, ordered by id.
func (s *store) tenant() *Tenant {
	t := &Tenant{
		Organizations: make([]Organization, 0, len(s.orgs)),
		Roles:         make([]Role, 0, len(s.roles)),
		Users:         make([]User, 0, len(s.users)),
	}
	for _, id := range s.orgOrder {
		t.Organizations = append(t.Organizations, *s.orgs[id])
	}
	for _, id := range s.roleOrder {
		r := s.roles[id].Role
		r.Members = slices.Clone(r.Members)
		if r.Members == nil {
			r.Members = []int32{}
		}
		t.Roles = append(t.Roles, r)
	}
	s.eachUser(func(u *user) { t.Users = append(t.Users, u.User) })
	return t
}

// eachUser calls f for every user in id order.
func (s *store) eachUser(f func(*user)) {
	for _, id := range s.userOrder {
		if u := s.users[id]; u != nil {
			f(u)
		}
	}
}

func (s *store) eachRole(f func(*role)) {
	for _, id := range s.roleOrder {
		f(s.roles[id])
	}
}

// putUser creates or replaces a user, keeping its memberships.
func (s *store) putUser(u User) {
	if old := s.users[u.ID]; old != nil {
		old.User = u
		old.name = fullName(u)
		return
	}
	s.users[u.ID] = &user{User: u, name: fullName(u)}
	if n := len(s.userOrder); n == 0 || s.userOrder[n-1] < u.ID {
		s.userOrder = append(s.userOrder, u.ID)
	} else if i, found := slices.BinarySearch(s.userOrder, u.ID); !found {
		// Only a journal replayed over a newer state puts an old id back.
		s.userOrder = slices.Insert(s.userOrder, i, u.ID)
	} else {
		s.stale-- // the id was stale and is live again
	}
	s.nextUser = max(s.nextUser, u.ID+1)
}

// deleteUser removes a user and its memberships; it reports whether the
// user existed.
func (s *store) deleteUser(id int32) bool {
	u := s.users[id]
	if u == nil {
		return false
	}
	for _, rid := range u.roles {
		if r := s.roles[rid]; r != nil {
			if i, ok := slices.BinarySearch(r.Members, id); ok {
				r.Members = slices.Delete(r.Members, i, i+1)
			}
		}
	}
	delete(s.users, id)
	s.stale++
	if s.stale > len(s.userOrder)/2 {
		s.userOrder = slices.DeleteFunc(s.userOrder, func(id int32) bool { return s.users[id] == nil })
		s.stale = 0
	}
	return true
}

// addMembers adds users to a role; ids already members, or no longer
// users (a replayed journal), are skipped.
func (s *store) addMembers(r *role, ids []int32) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	add := make([]int32, 0, len(ids))
	for _, id := range ids {
		u := s.users[id]
		if u == nil {
			continue
		}
		if _, ok := slices.BinarySearch(r.Members, id); ok {
			continue
		}
		add = append(add, id)
		u.roles = append(u.roles, r.ID)
	}
	if len(add) == 0 {
		return
	}
	// Merge rather than insert one by one: linear in the role's size.
	merged := make([]int32, 0, len(r.Members)+len(add))
	i, j := 0, 0
	for i < len(r.Members) && j < len(add) {
		if r.Members[i] < add[j] {
			merged = append(merged, r.Members[i])
			i++
		} else {
			merged = append(merged, add[j])
			j++
		}
	}
	merged = append(merged, r.Members[i:]...)
	merged = append(merged, add[j:]...)
	r.Members = merged
}

// removeMembers removes users from a role; non-members are skipped.
func (s *store) removeMembers(r *role, ids []int32) {
	drop := make(map[int32]bool, len(ids))
	for _, id := range ids {
		if _, ok := slices.BinarySearch(r.Members, id); !ok {
			continue
		}
		drop[id] = true
		if u := s.users[id]; u != nil {
			if k := slices.Index(u.roles, r.ID); k >= 0 {
				u.roles[k] = u.roles[len(u.roles)-1]
				u.roles = u.roles[:len(u.roles)-1]
			}
		}
	}
	if len(drop) > 0 {
		r.Members = slices.DeleteFunc(r.Members, func(id int32) bool { return drop[id] })
	}
}

// roleNames returns the names of a user's roles, ordered by role id.
func (s *store) roleNames(u *user) []string {
	ids := slices.Clone(u.roles)
	slices.Sort(ids)
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if r := s.roles[id]; r != nil {
			names = append(names, r.Name)
		}
	}
	return names
}
