package plan

import (
	"fmt"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// benchTenant builds a tenant of n users (half technicians, half end users
// over 50 organizations) and 500 roles (250 of each type), each user in
// two roles of its type, and a file that lists every user with its roles,
// with 1% renamed, 1% new users and 1% moved to another role, so the diff
// has work of every kind.
func benchTenant(n int) (*Desired, *ninjaone.Snapshot) {
	const roles, orgs = 500, 50
	live := &ninjaone.Snapshot{}
	for i := range orgs {
		live.Organizations = append(live.Organizations, ninjaone.Organization{ID: int32(i + 1), Name: fmt.Sprintf("Org %d", i)})
	}
	for i := range roles {
		t := ninjaone.Technician
		if i%2 == 1 {
			t = ninjaone.EndUser
		}
		live.Roles = append(live.Roles, ninjaone.Role{ID: int32(1000 + i), Name: fmt.Sprintf("Role %d", i), Type: t})
	}
	d := &Desired{Version: 1, Path: "ninjaops.yaml", Settings: Settings{UnmanagedUsers: UnmanagedReport}}
	for i := range n {
		id := int32(i + 1)
		email := fmt.Sprintf("user%d@example.com", i)
		// Roles of the user's type: even indices are technician roles.
		r1, r2 := (i*2)%roles, (i*2+2)%roles
		spec := UserSpec{Email: email, FirstName: "First", LastName: fmt.Sprint("Last", i)}
		if i%2 == 0 {
			live.Technicians = append(live.Technicians, ninjaone.User{ID: id, Email: email, FirstName: "First", LastName: spec.LastName, UserType: ninjaone.Technician})
			spec.Type = TechnicianUser
		} else {
			r1, r2 = r1+1, (r2+1)%roles
			org := int32(i%orgs + 1)
			live.EndUsers = append(live.EndUsers, ninjaone.User{ID: id, Email: email, FirstName: "First", LastName: spec.LastName, UserType: ninjaone.EndUser, OrganizationID: org})
			spec.Type, spec.Organization = EndUserUser, fmt.Sprintf("Org %d", org-1)
		}
		live.Roles[r1].Members = append(live.Roles[r1].Members, ninjaone.RoleMember{ID: id, Email: email})
		live.Roles[r2].Members = append(live.Roles[r2].Members, ninjaone.RoleMember{ID: id, Email: email})
		spec.Roles = []string{live.Roles[r1].Name, live.Roles[r2].Name}
		switch i % 100 {
		case 7:
			spec.FirstName = "Renamed"
		case 13:
			spec.Email = fmt.Sprintf("new%d@example.com", i)
		case 29:
			spec.Roles[1] = live.Roles[(r2+2)%roles].Name
		}
		d.Users = append(d.Users, spec)
	}
	return d, live
}

func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		d, live := benchTenant(n)
		b.Run(fmt.Sprintf("users=%d/roles=500", n), func(b *testing.B) {
			b.ReportAllocs()
			var p *Plan
			for b.Loop() {
				var err error
				if p, err = Diff(d, live); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(p.Changes)), "changes")
		})
	}
}

// The benchmark's tenant must give the diff real work, or its figures
// mean nothing.
func TestBenchTenantHasWork(t *testing.T) {
	d, live := benchTenant(1000)
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary
	if s.Create != 10 || s.Update != 10 || s.Add != 30 || s.Remove != 10 || len(p.Unmanaged) != 10 {
		t.Errorf("summary %+v, unmanaged %d", s, len(p.Unmanaged))
	}
}
