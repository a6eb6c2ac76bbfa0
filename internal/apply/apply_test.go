package apply

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// fake records every call; failEmails and badMembers make calls fail.
type fake struct {
	mu     sync.Mutex
	calls  []string
	nextID int32
	// failEmails: creating these users fails.
	failEmails map[string]bool
	// badMembers: a membership call containing one of these ids fails
	// with NinjaOne's 404 "Role or members not found".
	badMembers map[int32]bool
	gone       map[int32]bool
	// hook runs at the start of every call (e.g. to cancel the run).
	hook     func(call string)
	inFlight atomic.Int32
	maxIn    atomic.Int32
	delay    time.Duration
	// rendezvous, when > 1, makes each call wait (up to 10s) until that
	// many calls have been in flight at once: proof of parallelism that
	// does not depend on timing.
	rendezvous int32
}

func (f *fake) record(call string) {
	n := f.inFlight.Add(1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if f.hook != nil {
		f.hook(call)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); f.maxIn.Load() < f.rendezvous && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(f.delay)
	f.inFlight.Add(-1)
}

func (f *fake) create(email string) (ninjaone.User, error) {
	if f.failEmails[email] {
		return ninjaone.User{}, &ninjaone.APIError{Method: "POST", Path: "/v2/user/end-users", StatusCode: 400, ErrorMessage: "invalid email"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return ninjaone.User{ID: 1000 + f.nextID, Email: email}, nil
}

func (f *fake) CreateEndUser(_ context.Context, req ninjaone.CreateEndUserRequest, inv bool) (ninjaone.User, error) {
	f.record(fmt.Sprintf("create end user %s org=%d portal=%v invite=%v", req.Email, req.OrganizationID, req.FullPortalAccess, inv))
	return f.create(req.Email)
}
func (f *fake) CreateTechnician(_ context.Context, req ninjaone.CreateTechnicianRequest) (ninjaone.User, error) {
	f.record("create technician " + req.Email)
	return f.create(req.Email)
}
func (f *fake) UpdateEndUser(_ context.Context, id int32, p ninjaone.EndUserPatch) error {
	f.record(fmt.Sprintf("update end user %d %s", id, patchString(p.FirstName, p.LastName, p.OrganizationID, p.FullPortalAccess)))
	return nil
}
func (f *fake) UpdateTechnician(_ context.Context, id int32, p ninjaone.TechnicianPatch) error {
	f.record(fmt.Sprintf("update technician %d %s", id, patchString(p.FirstName, p.LastName, nil, nil)))
	return nil
}
func (f *fake) DeleteEndUser(_ context.Context, id int32) error {
	f.record(fmt.Sprintf("delete end user %d", id))
	if f.gone[id] {
		return &ninjaone.APIError{Method: "DELETE", StatusCode: 404, ResultCode: "USER_NOT_FOUND"}
	}
	return nil
}
func (f *fake) DeleteTechnician(_ context.Context, id int32) error {
	f.record(fmt.Sprintf("delete technician %d", id))
	return nil
}
func (f *fake) AddRoleMembers(_ context.Context, role int32, ids []int32) error {
	return f.members("add", role, ids)
}
func (f *fake) RemoveRoleMembers(_ context.Context, role int32, ids []int32) error {
	return f.members("remove", role, ids)
}
func (f *fake) members(op string, role int32, ids []int32) error {
	f.record(fmt.Sprintf("%s role %d %v", op, role, ids))
	for _, id := range ids {
		if f.badMembers[id] {
			return &ninjaone.APIError{Method: "PATCH", StatusCode: http.StatusNotFound, ErrorMessage: "Role or members not found"}
		}
	}
	return nil
}

func patchString(first, last *string, org *int32, portal *bool) string {
	var parts []string
	if first != nil {
		parts = append(parts, "first="+*first)
	}
	if last != nil {
		parts = append(parts, "last="+*last)
	}
	if org != nil {
		parts = append(parts, fmt.Sprint("org=", *org))
	}
	if portal != nil {
		parts = append(parts, fmt.Sprint("portal=", *portal))
	}
	return strings.Join(parts, " ")
}

func yes() *bool { b := true; return &b }

func userCreate(email string, t plan.UserType) plan.Change {
	v := &plan.Values{Email: email, Type: t, FirstName: "F", LastName: "L"}
	if t == plan.EndUserUser {
		v.OrganizationID = 3
		v.FullPortalAccess = yes()
		v.SendInvitation = true
	}
	return plan.Change{Address: fmt.Sprintf("user[%q]", email), Kind: plan.UserKind, Action: plan.Create, After: v}
}

func membership(a plan.Action, role int32, email string, userID int32) plan.Change {
	v := &plan.Values{Email: email, Role: fmt.Sprint("R", role), RoleID: role, UserID: userID}
	c := plan.Change{Address: fmt.Sprintf("role[%q].member[%q]", v.Role, email), Kind: plan.MembershipKind, Action: a}
	if a == plan.Add {
		c.After = v
	} else {
		c.Before = v
	}
	return c
}

func userDelete(email string, id int32) plan.Change {
	return plan.Change{Address: fmt.Sprintf("user[%q]", email), Kind: plan.UserKind, Action: plan.Delete,
		Before: &plan.Values{Email: email, ID: id, Type: plan.EndUserUser}}
}

func userUpdate(email string, id int32) plan.Change {
	return plan.Change{Address: fmt.Sprintf("user[%q]", email), Kind: plan.UserKind, Action: plan.Update,
		Before: &plan.Values{Email: email, ID: id, Type: plan.EndUserUser, FirstName: "Old", LastName: "Same", OrganizationID: 3},
		After:  &plan.Values{Email: email, ID: id, Type: plan.EndUserUser, FirstName: "New", LastName: "Same", OrganizationID: 4, FullPortalAccess: yes()}}
}

func statuses(rep *Report) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Changes {
		s := string(r.Status)
		if r.Error != "" {
			s += ": " + r.Error
		}
		m[string(r.Action)+" "+r.Address] = s
	}
	return m
}

func TestOrderAndBatching(t *testing.T) {
	// The plan lists changes in its own order; apply must reorder.
	p := &plan.Plan{Changes: []plan.Change{
		userDelete("gone@example.com", 9),
		membership(plan.Remove, 20, "old@example.com", 5),
		membership(plan.Add, 10, "new1@example.com", 0),
		membership(plan.Add, 10, "existing@example.com", 4),
		membership(plan.Add, 10, "new2@example.com", 0),
		membership(plan.Add, 20, "new1@example.com", 0),
		membership(plan.Remove, 20, "older@example.com", 6),
		userUpdate("existing@example.com", 4),
		userCreate("new1@example.com", plan.TechnicianUser),
		userCreate("new2@example.com", plan.EndUserUser),
	}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Parallelism: 1})
	want := []string{
		"create technician new1@example.com",
		"create end user new2@example.com org=3 portal=true invite=true",
		"update end user 4 first=New org=4 portal=true",
		"add role 10 [1001 4 1002]",
		"add role 20 [1001]",
		"remove role 20 [5 6]",
		"delete end user 9",
	}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if rep.Totals != (Totals{OK: 10, Total: 10}) {
		t.Errorf("totals = %+v", rep.Totals)
	}
	// The report keeps the plan's order and names the ids involved.
	if r := rep.Changes[2]; r.UserID != 1001 || r.RoleID != 10 || r.Status != OK {
		t.Errorf("membership of a created user reported as %+v", r)
	}
}

func TestPhasesDoNotOverlapInParallel(t *testing.T) {
	var cs []plan.Change
	for i := range 20 {
		e := fmt.Sprintf("u%02d@example.com", i)
		cs = append(cs, userCreate(e, plan.TechnicianUser), membership(plan.Add, int32(i%3+1), e, 0), userDelete(fmt.Sprintf("d%02d@example.com", i), int32(500+i)))
	}
	f := &fake{rendezvous: 4}
	rep := Run(context.Background(), f, &plan.Plan{Changes: cs}, Options{Parallelism: 4})
	if rep.Totals.OK != len(cs) {
		t.Fatalf("totals %+v", rep.Totals)
	}
	phase := func(call string) int {
		switch {
		case strings.HasPrefix(call, "create"):
			return 0
		case strings.HasPrefix(call, "add"):
			return 1
		}
		return 2
	}
	for i := 1; i < len(f.calls); i++ {
		if phase(f.calls[i]) < phase(f.calls[i-1]) {
			t.Fatalf("call %q came after %q", f.calls[i], f.calls[i-1])
		}
	}
	if got := len(f.calls); got != 20+3+20 {
		t.Errorf("%d calls, want the minimum 43 (20 creates, 3 add-members, 20 deletes)", got)
	}
	if m := f.maxIn.Load(); m != 4 {
		t.Errorf("max calls in flight = %d, want --parallelism 4", m)
	}
}

func TestFailureSkipsOnlyDependents(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("bad@example.com", plan.TechnicianUser),
		userCreate("good@example.com", plan.TechnicianUser),
		membership(plan.Add, 10, "bad@example.com", 0),
		membership(plan.Add, 10, "good@example.com", 0),
		userDelete("gone@example.com", 9),
	}}
	f := &fake{failEmails: map[string]bool{"bad@example.com": true}}
	rep := Run(context.Background(), f, p, Options{Parallelism: 2})
	got := statuses(rep)
	want := map[string]string{
		`create user["bad@example.com"]`:             "failed: POST /v2/user/end-users: 400 Bad Request: invalid email",
		`create user["good@example.com"]`:            "ok",
		`add role["R10"].member["bad@example.com"]`:  "skipped: skipped: creating the user failed: POST /v2/user/end-users: 400 Bad Request: invalid email",
		`add role["R10"].member["good@example.com"]`: "ok",
		`delete user["gone@example.com"]`:            "ok",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if rep.Totals != (Totals{OK: 3, Failed: 1, Skipped: 1, Total: 5}) {
		t.Errorf("totals = %+v", rep.Totals)
	}
}

