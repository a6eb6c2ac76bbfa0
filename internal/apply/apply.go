// Package apply carries out a plan through NinjaOne's write calls: in a
// safe order (creates, updates, membership additions, membership removals,
// deletions), with membership changes batched into one call per role and
// direction, independent calls in parallel, protected users re-checked
// against live data, failures isolated to the changes that depend on them,
// and a report of what was done. It never retries a call itself: the
// client does that.
//
// Two applies of one plan at once, or a person creating a user while an
// apply runs, must not create anyone twice; NinjaOne has no lock to take
// and may accept two users with one email. So the users are read again
// just before the create phase, and a user created since the plan is
// adopted rather than created again; and once more after it, and an email
// this run created that NinjaOne now holds twice stops the run, naming
// the ids. When NinjaOne stops answering altogether, a few calls in a row
// that cannot connect stop the run the way an interrupt does, instead of
// each remaining change being tried for minutes; so does the first write
// refused for a reason that holds for every write (the token cannot write).
package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// Target is what apply needs of NinjaOne; *ninjaone.Client satisfies it.
type Target interface {
	CreateEndUser(ctx context.Context, req ninjaone.CreateEndUserRequest, sendInvitation bool) (ninjaone.User, error)
	CreateTechnician(ctx context.Context, req ninjaone.CreateTechnicianRequest) (ninjaone.User, error)
	UpdateEndUser(ctx context.Context, id int32, p ninjaone.EndUserPatch) error
	UpdateTechnician(ctx context.Context, id int32, p ninjaone.TechnicianPatch) error
	DeleteEndUser(ctx context.Context, id int32) error
	DeleteTechnician(ctx context.Context, id int32) error
	AddRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error
	RemoveRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error
}

// Options tune a run.
type Options struct {
	// Parallelism bounds the calls in flight at once (default 4).
	Parallelism int
	// Live is the tenant as read for this apply. Changes that would touch
	// a System Administrator in it, or a user matching Protected, are
	// skipped whatever the plan says.
	Live      *ninjaone.Snapshot
	Protected []string
	// Progress, when set, is called once per finished change, one call at
	// a time.
	Progress func(r Result, done, total int)
	// Reread reads NinjaOne again, for the checks around the create phase
	// (see the package comment). nil skips both checks: only tests that
	// are about something else leave it out.
	Reread func(ctx context.Context) (*ninjaone.Snapshot, error)
	// MaxUnreachable is how many calls in a row may fail because NinjaOne
	// cannot be reached (ninjaone.ErrUnreachable, each after the client's
	// own retries) before no new call is started (default 3).
	MaxUnreachable int
}

// Status is the outcome of one change.
type Status string

