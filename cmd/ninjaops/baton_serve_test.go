package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ninjaops/ninjaops/internal/batonsync/c1fake"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// The service-mode tests: `ninjaops baton serve` as a process, driven by
// the fake ConductorOne, against the sandbox.

// awaitFinished waits for task id's FinishTask; anything the fake
// refused meanwhile fails the test at once.
func awaitFinished(t *testing.T, ctx context.Context, f *c1fake.Fake, id string) *v1.BatonServiceFinishTaskRequest {
	t.Helper()
	st := await(t, ctx, f, "FinishTask of "+id, func(st c1fake.State) bool { return st.Finished[id] != nil || len(st.Refused) > 0 })
	if len(st.Refused) > 0 {
		t.Fatalf("waiting for task %s, the fake refused: %q", id, st.Refused)
	}
	return st.Finished[id]
}

// finishedOK fails the test unless task id finished successfully.
func finishedOK(t *testing.T, ctx context.Context, f *c1fake.Fake, id string) *v1.BatonServiceFinishTaskRequest {
	t.Helper()
	fin := awaitFinished(t, ctx, f, id)
	if fin.GetSuccess() == nil {
		t.Fatalf("task %s failed: code %v: %s", id, codes.Code(fin.GetStatus().GetCode()), fin.GetStatus().GetMessage())
	}
	return fin
}

// finishedWithError fails the test unless task id finished with an error
// of code whose message contains msg, non-retryable as asked.
func finishedWithError(t *testing.T, ctx context.Context, f *c1fake.Fake, id string, code codes.Code, nonRetryable bool, msg string) {
	t.Helper()
	fin := awaitFinished(t, ctx, f, id)
	got := codes.Code(fin.GetStatus().GetCode())
	if fin.GetError() == nil || got != code || fin.GetError().GetNonRetryable() != nonRetryable || !strings.Contains(fin.GetStatus().GetMessage(), msg) {
		t.Fatalf("task %s: finished with success=%v, code %v, non-retryable %v, message %q; want an error %v, non-retryable %v, containing %q",
			id, fin.GetSuccess() != nil, got, fin.GetError().GetNonRetryable(), fin.GetStatus().GetMessage(), code, nonRetryable, msg)
	}
}

