package ninjaone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tenantJSON is a tenant served as raw JSON bodies, one per list call.
type tenantJSON struct {
	techs, ends, roles, users string
}

// consistent is a small tenant whose lists agree.
var consistent = tenantJSON{
	techs: `[{"id":1,"email":"tia@example.com"},{"id":2,"email":"tom@example.com"}]`,
	ends:  `[{"id":10,"email":"eve@example.com","organizationId":3}]`,
	roles: `[{"id":100,"name":"Helpdesk","type":"TECHNICIAN","members":[{"id":1,"email":"TIA@example.com"},{"id":2}]},` +
		`{"id":200,"name":"Portal","type":"END_USER","members":[{"id":10,"email":"eve@example.com"}]},` +
		`{"id":201,"name":"Unlisted","type":"END_USER","members":null}]`,
	users: `[{"id":1},{"id":2},{"id":10}]`,
}

func (tj tenantJSON) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v2/user/technicians":
		io.WriteString(w, tj.techs)
	case "/v2/user/end-users":
		io.WriteString(w, tj.ends)
	case "/v2/user/roles":
		io.WriteString(w, tj.roles)
	case "/v2/users":
		io.WriteString(w, tj.users)
	default:
		w.WriteHeader(404)
		io.WriteString(w, `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`)
	}
}

