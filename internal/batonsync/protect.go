package batonsync

import (
	"fmt"
	"strings"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// protection decides which users the connector must never remove from a
// role or delete: System Administrators, whose permissions NinjaOne itself
// never lets anyone edit, and users whose email matches one of the
// configured case-insensitive globs (the same rule, and the same matcher,
// as ninjaops.yaml's `protected`).
type protection struct {
	globs []plan.Glob
}

func newProtection(globs []string) (protection, error) {
	var p protection
	for _, g := range globs {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		cg, err := plan.CompileGlob(g)
		if err != nil {
			return protection{}, fmt.Errorf("protected pattern %q: %v", g, err)
		}
		p.globs = append(p.globs, cg)
	}
	return p, nil
}

// reason says why u is protected, or "" when it is not.
func (p protection) reason(u ninjaone.User) string {
	if u.Administrator {
		return "the user is a System Administrator, whose permissions NinjaOne never lets automation change"
	}
	for _, g := range p.globs {
		if g.Match(u.Email) {
			return fmt.Sprintf("the user's email matches the protected pattern %q", g)
		}
	}
	return ""
}
