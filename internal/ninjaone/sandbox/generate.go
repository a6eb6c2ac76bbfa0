package sandbox

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Generate builds a synthetic tenant for tests and benchmarks: users
// users (one in five a technician, the first of them a System
// Administrator), roles roles (half technician roles, half end-user roles),
// memberships distinct memberships (fewer when there are not that many
// possible pairs) and organizations organizations (at least one when there
// are end users). The same arguments always give the same tenant.
func Generate(users, roles, memberships, organizations int, seed int64) *Tenant {
	rng := mrand.New(mrand.NewPCG(uint64(seed), 0x5eed))
	techs := users / 5
	if users > 0 && techs == 0 {
		techs = 1
	}
	if users > techs && organizations < 1 {
		organizations = 1
	}
	t := &Tenant{
		Organizations: make([]Organization, organizations),
		Roles:         make([]Role, roles),
		Users:         make([]User, users),
	}
	for i := range t.Organizations {
		t.Organizations[i] = Organization{ID: int32(i + 1), Name: fmt.Sprintf("Customer %04d", i+1)}
	}
	for i := range t.Users {
		id := int32(i + 1)
		n := strconv.Itoa(i + 1)
		u := User{ID: id, FirstName: "First" + n, LastName: "Last" + n, Enabled: true, InvitationStatus: "REGISTERED"}
		if i < techs {
			u.UserType = ninjaone.Technician
			u.Email = "tech" + n + "@example.com"
			u.Administrator = i == 0
		} else {
			u.UserType = ninjaone.EndUser
			org := int32(rng.IntN(organizations)) + 1
			u.OrganizationID = org
			u.Email = "user" + n + "@customer" + strconv.Itoa(int(org)) + ".example"
			u.FullPortalAccess = rng.IntN(4) == 0
		}
		switch rng.IntN(50) {
		case 0:
			u.Enabled = false
		case 1:
			u.InvitationStatus = "PENDING"
		case 2:
			u.ScimUser = true
		}
		t.Users[i] = u
	}
	techRoles := roles / 2
	if roles > 0 && techRoles == 0 {
		techRoles = 1
	}
	for i := range t.Roles {
		r := Role{ID: int32(i + 1), Type: ninjaone.Technician}
		if i < techRoles {
			r.Name = fmt.Sprintf("Technician Role %04d", i+1)
		} else {
			r.Type = ninjaone.EndUser
			r.Name = fmt.Sprintf("Portal Role %04d", i+1-techRoles)
		}
		r.Description = "Generated role " + strconv.Itoa(i+1)
		t.Roles[i] = r
	}

	// Memberships: a random role, then a random user of its type, skipping
	// pairs already drawn. Capped by the number of possible pairs.
	endUsers := users - techs
	possible := techRoles*techs + (roles-techRoles)*endUsers
	memberships = min(memberships, possible)
	seen := make(map[uint64]struct{}, memberships)
	for n := 0; n < memberships; {
		ri := rng.IntN(roles)
		var uid int32
		if ri < techRoles {
			if techs == 0 {
				continue
			}
			uid = int32(rng.IntN(techs)) + 1
		} else {
			if endUsers == 0 {
				continue
			}
			uid = int32(techs+rng.IntN(endUsers)) + 1
		}
		k := uint64(ri)<<32 | uint64(uid)
		if _, dup := seen[k]; dup {
			// Dense tenants would draw duplicates for ever: fill the rest
			// of this role in order instead.
			if len(seen) > possible/2 {
				if id, ok := firstFree(seen, ri, techRoles, techs, users); ok {
					k, uid = uint64(ri)<<32|uint64(id), id
				} else {
					continue
				}
			} else {
				continue
			}
		}
		seen[k] = struct{}{}
		t.Roles[ri].Members = append(t.Roles[ri].Members, uid)
		n++
	}
	for i := range t.Roles {
		slices.Sort(t.Roles[i].Members)
		if t.Roles[i].Members == nil {
			t.Roles[i].Members = []int32{}
		}
	}
	return t
}

func firstFree(seen map[uint64]struct{}, ri, techRoles, techs, users int) (int32, bool) {
	lo, hi := 1, techs
	if ri >= techRoles {
		lo, hi = techs+1, users
	}
	for id := lo; id <= hi; id++ {
		if _, ok := seen[uint64(ri)<<32|uint64(id)]; !ok {
			return int32(id), true
		}
	}
	return 0, false
}
