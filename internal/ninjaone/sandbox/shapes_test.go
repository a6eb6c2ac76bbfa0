package sandbox_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// shapeCall is one answer whose objects are checked key by key: the
// route's object (a spec schema) and, for roles, the RoleMember objects
// inside.
type shapeCall struct {
	method, path, body string
	schema             string // the spec's object of the answer
	list               bool
}

var shapeCalls = []shapeCall{
	{"GET", "/v2/users", "", "User", true},
	{"GET", "/v2/users?includeRoles=true", "", "User", true},
	{"GET", "/v2/user/technicians", "", "Technician", true},
	{"GET", "/v2/user/end-users", "", "EndUser", true},
	{"GET", "/v2/user/technician/2", "", "Technician", false},
	{"GET", "/v2/user/end-user/10", "", "EndUser", false},
	{"GET", "/v2/user/roles", "", "UserRole", true},
	{"GET", "/v2/roles", "", "NodeRole", true},
	{"GET", "/v2/organizations", "", "Organization", true},
	{"POST", "/v2/user/end-users", `{"firstName":"Dan","lastName":"New","email":"dan@customer.example","organizationId":2}`, "EndUser", false},
	{"POST", "/v2/user/technicians", `{"firstName":"Tom","lastName":"Tech","email":"tom@example.com"}`, "Technician", false},
	{"PATCH", "/v2/user/end-user/10", `{"lastName":"Jonas"}`, "EndUser", false},
	{"PATCH", "/v2/user/technician/2", `{"lastName":"Smythe"}`, "Technician", false},
	{"PATCH", "/v2/user/role/5/add-members", `[3]`, "UserRole", false},
	{"PATCH", "/v2/user/role/5/remove-members", `[3]`, "UserRole", false},
}

// specKeys returns the property names of a schema of the spec.
func specKeys(t *testing.T, schema string) []string {
	t.Helper()
	doc, _, err := contract.Spec()
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas[schema]
	if ref == nil {
		t.Fatalf("the spec has no schema %s", schema)
	}
	return slices.Sorted(maps.Keys(ref.Value.Properties))
}

// legacyKeys are the keys of a recorded /v2/users answer that the spec
// does not have.
var legacyKeys = []string{"fields", "tags"}

// objects runs the calls against a fresh sandbox of the shape and returns
// each call's objects (the members of roles under "RoleMember").
func shapeObjects(t *testing.T, opts sandbox.Options) map[string][]map[string]any {
	t.Helper()
	opts.Seed = seed(t)
	_, base, v := sandboxtest.NewChecked(t, opts)
	tok := "Bearer " + getToken(t, base, "")
	out := map[string][]map[string]any{}
	for _, c := range shapeCalls {
		ctype := ""
		if c.body != "" {
			ctype = "application/json"
		}
		got := call(t, base, c.method, c.path, tok, ctype, c.body)
		if got.status != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, got.status, got.body)
		}
		var objs []map[string]any
		if c.list {
			err := json.Unmarshal(got.body, &objs)
			if err != nil || len(objs) == 0 {
				t.Fatalf("%s %s: %v %s", c.method, c.path, err, got.body)
			}
		} else {
			var o map[string]any
			if err := json.Unmarshal(got.body, &o); err != nil {
				t.Fatalf("%s %s: %v %s", c.method, c.path, err, got.body)
			}
			objs = []map[string]any{o}
		}
		key := c.method + " " + c.path
		out[key] = objs
		if c.schema == "UserRole" {
			for _, o := range objs {
				ms, _ := o["members"].([]any)
				for _, m := range ms {
					out["RoleMember"] = append(out["RoleMember"], m.(map[string]any))
				}
			}
		}
	}
	if checked, _ := v.Checked(); checked != len(shapeCalls) {
		t.Errorf("the validator checked %d answers, want %d", checked, len(shapeCalls))
	}
	return out
}