// A Snapshot whose lists disagree is read once more, then refused with an
// *InconsistentError that says what disagreed, with counts and examples.
func TestSnapshotRefusesListsThatDisagree(t *testing.T) {
	// 100 end users, of whom the end-user list shows only half, while 20
	// roles still name them all: the silently truncated list of the issue.
	var ends, members, all strings.Builder
	for i := range 100 {
		id := 100201 + i
		if i%2 == 0 {
			fmt.Fprintf(&ends, `{"id":%d,"email":"u%d@example.com"},`, id, id)
		}
		fmt.Fprintf(&all, `,{"id":%d}`, id)
	}
	var roles []string
	for r := range 20 {
		members.Reset()
		for i := 5 * r; i < 5*r+5; i++ {
			if members.Len() > 0 {
				members.WriteString(",")
			}
			fmt.Fprintf(&members, `{"id":%d}`, 100201+i)
		}
		roles = append(roles, fmt.Sprintf(`{"id":%d,"name":"Role %04d","type":"END_USER","members":[%s]}`, r+1, r+1, members.String()))
	}
	truncated := tenantJSON{
		techs: `[]`,
		ends:  "[" + strings.TrimSuffix(ends.String(), ",") + "]",
		roles: "[" + strings.Join(roles, ",") + "]",
		users: "[" + strings.TrimPrefix(all.String(), ",") + "]",
	}

	edit := func(f func(*tenantJSON)) tenantJSON {
		tj := consistent
		f(&tj)
		return tj
	}
	tests := []struct {
		name string
		tj   tenantJSON
		want []string
	}{
		{"a truncated end-user list", truncated, []string{
			`50 members of 20 roles are in neither the technician nor the end-user list (e.g. user 100202 in role "Role 0001", user 100204 in role "Role 0001", user 100206 in role "Role 0002")`,
			`GET /v2/users lists 100 users, the technician and end-user lists 50 together (e.g. user 100202 is in GET /v2/users but in neither list`,
		}},
		{"a member no list has", edit(func(tj *tenantJSON) {
			tj.roles = `[{"id":100,"name":"Helpdesk","members":[{"id":1},{"id":77}]}]`
		}), []string{`1 members of 1 roles are in neither the technician nor the end-user list (e.g. user 77 in role "Helpdesk")`}},
		{"a member of id 0", edit(func(tj *tenantJSON) {
			tj.roles = `[{"id":100,"name":"Helpdesk","members":[{"id":0}]}]`
		}), []string{`(e.g. user 0 in role "Helpdesk")`}},
		{"both user lists empty while roles have members", edit(func(tj *tenantJSON) {
			tj.techs, tj.ends, tj.users = `[]`, `[]`, `[]`
		}), []string{"the technician and end-user lists are both empty, yet 2 roles have 3 members"}},
		{"one id in both lists", edit(func(tj *tenantJSON) {
			tj.ends = `[{"id":10,"email":"eve@example.com"},{"id":2,"email":"mallory@example.com"}]`
			tj.users = `[{"id":1},{"id":2},{"id":10},{"id":2}]`
		}), []string{`1 user ids are listed twice across the technician and end-user lists (e.g. id 2 is technician 2 ("tom@example.com") and end user 2 ("mallory@example.com"))`}},
		{"an id of 0 and a negative one", edit(func(tj *tenantJSON) {
			tj.techs = `[{"id":1,"email":"tia@example.com"},{"id":2,"email":"tom@example.com"},{"id":0,"email":"zero@example.com"},{"email":"none@example.com"},{"id":-4,"email":"neg@example.com"}]`
		}), []string{`3 users have an id that is not a positive 32-bit integer (e.g. technician 0 ("zero@example.com"), technician 0 ("none@example.com"), technician -4 ("neg@example.com"))`}},
		{"an id beyond 32 bits", edit(func(tj *tenantJSON) {
			tj.ends = `[{"id":10},{"id":3000000000,"email":"big@example.com"}]`
		}), []string{"GET /v2/user/end-users user element 2 has an id that is not a positive 32-bit integer (number 3000000000)"}},
		{"a role id twice, a role id 0, a role id beyond 32 bits", edit(func(tj *tenantJSON) {
			tj.roles = `[{"id":100,"name":"A","members":[]},{"id":100,"name":"B","members":[]},{"id":0,"name":"C","members":[]}]`
		}), []string{`1 roles have an id that is not a positive 32-bit integer (e.g. role "C" has id 0)`, `1 role ids are listed twice (e.g. id 100 is role "A" and role "B")`}},
		{"a role id beyond 32 bits", edit(func(tj *tenantJSON) {
			tj.roles = `[{"id":4294967396,"name":"A","members":[]}]`
		}), []string{"role element 1 has an id that is not a positive 32-bit integer (4294967396)"}},
		{"a member's email that is another user's", edit(func(tj *tenantJSON) {
			tj.roles = `[{"id":100,"name":"Helpdesk","members":[{"id":1,"email":"tom@example.com"}]}]`
		}), []string{`1 members of 1 roles have another email than the user with their id (e.g. role "Helpdesk" lists "tom@example.com" as user 1, which is technician 1 ("tia@example.com"))`}},
		{"GET /v2/users has one more", edit(func(tj *tenantJSON) {
			tj.users = `[{"id":1},{"id":2},{"id":10},{"id":11}]`
		}), []string{"GET /v2/users lists 4 users, the technician and end-user lists 3 together (e.g. user 11 is in GET /v2/users but in neither list)"}},
		{"GET /v2/users has one less", edit(func(tj *tenantJSON) {
			tj.users = `[{"id":1},{"id":10}]`
		}), []string{`GET /v2/users lists 2 users, the technician and end-user lists 3 together (e.g. technician 2 ("tom@example.com") is not in GET /v2/users)`}},
		{"GET /v2/users has other users", edit(func(tj *tenantJSON) {
			tj.users = `[{"id":1},{"id":2},{"id":11}]`
		}), []string{"GET /v2/users and the technician and end-user lists hold 3 users each, but not the same ones (e.g. user 11 is in GET /v2/users but in neither list"}},
		{"GET /v2/users answered null", edit(func(tj *tenantJSON) { tj.users = `null` }), []string{"GET /v2/users answered null instead of a list"}},
		{"the end users answered null", edit(func(tj *tenantJSON) { tj.ends = `null` }), []string{"GET /v2/user/end-users answered null instead of a list"}},
		{"the roles answered with nothing", edit(func(tj *tenantJSON) { tj.roles = `` }), []string{"GET /v2/user/roles answered an empty body instead of a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, tt.tj.serve)
			snap, err := s.client(nil).Snapshot(context.Background(), SnapshotOptions{})
			var ie *InconsistentError
			if !errors.Is(err, ErrInconsistent) || !errors.As(err, &ie) || snap != nil {
				t.Fatalf("err = %v, want an *InconsistentError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %s\ndoes not say\n  %s", err, w)
				}
			}
			if !strings.HasSuffix(err.Error(), "; refusing to plan from a partial read. Run again; if it persists, report it.") {
				t.Errorf("error does not say what to do: %v", err)
			}
			// Read snapshotReads times: the whole read is retried before
			// refusing.
			// (A list whose read the other's failure cancelled may not
			// have reached the server.)
			reads := map[string]int{}
			most := 0
			for _, r := range s.requests() {
				reads[r]++
				most = max(most, reads[r])
			}
			if most != snapshotReads {
				t.Errorf("requests %v: want each list read at most %d times", reads, snapshotReads)
			}
		})
	}

	t.Run("the issue's message", func(t *testing.T) {
		s := newStub(t, truncated.serve)
		_, err := s.client(nil).Snapshot(context.Background(), SnapshotOptions{})
		if want := `NinjaOne's lists disagree: 50 members of 20 roles are in neither the technician nor the end-user list (e.g. user 100202 in role "Role 0001", user 100204 in role "Role 0001", user 100206 in role "Role 0002"); `; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v\nwant it to start %s", err, want)
		}
	})
}