// uploaded reads the one c1z task id uploaded.
func uploaded(t *testing.T, f *c1fake.Fake, id string) *c1fake.C1Z {
	t.Helper()
	ups := f.State().Uploads[id]
	if len(ups) != 1 {
		t.Fatalf("task %s uploaded %d assets, want 1", id, len(ups))
	}
	c, err := c1fake.ReadC1Z(context.Background(), ups[0].Path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tenantView is what a sync must carry of a tenant: every user with its
// email and name, every role with its name, every membership as a grant of
// the role's member entitlement.
type tenantView struct {
	Users  map[string]string // id -> "email (First Last)"
	Roles  map[string]string // id -> name
	Grants []string          // role:<id>:member:user:<id>
}

func viewOfTenant(tn *sandbox.Tenant) tenantView {
	v := tenantView{Users: map[string]string{}, Roles: map[string]string{}}
	for _, u := range tn.Users {
		v.Users[fmt.Sprint(u.ID)] = fmt.Sprintf("%s (%s %s)", u.Email, u.FirstName, u.LastName)
	}
	for _, r := range tn.Roles {
		v.Roles[fmt.Sprint(r.ID)] = r.Name
		for _, m := range r.Members {
			v.Grants = append(v.Grants, fmt.Sprintf("role:%d:member:user:%d", r.ID, m))
		}
	}
	sort.Strings(v.Grants)
	return v
}

// viewOfC1Z reads the same from a c1z. Entitlements and grants other than
// role membership (if the connector adds any) are not part of the view.
func viewOfC1Z(t *testing.T, c *c1fake.C1Z) tenantView {
	t.Helper()
	v := tenantView{Users: map[string]string{}, Roles: map[string]string{}}
	for _, r := range c.Resources {
		id := r.GetId().GetResource()
		switch r.GetId().GetResourceType() {
		case "user":
			ut, err := resource.GetUserTrait(r)
			if err != nil {
				t.Fatalf("user %s: %v", id, err)
			}
			v.Users[id] = fmt.Sprintf("%s (%s)", ut.GetLogin(), r.GetDisplayName())
		case "role":
			v.Roles[id] = r.GetDisplayName()
		}
	}
	for _, g := range c.Grants {
		if strings.HasSuffix(g.GetEntitlement().GetId(), ":member") && strings.HasPrefix(g.GetId(), "role:") {
			v.Grants = append(v.Grants, g.GetId())
		}
	}
	sort.Strings(v.Grants)
	return v
}

// listRequests is the NinjaOne requests other than the token call in
// stats.
func listRequests(st sandbox.Stats) map[string]int64 {
	out := map[string]int64{}
	for k, v := range st.Requests {
		if k != "POST /ws/oauth/token" {
			out[k] = v
		}
	}
	return out
}

// TestBatonServe runs the connector in service mode with provisioning on
// and carries out what ConductorOne asks of it, one task after the other,
// as a deployment does: the token exchange and the Hello; a full sync,
// with heartbeats while it runs, uploaded, that reads back equal to the
// tenant and made a Snapshot's requests; a grant carried out in NinjaOne,
// which the next sync shows; revokes of a System Administrator and of a
// --protected user refused as non-retryable with the tenant unchanged; a
// sync whose NinjaOne read fails, reported without an upload; an exit 0 on
// SIGTERM. Neither side's secret reaches the other side or the log.
func TestBatonServe(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	hostID := "ninjaops-e2e-" + randomHex(3)
	env := append(append(c1.Env(), n.env()...), "BATON_HOST_ID="+hostID, "BATON_PROVISIONING=true", "BATON_LOG_LEVEL=debug")
	p := startServe(t, env, "baton", "serve", "--protected", "CARLOS@*")

	// The token exchange (a verified client assertion) and the Hello.
	st := await(t, ctx, c1, "the Hello", func(st c1fake.State) bool { return len(st.Hellos) > 0 })
	if st.Exchanges < 1 || len(st.Refused) > 0 {
		t.Fatalf("token exchanges %d, refused %q", st.Exchanges, st.Refused)
	}
	h := st.Hellos[0]
	if h.GetHostId() != hostID || h.GetConnectorMetadata().GetDisplayName() == "" {
		t.Errorf("Hello from host %q with connector %q, want host %q and the connector's metadata", h.GetHostId(), h.GetConnectorMetadata().GetDisplayName(), hostID)
	}

	// What a Snapshot reads, to compare a sync's requests with: a new
	// client makes the token call and the lists.
	n.srv.ResetStats()
	direct, err := ninjaone.New(ninjaone.Config{BaseURL: n.url, ClientID: n.clientID, ClientSecret: n.clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	snapshotLists := listRequests(n.srv.Stats())

	t.Run("full sync", func(t *testing.T) {
		n.srv.ResetStats()
		// The read is held until the heartbeat loop has beaten once more
		// than the heartbeat the SDK sends before it starts a sync.
		arrived, release := n.hold("/v2/user/roles")
		defer release()
		c1.Enqueue(c1fake.SyncTask(c1fake.ID("sync-1"), ""))
		<-arrived
		await(t, ctx, c1, "a second heartbeat of sync-1", func(st c1fake.State) bool { return st.Heartbeats[c1fake.ID("sync-1")] >= 2 })
		release()
		finishedOK(t, ctx, c1, c1fake.ID("sync-1"))
		stats := n.srv.Stats()
		if diff := cmp.Diff(snapshotLists, listRequests(stats)); diff != "" || stats.Requests["POST /ws/oauth/token"] > 1 {
			t.Errorf("the sync made %v; want a Snapshot's lists (-want +got):\n%s\nand at most one token call", stats.Requests, diff)
		}
		c := uploaded(t, c1, c1fake.ID("sync-1"))
		if c.Engine != "pebble" {
			t.Errorf("the upload's engine is %q, want the SDK's default, pebble", c.Engine)
		}
		if diff := cmp.Diff(viewOfTenant(n.srv.Tenant()), viewOfC1Z(t, c)); diff != "" {
			t.Errorf("the uploaded c1z differs from the tenant (-tenant +c1z):\n%s", diff)
		}
	})

	synced := uploaded(t, c1, c1fake.ID("sync-1"))

	t.Run("grant", func(t *testing.T) {
		ent, user := synced.Entitlement("role:3:member"), synced.Resource("user", "2")
		if ent == nil || user == nil {
			t.Fatal("the sync has no role:3:member or user:2")
		}
		c1.Enqueue(c1fake.GrantTask(c1fake.ID("grant-1"), ent, user))
		finishedOK(t, ctx, c1, c1fake.ID("grant-1"))
		for _, r := range n.srv.Tenant().Roles {
			if r.ID == 3 && !slices.Contains(r.Members, 2) {
				t.Errorf("role 3 members %v: user 2 was not added", r.Members)
			}
		}
	})

	t.Run("revoke of a System Administrator", func(t *testing.T) {
		g := synced.Grant("role:1:member:user:1")
		if g == nil {
			t.Fatal("the sync has no grant role:1:member:user:1")
		}
		before := n.srv.Tenant()
		n.srv.ResetStats()
		c1.Enqueue(c1fake.RevokeTask(c1fake.ID("revoke-admin"), g))
		finishedWithError(t, ctx, c1, c1fake.ID("revoke-admin"), codes.FailedPrecondition, true, "System Administrator")
		if diff := cmp.Diff(before, n.srv.Tenant()); diff != "" {
			t.Errorf("the tenant changed (-before +after):\n%s", diff)
		}
		for k := range n.srv.Stats().Requests {
			if !strings.HasPrefix(k, "GET ") && k != "POST /ws/oauth/token" {
				t.Errorf("a write was sent: %s", k)
			}
		}
	})

	t.Run("revoke of a --protected user", func(t *testing.T) {
		g := synced.Grant("role:1:member:user:3")
		if g == nil {
			t.Fatal("the sync has no grant role:1:member:user:3")
		}
		before := n.srv.Tenant()
		c1.Enqueue(c1fake.RevokeTask(c1fake.ID("revoke-protected"), g))
		finishedWithError(t, ctx, c1, c1fake.ID("revoke-protected"), codes.FailedPrecondition, true, `matches the protected pattern "carlos@*"`)
		if diff := cmp.Diff(before, n.srv.Tenant()); diff != "" {
			t.Errorf("the tenant changed (-before +after):\n%s", diff)
		}
	})

	t.Run("a failed NinjaOne read fails the sync without an upload", func(t *testing.T) {
		n.setMissing("/v2/user/roles", true)
		c1.Enqueue(c1fake.SyncTask(c1fake.ID("sync-broken"), ""))
		finishedWithError(t, ctx, c1, c1fake.ID("sync-broken"), codes.Unimplemented, false, "/v2/user/roles")
		n.setMissing("/v2/user/roles", false)
		if ups := c1.State().Uploads[c1fake.ID("sync-broken")]; len(ups) != 0 {
			t.Errorf("the failed sync uploaded %d assets", len(ups))
		}
	})

	t.Run("the next sync sees the grant", func(t *testing.T) {
		c1.Enqueue(c1fake.SyncTask(c1fake.ID("sync-2"), ""))
		finishedOK(t, ctx, c1, c1fake.ID("sync-2"))
		if diff := cmp.Diff(viewOfTenant(n.srv.Tenant()), viewOfC1Z(t, uploaded(t, c1, c1fake.ID("sync-2")))); diff != "" {
			t.Errorf("the c1z after the grant differs from the tenant (-tenant +c1z):\n%s", diff)
		}
	})

	p.signal(syscall.SIGTERM)
	if code := p.wait(ctx); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	st = c1.State()
	if len(st.Refused) > 0 {
		t.Errorf("the fake refused: %q", st.Refused)
	}
	if !slices.Equal(st.HostIDs, []string{hostID}) {
		t.Errorf("requests carried host ids %q, want only %q", st.HostIDs, hostID)
	}

	t.Run("secrets", func(t *testing.T) {
		out, toC1, toNinja := p.out.String(), string(c1.Transcript()), n.recorded()
		var c1z strings.Builder
		for _, id := range []string{"sync-1", "sync-2"} {
			c := uploaded(t, c1, c1fake.ID(id))
			for _, r := range c.Resources {
				c1z.WriteString(protojson.Format(r))
			}
		}
		if !strings.Contains(toNinja, n.clientID) || !strings.Contains(toC1, c1.ClientID()) || !strings.Contains(out, "connected to ConductorOne") {
			t.Fatal("the records are empty: the checks below would prove nothing")
		}
		c1Key := jwkPrivate(t, c1.ClientSecret())
		secrets := map[string]string{"ConductorOne's secret": c1.ClientSecret(), "ConductorOne's private key": c1Key, "NinjaOne's secret": n.clientSecret}
		for _, tok := range n.accessTokens() {
			secrets["a NinjaOne access token"] = tok
		}
		for what, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s is in the process's output", what)
			}
			if strings.Contains(c1z.String(), s) {
				t.Errorf("%s is in an uploaded c1z", what)
			}
			if strings.Contains(toC1, s) {
				t.Errorf("%s was sent to ConductorOne", what)
			}
		}
		for _, s := range []string{c1.ClientSecret(), c1Key, c1.ClientID()} {
			if strings.Contains(toNinja, s) {
				t.Error("ConductorOne's credential was sent to NinjaOne")
			}
		}
		for _, tok := range bearer.FindAllStringSubmatch(toC1, -1) {
			if strings.Contains(out, tok[1]) || strings.Contains(toNinja, tok[1]) {
				t.Error("a ConductorOne access token is in the output or was sent to NinjaOne")
			}
		}
	})
}

// jwkPrivate is the private key ("d") of the JWK in a ConductorOne secret.
func jwkPrivate(t *testing.T, secret string) string {
	t.Helper()
	parts := strings.SplitN(secret, ":", 4)
	raw, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		t.Fatal(err)
	}
	var jwk struct {
		D string `json:"d"`
	}
	if err := json.Unmarshal(raw, &jwk); err != nil || jwk.D == "" {
		t.Fatalf("secret's JWK: %v", err)
	}
	return jwk.D
}

// TestBatonServeProvisioningOff: without BATON_PROVISIONING every
// provisioning task is refused as non-retryable, and NinjaOne is neither
// written nor even read for it. Its syncs also show BATON_STORAGE_ENGINE
// choosing the engine of the uploads, and a sync that failed after reading
// NinjaOne leaving nothing stale for the next one.
func TestBatonServeProvisioningOff(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	p := startServe(t, append(append(c1.Env(), n.env()...), "BATON_STORAGE_ENGINE=sqlite", "BATON_HOST_ID=from-env"), "baton", "serve", "--host-id", "from-flag")

	// The first sync fails after it validated, which read its Snapshot,
	// and before it used it. The next sync must read NinjaOne again, not
	// adopt that one: NinjaOne changes in between.
	c1.Enqueue(v1.Task_builder{Id: c1fake.ID("sync-unused"),
		SyncFull: v1.Task_SyncFullTask_builder{SyncResourceTypeIds: []string{"no-such-type"}}.Build()}.Build())
	finishedWithError(t, ctx, c1, c1fake.ID("sync-unused"), codes.Unknown, false, "invalid resource type 'no-such-type'")
	direct, err := ninjaone.New(ninjaone.Config{BaseURL: n.url, ClientID: n.clientID, ClientSecret: n.clientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := direct.AddRoleMembers(ctx, 3, []int32{4}); err != nil {
		t.Fatal(err)
	}

	c1.Enqueue(c1fake.SyncTask(c1fake.ID("sync"), ""))
	finishedOK(t, ctx, c1, c1fake.ID("sync"))
	if hosts := c1.State().HostIDs; !slices.Equal(hosts, []string{"from-flag"}) {
		t.Errorf("host ids %q, want --host-id's over BATON_HOST_ID's", hosts)
	}
	synced := uploaded(t, c1, c1fake.ID("sync"))
	if synced.Engine != "sqlite" {
		t.Errorf("with BATON_STORAGE_ENGINE=sqlite the upload's engine is %q", synced.Engine)
	}
	if diff := cmp.Diff(viewOfTenant(n.srv.Tenant()), viewOfC1Z(t, synced)); diff != "" {
		t.Errorf("the sync after a change in NinjaOne differs from the tenant (-tenant +c1z):\n%s", diff)
	}
	before := n.srv.Tenant()
	n.srv.ResetStats()

	create, err := c1fake.CreateAccountTask(c1fake.ID("create"), "ada@customer.example", map[string]any{"firstName": "Ada", "lastName": "Lovelace", "organizationId": 2})
	if err != nil {
		t.Fatal(err)
	}
	tasks := []*v1.Task{
		c1fake.GrantTask(c1fake.ID("grant"), synced.Entitlement("role:3:member"), synced.Resource("user", "2")),
		c1fake.RevokeTask(c1fake.ID("revoke"), synced.Grant("role:1:member:user:2")),
		create,
		c1fake.DeleteTask(c1fake.ID("delete"), "user", "2"),
	}
	c1.Enqueue(tasks...)
	for _, task := range tasks {
		finishedWithError(t, ctx, c1, task.GetId(), codes.FailedPrecondition, true, "provisioning is disabled: enable it with --provisioning or BATON_PROVISIONING=true")
	}
	if diff := cmp.Diff(before, n.srv.Tenant()); diff != "" {
		t.Errorf("the tenant changed (-before +after):\n%s", diff)
	}
	if st := n.srv.Stats(); st.Total != 0 {
		t.Errorf("refused tasks still made requests to NinjaOne: %v", st.Requests)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(ctx); code != 0 {
		t.Fatalf("exit code %d after SIGINT, want 0", code)
	}
}

// TestBatonServeShutdown: on SIGTERM during a sync the connector claims no
// new task and exits 0 once the sync in flight is reported, finished
// within the grace period or cancelled at its end.
func TestBatonServeShutdown(t *testing.T) {
	t.Run("the sync finishes within the grace period", func(t *testing.T) {
		t.Parallel()
		ctx := waitCtx(t)
		n := startNinja(t, quickstartWithAdminInRole(t))
		c1 := startC1(t)
		p := startServe(t, append(c1.Env(), n.env()...), "baton", "serve", "--grace-period", "60s")
		arrived, release := n.hold("/v2/user/roles")
		defer release()
		c1.Enqueue(c1fake.SyncTask(c1fake.ID("inflight"), ""), c1fake.SyncTask(c1fake.ID("never"), ""))
		<-arrived
		p.signal(syscall.SIGTERM)
		p.awaitOutput(ctx, `stopping: no new tasks will be claimed`, 1)
		getTasks := c1.State().GetTasks
		release()
		finishedOK(t, ctx, c1, c1fake.ID("inflight"))
		if code := p.wait(ctx); code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
		st := c1.State()
		if len(uploaded(t, c1, c1fake.ID("inflight")).Resources) == 0 {
			t.Error("the sync finished after SIGTERM uploaded no resources")
		}
		if st.GetTasks != getTasks || st.Queued != 1 || slices.Contains(st.Handed, c1fake.ID("never")) {
			t.Errorf("after SIGTERM: %d more GetTask calls, %d tasks queued, handed %q; want none, the second task left queued",
				st.GetTasks-getTasks, st.Queued, st.Handed)
		}
	})

	t.Run("the sync is cancelled at the end of the grace period", func(t *testing.T) {
		t.Parallel()
		ctx := waitCtx(t)
		n := startNinja(t, quickstartWithAdminInRole(t))
		c1 := startC1(t)
		p := startServe(t, append(c1.Env(), n.env()...), "baton", "serve", "--grace-period", "1s")
		// The read never ends by itself: only the cancel ends the sync.
		arrived, release := n.hold("/v2/user/roles")
		defer release()
		c1.Enqueue(c1fake.SyncTask(c1fake.ID("stuck"), ""))
		<-arrived
		p.signal(syscall.SIGTERM)
		finishedWithError(t, ctx, c1, c1fake.ID("stuck"), codes.Canceled, false, "")
		if code := p.wait(ctx); code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
		if ups := c1.State().Uploads[c1fake.ID("stuck")]; len(ups) != 0 {
			t.Errorf("the cancelled sync uploaded %d assets", len(ups))
		}
		out := p.out.String()
		for _, want := range []string{"stopping: no new tasks will be claimed", "the grace period is over; cancelling the task in flight", `"msg":"stopped"`} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q", want)
			}
		}
	})
}

// TestBatonServeOutage: ConductorOne answering 503 for a while, then gone
// from the network and back on the same address, is ridden out: the
// connector backs off (1s, 2s, ... as its log says), keeps trying, and
// carries out the task queued meanwhile once ConductorOne is back.
func TestBatonServeOutage(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	p := startServe(t, append(c1.Env(), n.env()...), "baton", "serve")
	await(t, ctx, c1, "the Hello", func(st c1fake.State) bool { return len(st.Hellos) > 0 })

	c1.SetOutage(true)
	out := p.awaitOutput(ctx, `asking for the next task failed; retrying`, 2)
	var waits []time.Duration
	for _, line := range strings.Split(out, "\n") {
		var entry struct {
			Msg      string `json:"msg"`
			Failures int    `json:"failures"`
			RetryIn  string `json:"retry_in"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || !strings.HasPrefix(entry.Msg, "ConductorOne: asking for the next task failed") {
			continue
		}
		d, err := time.ParseDuration(entry.RetryIn)
		if err != nil || entry.Failures != len(waits)+1 {
			t.Fatalf("log line %s: failures %d, retry_in %q", line, entry.Failures, entry.RetryIn)
		}
		waits = append(waits, d)
	}
	for i, d := range waits {
		if lo := time.Second << i; d < lo || d > lo+lo/10 {
			t.Errorf("retry %d after %v, want %v plus at most a tenth of jitter", i+1, d, lo)
		}
	}

	// Gone from the network altogether, then back.
	c1.SetOutage(false)
	c1.Stop()
	c1.Enqueue(c1fake.SyncTask(c1fake.ID("after"), ""))
	await(t, ctx, c1, "two connection attempts while stopped", func(st c1fake.State) bool { return st.Dropped >= 2 })
	if err := c1.Restart(); err != nil {
		t.Fatal(err)
	}
	finishedOK(t, ctx, c1, c1fake.ID("after"))
	p.awaitOutput(ctx, `ConductorOne answers again`, 1)
	p.signal(syscall.SIGTERM)
	if code := p.wait(ctx); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

// TestBatonServeRefusedCredential: a ConductorOne credential of the right
// form that ConductorOne does not know stops the connector at the Hello
// with exit 1 and a message naming the variables, not the secret.
func TestBatonServeRefusedCredential(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	// The fake's address and CA, another credential.
	otherID, otherSecret, _, err := c1fake.NewCredential("someone-else", "fake-c1.invalid")
	if err != nil {
		t.Fatal(err)
	}
	env := append(n.env(), "BATON_CLIENT_ID="+otherID, "BATON_CLIENT_SECRET="+otherSecret,
		"BATON_C1_API_HOST="+c1.Host(), "SSL_CERT_FILE="+c1.CAFile())
	p := startServe(t, env, "baton", "serve")
	if code := p.wait(ctx); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	out := p.out.String()
	if !strings.Contains(out, "Error: ConductorOne refused the connector's Hello") || !strings.Contains(out, "check BATON_CLIENT_ID and BATON_CLIENT_SECRET") {
		t.Errorf("the error does not say what is wrong:\n%s", out)
	}
	if strings.Contains(out, otherSecret) || strings.Contains(out, jwkPrivate(t, otherSecret)) {
		t.Error("the secret is in the output")
	}
	if st := c1.State(); len(st.Refused) == 0 || st.Exchanges != 0 || len(st.Hellos) != 0 {
		t.Errorf("the fake saw exchanges %d, hellos %d, refusals %q; want the token request refused and nothing else", st.Exchanges, len(st.Hellos), st.Refused)
	}
}

// TestBatonServeHealth: with the health check on, /live answers from the
// start; /ready only once ConductorOne has answered the Hello (here after
// an outage of its token endpoint at startup, which the connector rides
// out); /health checks NinjaOne, cheaply, and says so when it fails.
func TestBatonServeHealth(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t)
	n := startNinja(t, quickstartWithAdminInRole(t))
	c1 := startC1(t)
	c1.SetOutage(true)
	port := freePort(t)
	p := startServe(t, append(append(c1.Env(), n.env()...), "BATON_HEALTH_CHECK=true", "BATON_HEALTH_CHECK_PORT="+port), "baton", "serve")
	base := "http://127.0.0.1:" + port

	p.awaitOutput(ctx, `token endpoint is unavailable; retrying the Hello`, 1)
	if code, _ := awaitHTTP(t, ctx, base+"/live", http.StatusOK); code != http.StatusOK {
		t.Fatalf("/live: %d", code)
	}
	if code, body := get(t, base+"/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/ready before the Hello: %d %s, want 503", code, body)
	}
	c1.SetOutage(false)
	await(t, ctx, c1, "the Hello", func(st c1fake.State) bool { return len(st.Hellos) > 0 })
	awaitHTTP(t, ctx, base+"/ready", http.StatusOK)

	n.srv.ResetStats()
	if code, body := get(t, base+"/health"); code != http.StatusOK || !strings.Contains(body, `"healthy"`) {
		t.Errorf("/health: %d %s", code, body)
	}
	if got := listRequests(n.srv.Stats()); len(got) != 1 || got["GET /v2/organizations"] != 1 {
		t.Errorf("/health read %v from NinjaOne, want one small read", got)
	}
	n.setMissing("/v2/organizations", true)
	code, body := get(t, base+"/health")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "unhealthy") || !strings.Contains(body, "/v2/organizations") {
		t.Errorf("/health with NinjaOne failing: %d %s", code, body)
	}
	if strings.Contains(body, n.clientSecret) || strings.Contains(body, c1.ClientSecret()) {
		t.Error("/health shows a secret")
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(ctx); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// awaitHTTP polls url until it answers want.
func awaitHTTP(t *testing.T, ctx context.Context, url string, want int) (int, string) {
	t.Helper()
	for {
		code, body := get(t, url)
		if code == want {
			return code, body
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s answers %d %s, want %d", url, code, body, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
