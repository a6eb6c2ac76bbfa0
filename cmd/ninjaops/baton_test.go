package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBatonExitCodes: refusals (provisioning off, protected users, System
// Administrators) exit 3, like apply's safety guards; other errors exit 1.
// The scripts check the messages; testscript cannot see an exit code.
func TestBatonExitCodes(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--sandbox", "--sandbox-state", filepath.Join(dir, "sandbox.json"), "--file", filepath.Join(dir, "sync.c1z")}
	environ := map[string]string{}
	ninjaops := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
		code := run(context.Background(), e, append(append([]string{"ninjaops", "baton"}, args...), common...))
		return code, stderr.String()
	}

	if code, out := ninjaops("sync"); code != exitOK {
		t.Fatalf("sync: exit %d: %s", code, out)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    int
		wantOut string
	}{
		{"grant without provisioning", []string{"grant", "--entitlement", "role:3:member", "--principal", "user:2"}, nil, exitGuard, "provisioning is disabled"},
		{"BATON_PROVISIONING=false", []string{"delete", "--resource", "user:2"}, map[string]string{"BATON_PROVISIONING": "false"}, exitGuard, "provisioning is disabled"},
		{"revoke a protected user", []string{"revoke", "--provisioning", "--protected", "alice@*", "--grant", "role:1:member:user:2"}, nil, exitGuard, "protected pattern"},
		{"delete a System Administrator", []string{"delete", "--resource", "user:1"}, map[string]string{"BATON_PROVISIONING": "true"}, exitGuard, "System Administrator"},
		{"unknown entitlement", []string{"grant", "--provisioning", "--entitlement", "role:99:member", "--principal", "user:2"}, nil, exitError, "not in"},
		{"bad engine", []string{"sync", "--storage-engine", "rocks"}, nil, exitError, "want sqlite or pebble"},
		{"grant", []string{"grant", "--provisioning", "--entitlement", "role:3:member", "--principal", "user:2"}, nil, exitOK, "Granted role:3:member to user:2."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ = tc.env
			code, out := ninjaops(tc.args...)
			if code != tc.want || !strings.Contains(out, tc.wantOut) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to contain %q", code, tc.want, out, tc.wantOut)
			}
		})
	}
}