func schemaOf(key string) string {
	if key == "RoleMember" {
		return key
	}
	for _, c := range shapeCalls {
		if c.method+" "+c.path == key {
			return c.schema
		}
	}
	panic(key)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// TestShapes checks, for every shape, which keys each object of every
// route carries (against the spec's schemas), that every answer
// validates against the spec (NewChecked), and that every shape describes
// the tenant of the spec shape with the same values.
func TestShapes(t *testing.T) {
	userUnion := map[string]bool{}
	for _, s := range []string{"User", "EndUser", "Technician"} {
		for _, k := range specKeys(t, s) {
			userUnion[k] = true
		}
	}
	spec := shapeObjects(t, sandbox.Options{})
	for _, shape := range sandbox.Shapes {
		t.Run(string(shape), func(t *testing.T) {
			got := spec
			if shape != sandbox.ShapeSpec {
				got = shapeObjects(t, sandbox.Options{Shape: shape})
			}
			for _, key := range slices.Sorted(maps.Keys(spec)) {
				schema := schemaOf(key)
				want := specKeys(t, schema)
				if schema == "User" {
					want = slices.Sorted(slices.Values(append(want, legacyKeys...)))
				}
				user := schema == "User" || schema == "EndUser" || schema == "Technician"
				if len(got[key]) != len(spec[key]) {
					t.Fatalf("%s: %d objects, the spec shape has %d", key, len(got[key]), len(spec[key]))
				}
				for i, o := range got[key] {
					keys := slices.Sorted(maps.Keys(o))
					ref := spec[key][i]
					who := fmt.Sprintf("%s: object %d (id %v)", key, i, o["id"])
					switch shape {
					case sandbox.ShapeSpec:
						if d := cmp.Diff(want, keys); d != "" {
							t.Errorf("%s: keys (-spec +got):\n%s", who, d)
						}
					case sandbox.ShapeSparse:
						for _, k := range want {
							if _, ok := o[k]; !ok && !isEmpty(ref[k]) && !(schema == "UserRole" && k == "members") {
								t.Errorf("%s: %s = %v left out", who, k, ref[k])
							}
							if v, ok := o[k]; ok && isEmpty(v) && !(schema == "UserRole" && k == "members") {
								t.Errorf("%s: %s = %v kept", who, k, v)
							}
						}
						if schema == "UserRole" && o["members"] == nil {
							t.Errorf("%s: members left out: a role's members stay in every shape", who)
						}
					case sandbox.ShapeAllKeys:
						wantAll := want
						if user {
							wantAll = slices.Sorted(maps.Keys(userUnion))
							if schema == "User" {
								wantAll = slices.Sorted(slices.Values(append(wantAll, legacyKeys...)))
							}
						}
						if d := cmp.Diff(wantAll, keys); d != "" {
							t.Errorf("%s: keys (-want +got):\n%s", who, d)
						}
						// The keys the spec does not put on this object
						// carry true values.
						if schema == "EndUser" && (o["userType"] != "END_USER" || o["administrator"] != false) {
							t.Errorf("%s: userType %v, administrator %v", who, o["userType"], o["administrator"])
						}
						if schema == "Technician" && (o["organizationId"] != nil || o["fullPortalAccess"] != false) {
							t.Errorf("%s: organizationId %v, fullPortalAccess %v", who, o["organizationId"], o["fullPortalAccess"])
						}
					case sandbox.ShapeLegacy:
						extra := map[string]bool{}
						for _, k := range keys {
							if !slices.Contains(want, k) {
								extra[k] = true
							}
						}
						nested := false
						for k := range extra {
							if _, ok := o[k].(map[string]any); ok {
								nested = true
							}
						}
						_, tags := o["tags"]
						_, fields := o["fields"]
						if !tags || !fields || !nested || o["tags"] != nil || o["fields"] != nil {
							t.Errorf("%s: legacy keys %v: want tags and fields (null) and a nested unknown object", who, slices.Sorted(maps.Keys(extra)))
						}
						for _, k := range want {
							if _, ok := o[k]; !ok {
								t.Errorf("%s: %s missing", who, k)
							}
						}
					}
					// Same tenant: every key both shapes have holds the
					// same value (members are compared as RoleMember
					// objects).
					for k, v := range o {
						if rv, ok := ref[k]; ok && k != "members" && !cmp.Equal(rv, v) {
							t.Errorf("%s: %s = %v, the spec shape says %v", who, k, v, rv)
						}
					}
				}
			}
		})
	}
}

func TestUnknownShape(t *testing.T) {
	_, err := sandbox.New(sandbox.Options{Shape: "compact"})
	if err == nil || !strings.Contains(err.Error(), "spec, all-keys, legacy, sparse") {
		t.Errorf("err = %v, want the shapes named", err)
	}
}