func TestBadMemberIsIsolatedByBisection(t *testing.T) {
	var cs []plan.Change
	for i := range 16 {
		cs = append(cs, membership(plan.Add, 7, fmt.Sprintf("m%02d@example.com", i), int32(100+i)))
	}
	f := &fake{badMembers: map[int32]bool{105: true}}
	rep := Run(context.Background(), f, &plan.Plan{Changes: cs}, Options{})
	if rep.Totals.OK != 15 || rep.Totals.Failed != 1 || rep.Changes[5].Status != Failed {
		t.Errorf("totals %+v; change 5 = %+v", rep.Totals, rep.Changes[5])
	}
	if n := len(f.calls); n > 1+2*4 {
		t.Errorf("isolating one bad member of 16 took %d calls, want at most 9", n)
	}

	// When every member is refused (the role is the problem), the split
	// budget keeps the calls bounded.
	var all []plan.Change
	bad := map[int32]bool{}
	for i := range 1000 {
		all = append(all, membership(plan.Add, 7, fmt.Sprintf("x%04d@example.com", i), int32(i+1)))
		bad[int32(i+1)] = true
	}
	f = &fake{badMembers: bad}
	rep = Run(context.Background(), f, &plan.Plan{Changes: all}, Options{})
	if rep.Totals.Failed != 1000 || len(f.calls) > 60 {
		t.Errorf("all-bad batch of 1000: %+v in %d calls, want all failed in at most 60", rep.Totals, len(f.calls))
	}
}