const (
	OK      Status = "ok"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Result is the outcome of one change of the plan.
type Result struct {
	Address string      `json:"address"`
	Action  plan.Action `json:"action"`
	Status  Status      `json:"status"`
	Error   string      `json:"error,omitempty"`
	// UserID and RoleID are the NinjaOne ids involved (UserID of a created
	// user is its new id).
	UserID     int32   `json:"user_id,omitempty"`
	RoleID     int32   `json:"role_id,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	// Note says something worth knowing about a success, e.g. "already
	// deleted".
	Note string `json:"note,omitempty"`
	// NotStarted marks a change skipped because the run was interrupted
	// or stopped before it began.
	NotStarted bool `json:"not_started,omitempty"`
	// Adopted marks a creation found done when the users were read again
	// just before the create phase: the user was created since the plan
	// (by another apply or a person), and this run used it instead of
	// creating it twice.
	Adopted bool `json:"adopted,omitempty"`
}

// Totals counts the results by status.
type Totals struct {
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Total   int `json:"total"`
}

// Report is what a run did, in the order of the plan's changes.
type Report struct {
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitzero"` // zero while a run is under way
	Interrupted bool      `json:"interrupted"`
	// Stopped says why the run stopped starting changes before the end
	// of its own accord (NinjaOne unreachable, duplicate users); an
	// interrupt is Interrupted instead.
	Stopped string `json:"stopped,omitempty"`
	// Duplicates are the emails this run created that NinjaOne holds more
	// than once after the create phase.
	Duplicates []Duplicate `json:"duplicates,omitempty"`
	Totals     Totals      `json:"totals"`
	Changes    []Result    `json:"changes"`
}

// Duplicate is an email held by several users after this run created it.
type Duplicate struct {
	Email string `json:"email"`
	// Created is the id of the user this run created; UserIDs are all the
	// users with the email, ascending.
	Created int32   `json:"created"`
	UserIDs []int32 `json:"user_ids"`
}

// errInterrupted marks the changes not started because the run was
// interrupted.
var errInterrupted = errors.New("not started: apply was interrupted")

// stopError is why the run stopped itself: the cause of the run's stop
// context, told apart from the caller's cancellation.
type stopError struct{ why string }

func (e *stopError) Error() string { return e.why }

// Run carries out p's changes against t. Cancelling ctx stops new calls
// from starting; calls already in flight are let finish (they run under a
// context that is not cancelled), so nothing is left half done that the
// report does not name.
func Run(ctx context.Context, t Target, p *plan.Plan, opts Options) *Report {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 4
	}
	if opts.MaxUnreachable <= 0 {
		opts.MaxUnreachable = 3
	}
	stop, halt := context.WithCancelCause(ctx)
	defer halt(nil)
	r := &runner{
		t:       t,
		opts:    opts,
		stop:    stop,
		halt:    halt,
		work:    context.WithoutCancel(ctx),
		changes: p.Changes,
		results: make([]Result, len(p.Changes)),
		created: map[string]int32{},
		adopted: map[string]bool{},
		failed:  map[string]string{},
	}
	r.cond = sync.NewCond(&r.mu)
	r.report.Started = time.Now().UTC()
	for i, c := range p.Changes {
		r.results[i] = Result{Address: c.Address, Action: c.Action}
	}
	r.guardProtected()
	r.adoptCreated()
	r.phase(plan.Create, r.create)
	r.checkDuplicates()
	r.phase(plan.Update, r.update)
	r.membershipPhase(plan.Add)
	r.membershipPhase(plan.Remove)
	r.phase(plan.Delete, r.delete)

	r.report.Finished = time.Now().UTC()
	r.report.Interrupted = ctx.Err() != nil
	if se := r.stopped(); se != nil && !r.report.Interrupted {
		r.report.Stopped = se.why
	}
	r.report.Changes = r.results
	for _, res := range r.results {
		switch res.Status {
		case OK:
			r.report.Totals.OK++
		case Failed:
			r.report.Totals.Failed++
		default:
			r.report.Totals.Skipped++
		}
	}
	r.report.Totals.Total = len(r.results)
	return &r.report
}

type runner struct {
	t    Target
	opts Options
	// stop is done once the caller's context is, or once the run stops
	// itself (halt, with a *stopError): then no new call starts.
	stop context.Context
	halt context.CancelCauseFunc
	// work is what calls run under: never cancelled, so calls in flight
	// finish.
	work    context.Context
	changes []plan.Change
	results []Result
	report  Report

	mu   sync.Mutex
	done int
	// created maps the lower-cased email of each user created (or
	// adopted) in this run to its id; failed maps the email of a failed
	// creation to why.
	created map[string]int32
	adopted map[string]bool
	failed  map[string]string
	// unreachable counts the calls in a row that could not connect;
	// inflight the calls running, whose ends cond announces.
	unreachable int
	inflight    int
	cond        *sync.Cond
}

func (r *runner) finish(i int, res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.Status == "" {
		res.Status = OK
	}
	r.results[i] = res
	r.done++
	if r.opts.Progress != nil {
		r.opts.Progress(res, r.done, len(r.results))
	}
}

// pending reports whether change i still has to be carried out.
func (r *runner) pending(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results[i].Status == ""
}

