package apply

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// adoptedNote is the note of a creation found done by the re-read.
const adoptedNote = "adopted: created since the plan (by another apply or a person), not created again"

// adoptCreated reads the users again just before the create phase. A user
// the plan creates that NinjaOne has by now (created since the plan, by
// another apply or at the console) is adopted: its creation is reported
// done, with a note, and its id serves the plan's memberships. Creating
// it again would make two users with one email.
func (r *runner) adoptCreated() {
	var creates []int
	for i, c := range r.changes {
		if c.Action == plan.Create && c.After != nil && r.pending(i) {
			creates = append(creates, i)
		}
	}
	if len(creates) == 0 || r.opts.Reread == nil || r.stop.Err() != nil {
		return
	}
	start := time.Now()
	live, err := r.opts.Reread(r.work)
	r.observe(err)
	if err != nil {
		why := "not created: reading NinjaOne's users again just before creating failed, so it is unknown whether someone created them since the plan: " + err.Error()
		for _, i := range creates {
			r.failCreate(i, why)
		}
		return
	}
	byEmail := usersByEmail(live)
	for _, i := range creates {
		v := r.changes[i].After
		email := emailaddr.Key(v.Email)
		users := byEmail[email]
		if len(users) == 0 {
			continue
		}
		u := users[0]
		switch {
		case len(users) > 1:
			r.failCreate(i, fmt.Sprintf("not created: NinjaOne now holds %d users with this email (%s), created since the plan; delete the extra ones in NinjaOne, then run apply again", len(users), idList(users)))
		case plan.FromAPI(u.UserType) != v.Type:
			r.failCreate(i, fmt.Sprintf("not created: since the plan, %s was created in NinjaOne as %s (user %d), not as the %s the plan creates; make a new plan", v.Email, plan.FromAPI(u.UserType), u.ID, v.Type))
		case v.OrganizationID != 0 && u.OrganizationID != v.OrganizationID:
			// Someone else's end user, perhaps a customer's outside the
			// file's scope: the plan's memberships are not for them.
			r.failCreate(i, fmt.Sprintf("not created: since the plan, %s was created in NinjaOne in organization %d (user %d), not in the organization %d the plan creates it in; make a new plan", v.Email, u.OrganizationID, u.ID, v.OrganizationID))
		case u.Administrator:
			r.failCreate(i, fmt.Sprintf("refused: %s was created since the plan and is a System Administrator in NinjaOne; ninjaops never changes such users", v.Email))
		default:
			res := r.results[i]
			res.UserID, res.Adopted, res.Note = u.ID, true, adoptedNote
			res.DurationMS = ms(time.Since(start))
			r.mu.Lock()
			r.created[email], r.adopted[email] = u.ID, true
			r.mu.Unlock()
			r.finish(i, res)
		}
	}
}

// failCreate fails creation i with why, which its memberships then cite.
func (r *runner) failCreate(i int, why string) {
	email := emailaddr.Key(r.changes[i].After.Email)
	r.mu.Lock()
	r.failed[email] = why
	r.mu.Unlock()
	r.finish(i, failed(r.results[i], errors.New(why)))
}

// checkDuplicates reads the users once more after the create phase. An
// email this run created that NinjaOne now holds more than once was
// created at the same moment by someone else (NinjaOne may accept two
// users with one email, and the re-read before the phase cannot close
// that window). The run stops before any membership reaches either user,
// and the report names every id. After an interrupt nothing more is read.
func (r *runner) checkDuplicates() {
	r.mu.Lock()
	made := map[string]int32{}
	for email, id := range r.created {
		if !r.adopted[email] {
			made[email] = id
		}
	}
	r.mu.Unlock()
	if len(made) == 0 || r.opts.Reread == nil || r.stop.Err() != nil {
		return
	}
	live, err := r.opts.Reread(r.work)
	r.observe(err)
	if err != nil {
		r.halt(&stopError{fmt.Sprintf("reading NinjaOne's users again to check that none of the %d created is now held twice failed (%v); run plan: it refuses an email held twice", len(made), err)})
		return
	}
	byEmail := usersByEmail(live)
	var dups []Duplicate
	for email, id := range made {
		users := byEmail[email]
		if len(users) < 2 {
			continue
		}
		d := Duplicate{Email: users[0].Email, Created: id}
		for _, u := range users {
			d.UserIDs = append(d.UserIDs, u.ID)
			if u.ID == id {
				d.Email = u.Email
			}
		}
		slices.Sort(d.UserIDs)
		dups = append(dups, d)
	}
	if len(dups) == 0 {
		return
	}
	slices.SortFunc(dups, func(a, b Duplicate) int { return strings.Compare(emailaddr.Key(a.Email), emailaddr.Key(b.Email)) })
	r.report.Duplicates = dups
	r.halt(&stopError{fmt.Sprintf("%d of the users this apply created now share their email with another user in NinjaOne, created at the same time by another apply or a person", len(dups))})
}

func usersByEmail(live *ninjaone.Snapshot) map[string][]ninjaone.User {
	m := make(map[string][]ninjaone.User, len(live.Technicians)+len(live.EndUsers))
	for _, list := range [][]ninjaone.User{live.Technicians, live.EndUsers} {
		for _, u := range list {
			k := emailaddr.Key(u.Email)
			m[k] = append(m[k], u)
		}
	}
	return m
}

func idList(users []ninjaone.User) string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = fmt.Sprint(u.ID)
	}
	return "users " + strings.Join(ids, ", ")
}
