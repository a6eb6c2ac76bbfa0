package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// baton sync refuses a read whose roles NinjaOne listed without their
// members, as it refuses a read that disagrees: exit 1, the roles named,
// no c1z written, nothing sent but reads. A sync that writes no grants
// does not need the membership and goes ahead.
func TestBatonSyncRefusesRolesOfUnknownMembership(t *testing.T) {
	f := newUntrustedTenant(t, "monitoring management", `[{"id":10,"name":"Helpdesk","type":"TECHNICIAN"},{"id":11,"name":"Tier 2","type":"TECHNICIAN","members":null},{"id":12,"name":"Read Only","type":"TECHNICIAN","members":[{"id":1}]}]`)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"baton", "sync", "--file", "$DIR/sync.c1z"},
		{"baton", "--file", "$DIR/sync.c1z"},
		{"baton", "sync", "--file", "$DIR/sync.c1z", "--sync-resource-types", "role"},
	} {
		code, out, errb := f.run(t, dir, args...)
		want := `NinjaOne listed 2 roles without their members (role 10 "Helpdesk", role 11 "Tier 2"): who holds them is unknown, and a sync would show them with no grants; refusing to sync a partial view.`
		if code != exitError || !strings.Contains(errb, want) || strings.Contains(errb, "Wrote ") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 1 and %q", args, code, out, errb, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "sync.c1z")); !os.IsNotExist(err) {
			t.Fatalf("%v: sync.c1z was written from a partial read (%v)", args, err)
		}
	}
	code, _, errb := f.run(t, dir, "baton", "sync", "--file", "$DIR/resources.c1z", "--skip-entitlements-and-grants")
	if code != exitOK || !strings.Contains(errb, "Wrote "+filepath.Join(dir, "resources.c1z")) || !strings.Contains(errb, "0 grants") {
		t.Errorf("a sync without grants: exit %d\n%s", code, errb)
	}
	if len(f.writes) != 0 {
		t.Errorf("writes sent: %v", f.writes)
	}
}
