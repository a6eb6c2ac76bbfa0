package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Guard names, as settings and flags spell them.
const (
	GuardMaxDeletions      = "max_deletions"
	GuardMaxRemovalPercent = "max_removal_percent"
)

// RemovalFloor is the number of membership removals that max_removal_percent
// never stops, whatever share of the governed memberships they are. A
// technician or end user holds one to three roles, so ten removals are
// the routine work of one pull request (offboarding a few people, moving a
// team to another role) and fit on one screen of the plan, where a
// reviewer reads each of them. The mistakes the guard exists for (a roles
// list lost, an exclusive role or a scope written wrong, a truncated file)
// remove dozens or hundreds. Without a floor, removing one member of a
// two-member role on a small tenant is 50% and every routine change needs
// an override, and a guard that is always overridden protects nothing.
const RemovalFloor = 10

// GuardViolation is a plan that a safety guard stops: plan warns about it,
// apply refuses to start.
type GuardViolation struct {
	Guard   string  // GuardMaxDeletions or GuardMaxRemovalPercent
	Value   float64 // the plan's figure: deletions, or percent removed
	Limit   float64
	Message string // names the figures and the flag that overrides
}

func (v GuardViolation) String() string { return v.Message }

// GuardBase is what the guards measure a plan against: what the file
// governs in the live tenant.
type GuardBase struct {
	// Users is the number of live users in settings.scope.
	Users int
	// Memberships is the number of their current role memberships, in
	// any role: the roles of users in scope, exclusive roles included
	// (an exclusive role governs only its members in scope).
	Memberships int
}

// GuardBaseOf measures what d governs in live. Plan and apply both use it,
// through CheckGuards, so they never disagree about what is too much.
func GuardBaseOf(d *Desired, live *ninjaone.Snapshot) GuardBase {
	if live == nil {
		live = &ninjaone.Snapshot{}
	}
	x := newDiffer(d, live)
	x.settings()
	return x.guardBase()
}

func (x *differ) guardBase() GuardBase {
	var b GuardBase
	for _, list := range [][]ninjaone.User{x.live.Technicians, x.live.EndUsers} {
		for i := range list {
			u := &list[i]
			if u.Email == "" || x.outOfScope(FromAPI(u.UserType), u.Email, u.OrganizationID) != "" {
				continue
			}
			b.Users++
			b.Memberships += len(x.memberOf[u.ID])
		}
	}
	return b
}

// ValidRemovalPercent reports whether p can be a max_removal_percent: a
// number from 0 to 100 (NaN is not, and must never turn the guard off).
func ValidRemovalPercent(p float64) bool { return p >= 0 && p <= 100 }

// CheckGuards checks p against the guards: more user deletions than
// maxDeletions, or more than RemovalFloor membership removals that are
// also above maxRemovalPercent of base.Memberships, the current
// memberships of the users the file governs.
func CheckGuards(p *Plan, base GuardBase, maxDeletions int, maxRemovalPercent float64) []GuardViolation {
	var out []GuardViolation
	deletions, removals := 0, 0
	for _, c := range p.Changes {
		switch {
		case c.Kind == UserKind && c.Action == Delete:
			deletions++
		case c.Kind == MembershipKind && c.Action == Remove:
			removals++
		}
	}
	if deletions > maxDeletions {
		out = append(out, GuardViolation{
			Guard: GuardMaxDeletions, Value: float64(deletions), Limit: float64(maxDeletions),
			Message: fmt.Sprintf("the plan deletes %s, more than max_deletions (%d); if that is intended, raise the limit with --max-deletions %d or settings.max_deletions",
				ofBase(deletions, base.Users, "user", "users", " in scope"), maxDeletions, deletions),
		})
	}
	if removals <= RemovalFloor {
		return out
	}
	// Removals of memberships the snapshot does not show still count: the
	// guard errs on the side of stopping.
	pct := 100.0
	if base.Memberships > removals {
		pct = float64(removals) * 100 / float64(base.Memberships)
	}
	// Written so that a NaN limit stops the plan rather than passing it.
	if !(pct <= maxRemovalPercent) {
		out = append(out, GuardViolation{
			Guard: GuardMaxRemovalPercent, Value: pct, Limit: maxRemovalPercent,
			Message: fmt.Sprintf("the plan removes %s (%s%%), more than max_removal_percent (%s%%); if that is intended, raise the limit with --max-removal-percent %s or settings.max_removal_percent",
				ofBase(removals, base.Memberships, "membership", "memberships", " of the users in scope"),
				percent(pct), percent(maxRemovalPercent), percentCeil(pct)),
		})
	}
	return out
}

// ofBase says "n of the base things" and where they are, or only "n
// things" when the base is unknown or smaller than n (a snapshot that
// misses what the plan removes).
func ofBase(n, base int, one, many, where string) string {
	if base >= n && base > 0 {
		return fmt.Sprintf("%d of the %s%s", n, Count(base, one, many), where)
	}
	return Count(n, one, many)
}

// percent formats a percentage with at most one decimal.
func percent(f float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
}

// percentCeil rounds up to one decimal, so the limit it suggests admits
// the plan.
func percentCeil(f float64) string {
	return percent(math.Ceil(f*10-1e-9) / 10)
}