func TestProtectedAndAdminsAreReCheckedAgainstLive(t *testing.T) {
	live := &ninjaone.Snapshot{
		Technicians: []ninjaone.User{{ID: 1, Email: "Root@Example.com", Administrator: true}, {ID: 2, Email: "ops/admin@vendor.example"}},
		EndUsers:    []ninjaone.User{{ID: 9, Email: "gone@example.com"}},
	}
	p := &plan.Plan{Changes: []plan.Change{
		userDelete("root@example.com", 1),
		membership(plan.Remove, 3, "root@example.com", 1),
		membership(plan.Add, 3, "ops/admin@vendor.example", 2),
		userDelete("gone@example.com", 9),
	}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Live: live, Protected: []string{"*@VENDOR.example"}})
	want := []string{"delete end user 9"}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	for i := range 3 {
		if rep.Changes[i].Status != Skipped || !strings.Contains(rep.Changes[i].Error, "refused") {
			t.Errorf("change %d = %+v, want skipped and refused", i, rep.Changes[i])
		}
	}
}

func TestDeleteOfVanishedUserIsOK(t *testing.T) {
	f := &fake{gone: map[int32]bool{9: true}}
	rep := Run(context.Background(), f, &plan.Plan{Changes: []plan.Change{userDelete("gone@example.com", 9)}}, Options{})
	if r := rep.Changes[0]; r.Status != OK || r.Note != "already deleted" {
		t.Errorf("result = %+v", r)
	}
}

