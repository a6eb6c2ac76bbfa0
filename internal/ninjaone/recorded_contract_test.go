package ninjaone_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// testdata/recorded holds answers written in the shape of recorded real
// ones (API-NOTES.md, "Objects"): every key of the spec's object, false,
// null, "" and [] sent, /v2/users with the legacy tags and fields, a
// technician's organizationId null, a role listed with "members": null.
// No real tenant's data is in them.
var recorded = map[string]string{
	"/v2/user/technicians": "technicians.json",
	"/v2/user/end-users":   "end-users.json",
	"/v2/users":            "users.json",
	"/v2/user/roles":       "roles.json",
	"/v2/organizations":    "organizations.json",
}

func readRecorded(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "recorded", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// recordedServer serves the recorded answers, every one validated against
// the spec (with its nullable overlay) on the way out.
func recordedServer(t *testing.T) string {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/ws/oauth/token" {
			w.Write([]byte(`{"access_token":"recorded","token_type":"Bearer","expires_in":3600,"scope":"monitoring management"}`))
			return
		}
		file, ok := recorded[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`))
			return
		}
		data := readRecorded(t, file)
		if after := r.URL.Query().Get("after"); after != "" && r.URL.Path == "/v2/organizations" {
			// Paged by last id: one page holds them all.
			var orgs []map[string]any
			json.Unmarshal(data, &orgs)
			last, _ := strconv.ParseFloat(after, 64)
			orgs = slices.DeleteFunc(orgs, func(o map[string]any) bool { return o["id"].(float64) <= last })
			data, _ = json.Marshal(orgs)
			if len(orgs) == 0 {
				data = []byte("[]")
			}
		}
		w.Write(data)
	})
	ch, v := contract.Handler(t, h)
	ts := httptest.NewServer(ch)
	t.Cleanup(func() {
		ts.Close()
		if checked, _ := v.Checked(); checked == 0 {
			t.Error("no recorded answer was validated")
		}
	})
	return ts.URL
}

// TestRecordedPayloadsMeetTheSpec: the recorded-style answers validate
// against the spec with its nullable overlay, and the client reads them as
// one Snapshot that passes its consistency checks. (TestRecordedPayloads
// in the package's own tests checks every decoded value.)
func TestRecordedPayloadsMeetTheSpec(t *testing.T) {
	base := recordedServer(t)
	snap, err := checkedClient(t, base, nil).Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: true})
	if err != nil {
		t.Fatal(err)
	}
	got := []int{len(snap.Technicians), len(snap.EndUsers), len(snap.Roles), len(snap.Organizations)}
	if d := cmp.Diff([]int{3, 2, 4, 2}, got); d != "" {
		t.Errorf("technicians, end users, roles, organizations (-want +got):\n%s", d)
	}
}

// TestRecordedKeysAreTheSandboxDefault: the sandbox's default answers carry
// exactly the keys of the recorded-style ones, route by route.
func TestRecordedKeysAreTheSandboxDefault(t *testing.T) {
	seed, err := sandbox.ParseTenant("seed", []byte(`
organizations: [{id: 1, name: Acme}]
roles: [{id: 5, name: Helpdesk, type: TECHNICIAN, members: [1]}]
users:
  - {id: 1, firstName: A, lastName: B, email: a@example.com, userType: TECHNICIAN}
  - {id: 2, firstName: C, lastName: D, email: c@example.com, userType: END_USER, organizationId: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	_, base := sandboxtest.New(t, sandbox.Options{Seed: seed})
	resp, err := http.PostForm(base+"/ws/oauth/token", map[string][]string{"grant_type": {"client_credentials"}, "client_id": {"sandbox"}, "client_secret": {"sandbox"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	keys := func(data []byte, path string) map[string][]string {
		var objs []map[string]any
		if err := json.Unmarshal(data, &objs); err != nil || len(objs) == 0 {
			t.Fatalf("%s: %v %s", path, err, data)
		}
		out := map[string][]string{}
		for _, o := range objs {
			k := slices.Sorted(maps.Keys(o))
			if prev, ok := out[path]; ok && !slices.Equal(prev, k) {
				t.Errorf("%s: objects with different keys: %v and %v", path, prev, k)
			}
			out[path] = k
			if ms, ok := o["members"].([]any); ok && len(ms) > 0 {
				out["RoleMember"] = slices.Sorted(maps.Keys(ms[0].(map[string]any)))
			}
		}
		return out
	}
	for path, file := range recorded {
		// Asked as the client asks: /v2/users without includeRoles.
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got json.RawMessage
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		want := keys(readRecorded(t, file), path)
		if path == "/v2/user/technicians" {
			// Real traffic sends "organizationId": null on technicians
			// (API-NOTES), a key the spec's Technician lacks; the sandbox's
			// default sends the spec's keys, its all-keys shape this one too.
			want[path] = slices.DeleteFunc(want[path], func(k string) bool { return k == "organizationId" })
		}
		if d := cmp.Diff(want, keys(got, path)); d != "" {
			t.Errorf("%s: keys (-recorded +sandbox):\n%s", path, d)
		}
	}
}