// guardProtected skips every change that touches a System Administrator
// or a protected user in the live data, whatever the plan says: a plan
// file can be old, and a user can have become protected since.
func (r *runner) guardProtected() {
	admins := map[int32]bool{}
	byEmail := map[string]*ninjaone.User{}
	if r.opts.Live != nil {
		for _, list := range [][]ninjaone.User{r.opts.Live.Technicians, r.opts.Live.EndUsers} {
			for i := range list {
				u := &list[i]
				if u.Administrator {
					admins[u.ID] = true
				}
				byEmail[emailaddr.Key(u.Email)] = u
			}
		}
	}
	for i, c := range r.changes {
		v := c.Before
		if v == nil {
			v = c.After
		}
		if v == nil {
			continue
		}
		email := emailaddr.Key(v.Email)
		id := v.UserID
		if c.Kind == plan.UserKind {
			id = v.ID
		}
		if id == 0 {
			if u := byEmail[email]; u != nil {
				id = u.ID
			}
		}
		why := ""
		switch {
		case admins[id] || (byEmail[email] != nil && byEmail[email].Administrator):
			why = "is a System Administrator"
		case matchesAny(r.opts.Protected, email):
			why = "is protected by settings.protected"
		}
		if why != "" {
			res := r.results[i]
			res.Status = Skipped
			res.Error = fmt.Sprintf("refused: %s %s in NinjaOne; ninjaops never changes such users", v.Email, why)
			r.finish(i, res)
		}
	}
}

// matchesAny reports whether email matches one of the protected globs,
// with the same rules as the diff (plan.Glob). A pattern that does not
// compile protects nothing here; the loader refuses such a file anyway.
func matchesAny(globs []string, email string) bool {
	for _, p := range globs {
		if g, err := plan.CompileGlob(p); err == nil && g.Match(email) {
			return true
		}
	}
	return false
}

// phase runs fn for every pending change with action a, up to Parallelism
// at once.
func (r *runner) phase(a plan.Action, fn func(i int, c plan.Change) Result) {
	var idx []int
	for i, c := range r.changes {
		if c.Action == a && r.pending(i) {
			idx = append(idx, i)
		}
	}
	r.parallel(len(idx), func(k int) {
		i := idx[k]
		start := time.Now()
		res := fn(i, r.changes[i])
		res.DurationMS = ms(time.Since(start))
		r.finish(i, res)
	}, func(k int) {
		r.interrupted(idx[k])
	})
}

// parallel runs task(0..n-1) with at most Parallelism in flight; once the
// run is stopped, the tasks not yet started get skip instead.
func (r *runner) parallel(n int, task, skip func(k int)) {
	sem := make(chan struct{}, r.opts.Parallelism)
	var wg sync.WaitGroup
	for k := range n {
		select {
		case sem <- struct{}{}:
		case <-r.stop.Done():
		}
		r.waitWhileProbing()
		if r.stop.Err() != nil {
			skip(k)
			continue
		}
		r.mu.Lock()
		r.inflight++
		r.mu.Unlock()
		wg.Go(func() {
			defer func() {
				r.mu.Lock()
				r.inflight--
				r.cond.Broadcast()
				r.mu.Unlock()
				<-sem
			}()
			task(k)
		})
	}
	wg.Wait()
}

// waitWhileProbing holds the next call back while the last one could not
// connect and others are still in flight: until NinjaOne answers again,
// calls go one at a time, so a server that is gone costs one round of the
// client's retries before the run stops, not one round per free slot.
func (r *runner) waitWhileProbing() {
	r.mu.Lock()
	for r.unreachable > 0 && r.inflight > 0 && r.stop.Err() == nil {
		r.cond.Wait()
	}
	r.mu.Unlock()
}

func (r *runner) interrupted(i int) {
	res := r.results[i]
	res.Status = Skipped
	res.Error = errInterrupted.Error()
	if se := r.stopped(); se != nil {
		res.Error = "not started: " + se.why
	}
	res.NotStarted = true
	r.finish(i, res)
}

// stopped is why the run stopped itself, or nil.
func (r *runner) stopped() *stopError {
	var se *stopError
	if errors.As(context.Cause(r.stop), &se) {
		return se
	}
	return nil
}

// observe counts the outcome of one call: an error that says NinjaOne
// cannot be reached adds to a run of them, anything else (an answer, even
// an error answer) ends the run. Enough in a row stop the run: each call
// has spent the client's retries already, so the server is gone, not slow.
func (r *runner) observe(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if refusesEveryWrite(err) {
		// Every other write would be refused the same way: sending them
		// all only fills the report with the same refusal.
		r.halt(&stopError{fmt.Sprintf("NinjaOne refuses this client's writes: %v", err)})
		return
	}
	if !errors.Is(err, ninjaone.ErrUnreachable) {
		r.unreachable = 0
		return
	}
	r.unreachable++
	if r.unreachable == r.opts.MaxUnreachable {
		r.halt(&stopError{fmt.Sprintf("NinjaOne stopped answering: %d calls in a row could not connect (%v)", r.unreachable, err)})
	}
}