// A read that disagrees once and agrees when read again is used, and the
// first disagreement is logged.
func TestSnapshotReadsOnceMoreBeforeRefusing(t *testing.T) {
	var rolesCalls atomic.Int32
	bad := consistent
	bad.roles = `[{"id":100,"name":"Helpdesk","members":[{"id":77}]}]`
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		// Two reads disagree (as while another writer is busy), the third
		// agrees.
		if r.URL.Path == "/v2/user/roles" && rolesCalls.Add(1) <= 2 {
			bad.serve(w, r)
			return
		}
		consistent.serve(w, r)
	})
	var logged strings.Builder
	var waits []time.Duration
	c := s.client(&waits)
	c.log = newTestLogger(&logged)
	snap, err := c.Snapshot(context.Background(), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Roles) != 3 || len(s.requests()) != 12 {
		t.Errorf("roles %v after %d requests, want 3 after 12", snap.Roles, len(s.requests()))
	}
	if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[1] < time.Second || waits[1] >= 2*time.Second {
		t.Errorf("waits between the reads %v, want one of 0.5-1s then one of 1-2s", waits)
	}
	if !strings.Contains(logged.String(), "reading everything once more") || !strings.Contains(logged.String(), "user 77") {
		t.Errorf("log %q does not say the read disagreed", logged.String())
	}
}

// What the lists agree on is read as it is; a role without members has
// unknown membership and is not checked.
func TestSnapshotOfListsThatAgree(t *testing.T) {
	s := newStub(t, consistent.serve)
	snap, err := s.client(nil).Snapshot(context.Background(), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Snapshot{
		Technicians: []User{{ID: 1, Email: "tia@example.com", UserType: Technician}, {ID: 2, Email: "tom@example.com", UserType: Technician}},
		EndUsers:    []User{{ID: 10, Email: "eve@example.com", OrganizationID: 3, UserType: EndUser}},
		Roles: []Role{
			{ID: 100, Name: "Helpdesk", Type: Technician, Members: []RoleMember{{ID: 1, Email: "TIA@example.com"}, {ID: 2}}},
			{ID: 200, Name: "Portal", Type: EndUser, Members: []RoleMember{{ID: 10, Email: "eve@example.com"}}},
			{ID: 201, Name: "Unlisted", Type: EndUser, MembersUnknown: true},
		},
	}
	if d := cmp.Diff(want, snap); d != "" {
		t.Errorf("snapshot (-want +got):\n%s", d)
	}
}

// The check is linear: ids far apart (a sparse index) work as well as
// NinjaOne's sequential ones (a dense table).
func TestCheckWithSparseIDs(t *testing.T) {
	s := &Snapshot{
		Technicians: []User{{ID: 1}, {ID: 2_000_000_000}},
		EndUsers:    []User{{ID: 1_000_000}},
		Roles:       []Role{{ID: 1, Members: []RoleMember{{ID: 2_000_000_000}, {ID: 1_000_000}, {ID: 5}}}},
	}
	err := check(s, []int32{1, 2_000_000_000, 1_000_000})
	if err == nil || !strings.Contains(err.Error(), "1 members of 1 roles are in neither") || !strings.Contains(err.Error(), "user 5 in role") {
		t.Errorf("err = %v", err)
	}
	s.Roles[0].Members = s.Roles[0].Members[:2]
	if err := check(s, []int32{1, 2_000_000_000, 1_000_000}); err != nil {
		t.Error(err)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// newTestLogger logs everything, from any goroutine, to w.
func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Member emails match their users' case-insensitively, beyond ASCII too.
func TestCheckFoldsEmailCase(t *testing.T) {
	s := &Snapshot{
		Technicians: []User{{ID: 1, Email: "Ünal.Öz@Example.COM"}, {ID: 2, Email: "b@example.com"}},
		Roles:       []Role{{ID: 1, Name: "R", Members: []RoleMember{{ID: 1, Email: "ünal.öz@example.com"}, {ID: 2, Email: "B@EXAMPLE.COM"}}}},
	}
	if err := check(s, nil); err != nil {
		t.Error(err)
	}
	// The same address as emailaddr.Key sees it: a domain's A-label for
	// its U-label, a decomposed ü for the composed one.
	s.Technicians[1].Email = "b@bücher.example"
	s.Roles[0].Members[1].Email = "B@xn--bcher-kva.example"
	s.Roles[0].Members[0].Email = "u\u0308nal.öz@example.com"
	if err := check(s, nil); err != nil {
		t.Error(err)
	}
	s.Roles[0].Members[0].Email = "unal.oz@example.com"
	if err := check(s, nil); err == nil || !strings.Contains(err.Error(), `role "R" lists "unal.oz@example.com" as user 1`) {
		t.Errorf("err = %v", err)
	}
}