func TestInterruptLetsInFlightFinishAndStartsNothingNew(t *testing.T) {
	var cs []plan.Change
	for i := range 10 {
		e := fmt.Sprintf("u%d@example.com", i)
		cs = append(cs, userCreate(e, plan.TechnicianUser), membership(plan.Add, 1, e, 0))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{delay: 20 * time.Millisecond}
	var once sync.Once
	f.hook = func(call string) { once.Do(cancel) } // interrupt during the first call
	rep := Run(ctx, f, &plan.Plan{Changes: cs}, Options{Parallelism: 2})
	if !rep.Interrupted {
		t.Error("report does not say it was interrupted")
	}
	started := len(f.calls)
	if started == 0 || started > 2 {
		t.Fatalf("%d calls started, want only those in flight when interrupted (1 or 2)", started)
	}
	if rep.Totals.OK != started || rep.Totals.Skipped != len(cs)-started {
		t.Errorf("totals %+v after %d calls", rep.Totals, started)
	}
	for _, r := range rep.Changes {
		if r.Status == Skipped && !strings.Contains(r.Error, "interrupted") && !strings.Contains(r.Error, "not created") {
			t.Errorf("skipped change without saying why: %+v", r)
		}
	}
	if slices.ContainsFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, "add") }) {
		t.Error("a membership call was started after the interrupt")
	}
}

func TestInterruptStopsBisection(t *testing.T) {
	var cs []plan.Change
	for i := range 16 {
		cs = append(cs, membership(plan.Add, 7, fmt.Sprintf("m%02d@example.com", i), int32(100+i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{badMembers: map[int32]bool{105: true}}
	f.hook = func(string) { cancel() } // interrupted while the one batch is in flight
	rep := Run(ctx, f, &plan.Plan{Changes: cs}, Options{})
	if n := len(f.calls); n != 1 {
		t.Errorf("%d calls after the interrupt, want only the one in flight: %v", n, f.calls)
	}
	if rep.Totals.Failed != 16 {
		t.Errorf("totals %+v; want the batch's 16 changes failed with its error", rep.Totals)
	}
}

// The re-check at apply time knows an address in every spelling: a plan
// that names a System Administrator or a protected user by the other
// spelling of its domain (punycode for Unicode) still cannot touch it.
func TestProtectionKnowsEverySpellingOfAnAddress(t *testing.T) {
	live := &ninjaone.Snapshot{
		Technicians: []ninjaone.User{{ID: 1, Email: "root@xn--bcher-kva.example", Administrator: true}, {ID: 2, Email: "ops@Bücher.example"}},
	}
	p := &plan.Plan{Changes: []plan.Change{
		membership(plan.Remove, 3, "ROOT@bücher.example", 0),
		membership(plan.Add, 3, "ops@xn--bcher-kva.example", 2),
	}}
	f := &fake{}
	rep := Run(context.Background(), f, p, Options{Live: live, Protected: []string{"ops@bücher.example"}})
	if len(f.calls) > 0 {
		t.Errorf("calls %v, want none", f.calls)
	}
	for i := range 2 {
		if rep.Changes[i].Status != Skipped || !strings.Contains(rep.Changes[i].Error, "refused") {
			t.Errorf("change %d = %+v, want skipped and refused", i, rep.Changes[i])
		}
	}
}
