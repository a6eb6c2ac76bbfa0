package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// rereads serves Options.Reread from a list of snapshots, one per call,
// the last repeating, and counts the calls.
type rereads struct {
	mu    sync.Mutex
	snaps []*ninjaone.Snapshot
	errs  []error
	n     int
}

func (r *rereads) read(context.Context) (*ninjaone.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := min(r.n, len(r.snaps)-1)
	r.n++
	var err error
	if i < len(r.errs) {
		err = r.errs[i]
	}
	if err != nil {
		return nil, err
	}
	return r.snaps[i], nil
}

func tech(id int32, email string) ninjaone.User {
	return ninjaone.User{ID: id, Email: email, UserType: ninjaone.Technician}
}

// Users created since the plan (by another apply, or a person) are found
// by the re-read just before the create phase and adopted: not created
// again, their memberships sent with their ids, and the result says so.
// One that now exists with another type, or twice, is not created and its
// memberships are skipped.
func TestCreatedSinceThePlanIsAdopted(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("adopt@example.com", plan.TechnicianUser),
		userCreate("other-type@example.com", plan.TechnicianUser),
		userCreate("twice@example.com", plan.TechnicianUser),
		userCreate("new@example.com", plan.TechnicianUser),
		membership(plan.Add, 1, "adopt@example.com", 0),
		membership(plan.Add, 1, "other-type@example.com", 0),
		membership(plan.Add, 1, "twice@example.com", 0),
		membership(plan.Add, 1, "new@example.com", 0),
	}}
	now := &ninjaone.Snapshot{
		Technicians: []ninjaone.User{tech(77, "Adopt@Example.com"), tech(80, "twice@example.com"), tech(81, "TWICE@example.com")},
		EndUsers:    []ninjaone.User{{ID: 78, Email: "other-type@example.com", UserType: ninjaone.EndUser}},
	}
	after := &ninjaone.Snapshot{Technicians: append(now.Technicians, tech(1001, "new@example.com")), EndUsers: now.EndUsers}
	rr := &rereads{snaps: []*ninjaone.Snapshot{now, after}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Parallelism: 1, Reread: rr.read})

	if diff := cmp.Diff([]string{"create technician new@example.com", "add role 1 [77 1001]"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	got := statuses(rep)
	want := map[string]string{
		`create user["adopt@example.com"]`:                "ok",
		`create user["other-type@example.com"]`:           "failed: not created: since the plan, other-type@example.com was created in NinjaOne as end_user (user 78), not as the technician the plan creates; make a new plan",
		`create user["twice@example.com"]`:                "failed: not created: NinjaOne now holds 2 users with this email (users 80, 81), created since the plan; delete the extra ones in NinjaOne, then run apply again",
		`create user["new@example.com"]`:                  "ok",
		`add role["R1"].member["adopt@example.com"]`:      "ok",
		`add role["R1"].member["other-type@example.com"]`: "skipped: skipped: creating the user failed: not created: since the plan, other-type@example.com was created in NinjaOne as end_user (user 78), not as the technician the plan creates; make a new plan",
		`add role["R1"].member["twice@example.com"]`:      "skipped: skipped: creating the user failed: not created: NinjaOne now holds 2 users with this email (users 80, 81), created since the plan; delete the extra ones in NinjaOne, then run apply again",
		`add role["R1"].member["new@example.com"]`:        "ok",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if r := rep.Changes[0]; !r.Adopted || r.UserID != 77 || r.Note != adoptedNote {
		t.Errorf("adopted creation reported as %+v", r)
	}
	if rr.n != 2 || rep.Stopped != "" || len(rep.Duplicates) != 0 {
		t.Errorf("%d re-reads, stopped %q, duplicates %v; want 2, none, none", rr.n, rep.Stopped, rep.Duplicates)
	}
}

// An end user created since the plan in another organization than the
// plan's is someone else's: not adopted, and none of its memberships sent.
func TestCreatedSinceThePlanInAnotherOrganizationIsNotAdopted(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("same-org@example.com", plan.EndUserUser),
		userCreate("other-org@example.com", plan.EndUserUser),
		membership(plan.Add, 1, "same-org@example.com", 0),
		membership(plan.Add, 1, "other-org@example.com", 0),
	}}
	now := &ninjaone.Snapshot{EndUsers: []ninjaone.User{
		{ID: 78, Email: "same-org@example.com", UserType: ninjaone.EndUser, OrganizationID: 3},
		{ID: 79, Email: "other-org@example.com", UserType: ninjaone.EndUser, OrganizationID: 9},
	}}
	rr := &rereads{snaps: []*ninjaone.Snapshot{now, now}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Parallelism: 1, Reread: rr.read})
	if diff := cmp.Diff([]string{"add role 1 [78]"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	got := statuses(rep)
	why := "not created: since the plan, other-org@example.com was created in NinjaOne in organization 9 (user 79), not in the organization 3 the plan creates it in; make a new plan"
	want := map[string]string{
		`create user["same-org@example.com"]`:            "ok",
		`create user["other-org@example.com"]`:           "failed: " + why,
		`add role["R1"].member["same-org@example.com"]`:  "ok",
		`add role["R1"].member["other-org@example.com"]`: "skipped: skipped: creating the user failed: " + why,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// A user created at the same moment by someone else (after the re-read,
// while this run's creation was in flight) leaves two users with one
// email when NinjaOne accepts both. The re-read after the create phase
// finds it: the run stops before any membership, the report names the
// ids, and nothing after the create phase is started.
func TestDuplicateAfterCreatePhaseStopsTheRun(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("a@example.com", plan.TechnicianUser),
		userCreate("b@example.com", plan.TechnicianUser),
		membership(plan.Add, 1, "a@example.com", 0),
		membership(plan.Add, 1, "b@example.com", 0),
		userUpdate("c@example.com", 5),
		userDelete("d@example.com", 6),
	}}
	empty := &ninjaone.Snapshot{}
	// The fake gives ids 1001 (a) and 1002 (b); someone else made 990 for b.
	after := &ninjaone.Snapshot{Technicians: []ninjaone.User{tech(1001, "a@example.com"), tech(990, "B@example.com"), tech(1002, "b@example.com")}}
	rr := &rereads{snaps: []*ninjaone.Snapshot{empty, after}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Parallelism: 1, Reread: rr.read})

	if diff := cmp.Diff([]string{"create technician a@example.com", "create technician b@example.com"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	want := []Duplicate{{Email: "b@example.com", Created: 1002, UserIDs: []int32{990, 1002}}}
	if diff := cmp.Diff(want, rep.Duplicates); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if !strings.Contains(rep.Stopped, "1 of the users this apply created now share their email") || rep.Interrupted {
		t.Errorf("stopped %q, interrupted %v", rep.Stopped, rep.Interrupted)
	}
	for _, r := range rep.Changes[2:] {
		if !r.NotStarted || !strings.HasPrefix(r.Error, "not started: 1 of the users") {
			t.Errorf("%s %s = %+v, want not started, saying why", r.Action, r.Address, r)
		}
	}
	if rep.Totals != (Totals{OK: 2, Skipped: 4, Total: 6}) {
		t.Errorf("totals %+v", rep.Totals)
	}
}

// When a re-read fails, nothing is created (whether someone else did is
// unknown) and the memberships of those users are skipped; the rest of the
// plan goes on. When the one after the create phase fails, the run stops.
func TestRereadFailures(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("a@example.com", plan.TechnicianUser),
		membership(plan.Add, 1, "a@example.com", 0),
		userDelete("d@example.com", 6),
	}}
	boom := errors.New("GET /v2/user/roles: 503 Service Unavailable")
	rr := &rereads{snaps: []*ninjaone.Snapshot{nil}, errs: []error{boom}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Parallelism: 1, Reread: rr.read})
	if diff := cmp.Diff([]string{"delete end user 6"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if r := rep.Changes[0]; r.Status != Failed || !strings.Contains(r.Error, "reading NinjaOne's users again just before creating failed") || !strings.Contains(r.Error, "503") {
		t.Errorf("create = %+v", r)
	}
	if r := rep.Changes[1]; r.Status != Skipped || !strings.Contains(r.Error, "creating the user failed") {
		t.Errorf("membership = %+v", r)
	}

	rr = &rereads{snaps: []*ninjaone.Snapshot{{}, nil}, errs: []error{nil, boom}}
	f = &fake{}
	rep = Run(context.Background(), f, p, Options{Parallelism: 1, Reread: rr.read})
	if diff := cmp.Diff([]string{"create technician a@example.com"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !strings.Contains(rep.Stopped, "to check that none of the 1 created is now held twice failed") {
		t.Errorf("stopped = %q", rep.Stopped)
	}
}

// unreachable is a target whose calls fail as listed (nil: the fake's own
// answer), the last entry repeating.
type unreachable struct {
	*fake
	mu   sync.Mutex
	errs []error
	n    int
}

func (u *unreachable) next() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	i := min(u.n, len(u.errs)-1)
	u.n++
	return u.errs[i]
}

func (u *unreachable) DeleteEndUser(ctx context.Context, id int32) error {
	if err := u.fake.DeleteEndUser(ctx, id); err != nil {
		return err
	}
	return u.next()
}

var errGone = fmt.Errorf("DELETE /v2/user/end-user/1: dial tcp 127.0.0.1:1: connect: connection refused (after 8 attempts): %w", ninjaone.ErrUnreachable)

// When NinjaOne stops answering, a few calls in a row that cannot connect
// stop the run: no new change starts (they are reported not started, with
// the reason), instead of every remaining change being tried for minutes.
// An answer in between, even an error, starts the count again.
func TestUnreachableStopsStartingChanges(t *testing.T) {
	var cs []plan.Change
	for i := range 20 {
		cs = append(cs, userDelete(fmt.Sprintf("d%02d@example.com", i), int32(100+i)))
	}
	answered := &ninjaone.APIError{Method: "DELETE", StatusCode: 400, ErrorMessage: "no"}
	for _, tt := range []struct {
		name  string
		errs  []error
		calls int
	}{
		{"gone from the start", []error{errGone}, 3},
		{"an answer in between", []error{errGone, errGone, answered, nil, errGone, errGone, errGone}, 7},
		{"gone after some work", []error{nil, nil, nil, nil, errGone}, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := &unreachable{fake: &fake{}, errs: tt.errs}
			rep := Run(context.Background(), target, &plan.Plan{Changes: cs}, Options{Parallelism: 1})
			if len(target.calls) != tt.calls {
				t.Errorf("%d calls, want %d", len(target.calls), tt.calls)
			}
			if !strings.HasPrefix(rep.Stopped, "NinjaOne stopped answering: 3 calls in a row could not connect") || rep.Interrupted {
				t.Errorf("stopped %q, interrupted %v", rep.Stopped, rep.Interrupted)
			}
			notStarted := 0
			for _, r := range rep.Changes {
				if r.NotStarted {
					notStarted++
					if !strings.HasPrefix(r.Error, "not started: NinjaOne stopped answering") {
						t.Errorf("not started without the reason: %+v", r)
					}
				}
			}
			if notStarted != len(cs)-tt.calls || rep.Totals.Total != len(cs) {
				t.Errorf("%d not started, totals %+v; want %d", notStarted, rep.Totals, len(cs)-tt.calls)
			}
		})
	}

	// Four calls in flight when the server goes: after the first failure
	// no new call starts while the others are out, so the four are all
	// there is (they finish), not one more round of retries per slot.
	target := &unreachable{fake: &fake{rendezvous: 4}, errs: []error{errGone}}
	rep := Run(context.Background(), target, &plan.Plan{Changes: cs}, Options{Parallelism: 4})
	if n := len(target.calls); n != 4 || rep.Stopped == "" || rep.Totals.Failed != 4 {
		t.Errorf("parallelism 4: %d calls, %+v, stopped %q; want the 4 in flight failed, then stopped", n, rep.Totals, rep.Stopped)
	}

	// A failure then answers: the run goes on to the end.
	target = &unreachable{fake: &fake{}, errs: []error{errGone, nil}}
	rep = Run(context.Background(), target, &plan.Plan{Changes: cs}, Options{Parallelism: 4})
	if rep.Stopped != "" || rep.Totals.OK != len(cs)-1 || rep.Totals.Failed != 1 {
		t.Errorf("one failure then answers: %+v, stopped %q", rep.Totals, rep.Stopped)
	}
}

// A write refused for a reason that holds for every write (a token that
// needs a signed-in user, or lacks the management scope) stops the run at
// once: the rest are reported not started, with the reason, instead of
// each being sent to be refused the same way. A refusal about one user
// (a technician write that needs a System Administrator) does not.
func TestARefusalOfEveryWriteStopsTheRun(t *testing.T) {
	var cs []plan.Change
	for i := range 20 {
		cs = append(cs, userDelete(fmt.Sprintf("d%02d@example.com", i), int32(100+i)))
	}
	userContext := &ninjaone.APIError{Method: "DELETE", StatusCode: 403, AuthError: "user_context_required"}
	noScope := &ninjaone.APIError{Method: "DELETE", StatusCode: 403, AuthError: "insufficient_scope"}
	notAdmin := &ninjaone.APIError{Method: "DELETE", StatusCode: 403, ResultCode: "FORBIDDEN", ErrorMessage: "Must be a System Administrator"}
	for _, tt := range []struct {
		name    string
		err     error
		calls   int
		stopped bool
	}{
		{"user_context_required", userContext, 1, true},
		{"insufficient_scope", noScope, 1, true},
		{"one user's 403", notAdmin, 20, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := &unreachable{fake: &fake{}, errs: []error{tt.err}}
			rep := Run(context.Background(), target, &plan.Plan{Changes: cs}, Options{Parallelism: 1})
			if len(target.calls) != tt.calls {
				t.Errorf("%d calls, want %d", len(target.calls), tt.calls)
			}
			if got := strings.HasPrefix(rep.Stopped, "NinjaOne refuses this client's writes"); got != tt.stopped {
				t.Errorf("stopped %q, want stopped %v", rep.Stopped, tt.stopped)
			}
			if tt.stopped && rep.Totals.Failed != 1 {
				t.Errorf("totals %+v: want the one refused write failed and the rest not started", rep.Totals)
			}
		})
	}
}
