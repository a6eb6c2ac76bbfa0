package sandbox

import (
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// TestStoreModel applies random changes to the store and to a naive model
// (plain maps, no indexes) and compares them after every step, so the
// store's two-way membership index and its lazily compacted user order
// cannot drift.
func TestStoreModel(t *testing.T) {
	seed := Generate(200, 12, 600, 3, 5)
	st := newStore(seed)
	users := map[int32]User{}
	for _, u := range seed.Users {
		users[u.ID] = u
	}
	members := map[int32]map[int32]bool{}
	roleOf := map[int32]Role{}
	for _, r := range seed.Roles {
		members[r.ID] = map[int32]bool{}
		for _, m := range r.Members {
			members[r.ID][m] = true
		}
		roleOf[r.ID] = r
	}
	model := func() *Tenant {
		t := &Tenant{Organizations: seed.Organizations}
		for _, r := range seed.Roles {
			r.Members = []int32{}
			for m := range members[r.ID] {
				r.Members = append(r.Members, m)
			}
			slices.Sort(r.Members)
			t.Roles = append(t.Roles, r)
		}
		for _, u := range users {
			t.Users = append(t.Users, u)
		}
		slices.SortFunc(t.Users, func(a, b User) int { return int(a.ID - b.ID) })
		return t
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	randUser := func() int32 { return int32(rng.IntN(int(st.nextUser) + 5)) } // some unknown
	randIDs := func() []int32 {
		ids := make([]int32, rng.IntN(6))
		for i := range ids {
			ids[i] = randUser()
		}
		return ids
	}
	for step := range 3000 {
		var e entry
		switch rng.IntN(5) {
		case 0:
			u := User{ID: st.nextUser, FirstName: "N", UserType: ninjaone.EndUser, OrganizationID: 1, Enabled: true}
			if rng.IntN(2) == 0 {
				u.UserType, u.OrganizationID = ninjaone.Technician, 0
			}
			e = entry{Op: opPut, User: &u}
			users[u.ID] = u
		case 1:
			id := randUser()
			e = entry{Op: opDelete, ID: id}
			delete(users, id)
			for _, m := range members {
				delete(m, id)
			}
		case 2, 3:
			rid := int32(rng.IntN(12) + 1)
			ids := randIDs()
			e = entry{Op: opAdd, ID: rid, IDs: ids}
			for _, id := range ids {
				if u, ok := users[id]; ok {
					_ = u
					members[rid][id] = true
				}
			}
		case 4:
			rid := int32(rng.IntN(12) + 1)
			ids := randIDs()
			e = entry{Op: opRemove, ID: rid, IDs: ids}
			for _, id := range ids {
				delete(members[rid], id)
			}
		}
		if err := st.apply(e); err != nil {
			t.Fatal(err)
		}
		if step%100 == 0 || step == 2999 {
			if d := cmp.Diff(model(), st.tenant()); d != "" {
				t.Fatalf("step %d (%+v): store and model differ (-model +store):\n%s", step, e, d)
			}
			// The reverse index agrees with the roles.
			for _, u := range st.users {
				var want []int32
				for rid, m := range members {
					if m[u.ID] {
						want = append(want, rid)
					}
				}
				got := slices.Clone(u.roles)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("step %d: user %d roles index %v, want %v", step, u.ID, got, want)
				}
			}
		}
	}
}
