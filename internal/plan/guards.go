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

// GuardViolation is a plan that a safety guard stops: plan warns about it,
// apply refuses to start.
type GuardViolation struct {
	Guard   string  // GuardMaxDeletions or GuardMaxRemovalPercent
	Value   float64 // the plan's figure: deletions, or percent removed
	Limit   float64
	Message string // names the figures and the flag that overrides
}

func (v GuardViolation) String() string { return v.Message }

// CheckGuards checks p against the guards: more user deletions than
// maxDeletions, or membership removals above maxRemovalPercent of the
// current memberships of the roles concerned (the live member counts of
// the roles that lose members). Plan and apply share it so they never
// disagree about what is too much.
func CheckGuards(p *Plan, live *ninjaone.Snapshot, maxDeletions int, maxRemovalPercent float64) []GuardViolation {
	var out []GuardViolation
	deletions, removals := 0, 0
	roles := make(map[int32]bool)
	for _, c := range p.Changes {
		switch {
		case c.Kind == UserKind && c.Action == Delete:
			deletions++
		case c.Kind == MembershipKind && c.Action == Remove && c.Before != nil:
			removals++
			roles[c.Before.RoleID] = true
		}
	}
	if deletions > maxDeletions {
		out = append(out, GuardViolation{
			Guard: GuardMaxDeletions, Value: float64(deletions), Limit: float64(maxDeletions),
			Message: fmt.Sprintf("the plan deletes %s, more than max_deletions (%d); if that is intended, raise the limit with --max-deletions %d or settings.max_deletions", Count(deletions, "user", ""), maxDeletions, deletions),
		})
	}
	if removals == 0 {
		return out
	}
	current := 0
	if live != nil {
		for i := range live.Roles {
			if roles[live.Roles[i].ID] {
				current += len(live.Roles[i].Members)
			}
		}
	}
	// Removals of memberships the snapshot does not show still count: the
	// guard errs on the side of stopping.
	pct := 100.0
	if current > removals {
		pct = float64(removals) * 100 / float64(current)
	}
	if pct > maxRemovalPercent {
		out = append(out, GuardViolation{
			Guard: GuardMaxRemovalPercent, Value: pct, Limit: maxRemovalPercent,
			Message: fmt.Sprintf("the plan removes %d of the %d current memberships of the roles it changes (%s%%), more than max_removal_percent (%s%%); if that is intended, raise the limit with --max-removal-percent %s or settings.max_removal_percent",
				removals, current, percent(pct), percent(maxRemovalPercent), percentCeil(pct)),
		})
	}
	return out
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