// refusesEveryWrite says whether NinjaOne refused a write for a reason
// that holds for every write of the run: the call wants a user-authorised
// token (user_context_required), or the token lacks the management scope
// (which a token answer without its scope cannot tell beforehand). A 403
// for one user, such as "Must be a System Administrator" on technicians,
// is not such a reason.
func refusesEveryWrite(err error) bool {
	return errors.Is(err, ninjaone.ErrUserContextRequired) || errors.Is(err, ninjaone.ErrMissingScope)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *runner) create(i int, c plan.Change) Result {
	res := r.results[i]
	v := c.After
	if v == nil {
		return failed(res, errors.New("plan has no values for the new user"))
	}
	var u ninjaone.User
	var err error
	switch v.Type {
	case plan.TechnicianUser:
		u, err = r.t.CreateTechnician(r.work, ninjaone.CreateTechnicianRequest{
			FirstName: v.FirstName, LastName: v.LastName, Email: v.Email, Phone: v.Phone})
	case plan.EndUserUser:
		u, err = r.t.CreateEndUser(r.work, ninjaone.CreateEndUserRequest{
			FirstName: v.FirstName, LastName: v.LastName, Email: v.Email, Phone: v.Phone,
			OrganizationID: v.OrganizationID, FullPortalAccess: v.FullPortalAccess != nil && *v.FullPortalAccess,
		}, v.SendInvitation)
	default:
		err = fmt.Errorf("unknown user type %q", v.Type)
	}
	r.observe(err)
	email := emailaddr.Key(v.Email)
	r.mu.Lock()
	if err != nil {
		r.failed[email] = err.Error()
	} else {
		r.created[email] = u.ID
	}
	r.mu.Unlock()
	if err != nil {
		return failed(res, err)
	}
	res.UserID = u.ID
	return res
}

func (r *runner) update(i int, c plan.Change) Result {
	res := r.results[i]
	b, a := c.Before, c.After
	if b == nil || a == nil || b.ID == 0 {
		return failed(res, errors.New("plan has no user id for the update"))
	}
	res.UserID = b.ID
	var err error
	switch b.Type {
	case plan.TechnicianUser:
		p := ninjaone.TechnicianPatch{FirstName: changed(b.FirstName, a.FirstName), LastName: changed(b.LastName, a.LastName)}
		if b.OrganizationID != a.OrganizationID || !sameBool(b.FullPortalAccess, a.FullPortalAccess) {
			return failed(res, errors.New("a technician has no organization or portal access to change"))
		}
		err = r.t.UpdateTechnician(r.work, b.ID, p)
	case plan.EndUserUser:
		p := ninjaone.EndUserPatch{FirstName: changed(b.FirstName, a.FirstName), LastName: changed(b.LastName, a.LastName)}
		if a.OrganizationID != 0 && a.OrganizationID != b.OrganizationID {
			p.OrganizationID = &a.OrganizationID
		}
		if a.FullPortalAccess != nil && !sameBool(b.FullPortalAccess, a.FullPortalAccess) {
			p.FullPortalAccess = a.FullPortalAccess
		}
		err = r.t.UpdateEndUser(r.work, b.ID, p)
	default:
		err = fmt.Errorf("unknown user type %q", b.Type)
	}
	r.observe(err)
	if err != nil {
		return failed(res, err)
	}
	return res
}

func (r *runner) delete(i int, c plan.Change) Result {
	res := r.results[i]
	b := c.Before
	if b == nil || b.ID == 0 {
		return failed(res, errors.New("plan has no user id for the deletion"))
	}
	res.UserID = b.ID
	var err error
	switch b.Type {
	case plan.TechnicianUser:
		err = r.t.DeleteTechnician(r.work, b.ID)
	case plan.EndUserUser:
		err = r.t.DeleteEndUser(r.work, b.ID)
	default:
		err = fmt.Errorf("unknown user type %q", b.Type)
	}
	r.observe(err)
	if errors.Is(err, ninjaone.ErrNotFound) {
		res.Note = "already deleted"
		err = nil
	}
	if err != nil {
		return failed(res, err)
	}
	return res
}

func changed(before, after string) *string {
	if before == after || after == "" {
		return nil
	}
	return &after
}

func sameBool(a, b *bool) bool {
	return (a != nil && *a) == (b != nil && *b)
}

func failed(res Result, err error) Result {
	res.Status = Failed
	res.Error = err.Error()
	return res
}

// member is one membership change of a batch.
type member struct {
	i      int
	userID int32
}

// membershipPhase sends one add-members (or remove-members) call per role
// with every user id of the phase, ids of users created in this run
// included.
func (r *runner) membershipPhase(a plan.Action) {
	batches := map[int32][]member{}
	for i, c := range r.changes {
		if c.Action != a || !r.pending(i) {
			continue
		}
		v := c.After
		if a == plan.Remove {
			v = c.Before
		}
		res := r.results[i]
		if v == nil || v.RoleID == 0 {
			r.finish(i, failed(res, errors.New("plan has no role id for the membership")))
			continue
		}
		res.RoleID = v.RoleID
		id := v.UserID
		if id == 0 {
			email := emailaddr.Key(v.Email)
			r.mu.Lock()
			id = r.created[email]
			why, createFailed := r.failed[email]
			r.mu.Unlock()
			if id == 0 && !createFailed && r.stop.Err() != nil {
				// Its creation was never started.
				r.interrupted(i)
				continue
			}
			if id == 0 {
				res.Status = Skipped
				if createFailed {
					res.Error = "skipped: creating the user failed: " + why
				} else {
					res.Error = "skipped: the user was not created"
				}
				r.finish(i, res)
				continue
			}
		}
		r.results[i].RoleID = v.RoleID
		batches[v.RoleID] = append(batches[v.RoleID], member{i: i, userID: id})
	}
	roles := make([]int32, 0, len(batches))
	for id := range batches {
		roles = append(roles, id)
	}
	sort.Slice(roles, func(x, y int) bool { return roles[x] < roles[y] })
	r.parallel(len(roles), func(k int) {
		batch := batches[roles[k]]
		budget := splitBudget(len(batch))
		r.sendBatch(a, roles[k], batch, &budget)
	}, func(k int) {
		for _, m := range batches[roles[k]] {
			r.interrupted(m.i)
		}
	})
}

// splitBudget bounds the extra calls spent isolating bad members of a
// batch of n: enough to find a couple by bisection, not n calls when the
// role itself is the problem.
func splitBudget(n int) int {
	b := 8
	for ; n > 1; n /= 2 {
		b += 4
	}
	return b
}

// sendBatch sends one membership call for role. NinjaOne fails the whole
// call when one id is unknown (404) or refused (400); then the batch is
// split in halves, so one bad member costs a few more calls instead of
// failing every member of the role.
func (r *runner) sendBatch(a plan.Action, role int32, batch []member, budget *int) {
	ids := make([]int32, len(batch))
	for k, m := range batch {
		ids[k] = m.userID
	}
	start := time.Now()
	var err error
	if a == plan.Add {
		err = r.t.AddRoleMembers(r.work, role, ids)
	} else {
		err = r.t.RemoveRoleMembers(r.work, role, ids)
	}
	r.observe(err)
	// After an interrupt no new call starts, not even to split a batch.
	if err != nil && len(batch) > 1 && splittable(err) && *budget >= 2 && r.stop.Err() == nil {
		*budget -= 2
		half := len(batch) / 2
		r.sendBatch(a, role, batch[:half], budget)
		r.sendBatch(a, role, batch[half:], budget)
		return
	}
	d := ms(time.Since(start))
	for _, m := range batch {
		res := r.results[m.i]
		res.UserID = m.userID
		res.DurationMS = d
		if err != nil {
			res = failed(res, err)
		}
		r.finish(m.i, res)
	}
}

// splittable says whether an error is about the batch's content (which a
// smaller batch may avoid) rather than the call as a whole.
func splittable(err error) bool {
	var ae *ninjaone.APIError
	if !errors.As(err, &ae) || errors.Is(err, ninjaone.ErrRouteNotSupported) {
		return false
	}
	return ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusBadRequest
}
