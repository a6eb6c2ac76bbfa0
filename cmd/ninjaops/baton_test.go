package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// TestBatonExitCodes: refusals (provisioning off, protected users, System
// Administrators) exit 3, like apply's safety guards; other errors exit 1,
// an empty or corrupt c1z and a bad id included. The scripts check the
// messages; testscript cannot see an exit code.
func TestBatonExitCodes(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--sandbox", "--sandbox-state", filepath.Join(dir, "sandbox.json")}
	file := filepath.Join(dir, "sync.c1z")
	empty := filepath.Join(dir, "empty.c1z")
	corrupt := filepath.Join(dir, "corrupt.c1z")
	environ := map[string]string{}
	ninjaops := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
		code := run(context.Background(), e, append(append([]string{"ninjaops", "baton"}, args...), common...))
		return code, stderr.String()
	}

	if code, out := ninjaops("sync", "--file", file); code != exitOK {
		t.Fatalf("sync: exit %d: %s", code, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := func(args ...string) []string { return append(args, "--file", file) }
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    int
		wantOut string
	}{
		{"grant without provisioning", f("grant", "--entitlement", "role:3:member", "--principal", "user:2"), nil, exitGuard, "provisioning is disabled"},
		{"BATON_PROVISIONING=false", f("delete", "--resource", "user:2"), map[string]string{"BATON_PROVISIONING": "false"}, exitGuard, "provisioning is disabled"},
		{"revoke a protected user", f("revoke", "--provisioning", "--protected", "alice@*", "--grant", "role:1:member:user:2"), nil, exitGuard, "protected pattern"},
		{"delete a System Administrator", f("delete", "--resource", "user:1"), map[string]string{"BATON_PROVISIONING": "true"}, exitGuard, "System Administrator"},
		{"grant System Administrator", f("grant", "-p", "--entitlement", "system_role:administrator:member", "--principal", "user:2"), nil, exitGuard, "read-only"},
		{"unknown entitlement", f("grant", "--provisioning", "--entitlement", "role:99:member", "--principal", "user:2"), nil, exitError, "role:99:member is not in"},
		{"unknown user", f("grant", "-p", "--entitlement", "role:12:member", "--principal", "user:34"), nil, exitError, "user:34 is not in"},
		{"end-user role to a technician", f("grant", "-p", "--entitlement", "role:12:member", "--principal", "user:2"), nil, exitError, "it is an end-user role"},
		{"empty c1z", []string{"grant", "-p", "--file", empty, "--entitlement", "role:12:member", "--principal", "user:102"}, nil, exitError, "is empty"},
		{"corrupt c1z", []string{"revoke", "-p", "--file", corrupt, "--grant", "role:12:member:user:103"}, nil, exitError, "not a readable c1z file"},
		{"delete a user that does not exist", f("delete", "-p", "--resource", "user:34"), nil, exitError, "user:34 does not exist in NinjaOne; nothing was deleted"},
		{"bad engine", f("sync", "--storage-engine", "rocks"), nil, exitError, "want sqlite or pebble"},
		{"unknown baton command", []string{"sink"}, nil, exitError, `unknown command "sink" for ninjaops baton`},
		{"ConductorOne's --client-id on a one-shot command", f("sync", "--client-id", "c1"), nil, exitError, "--client-id is ConductorOne's"},
		{"grant", f("grant", "--provisioning", "--entitlement", "role:3:member", "--principal", "user:2"), nil, exitOK, "Granted role:3:member to user:2."},
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

// TestBatonInterrupted: an interrupted sync or change exits 130, as every
// other command does, and leaves no temporary directory behind.
func TestBatonInterrupted(t *testing.T) {
	seed, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	srv, url := sandboxtest.New(t, sandbox.Options{Seed: seed, Latency: 300 * time.Millisecond})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	environ := map[string]string{"NINJAONE_BASE_URL": url, "NINJAONE_CLIENT_ID": "sandbox", "NINJAONE_CLIENT_SECRET": "sandbox", "BATON_PROVISIONING": "true"}
	file := filepath.Join(t.TempDir(), "sync.c1z")
	ninjaops := func(ctx context.Context, args ...string) (chan int, *bytes.Buffer) {
		stderr := &bytes.Buffer{}
		e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: stderr, getenv: func(k string) string { return environ[k] }}
		done := make(chan int, 1)
		go func() { done <- run(ctx, e, append([]string{"ninjaops", "baton"}, args...)) }()
		return done, stderr
	}
	if code := <-func() chan int { d, _ := ninjaops(context.Background(), "sync", "--file", file); return d }(); code != exitOK {
		t.Fatalf("sync: exit %d", code)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"sync", []string{"sync", "--file", filepath.Join(t.TempDir(), "new.c1z")}, "Error: interrupted; nothing was written"},
		{"grant", []string{"grant", "--file", file, "--entitlement", "role:12:member", "--principal", "user:102"}, "Error: interrupted; the grant may or may not have been made in NinjaOne: run it again"},
		{"delete", []string{"delete", "--resource", "user:109"}, "Error: interrupted; the delete may or may not have been made in NinjaOne: run it again: if it then says the user does not exist, the first one deleted it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetStats()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done, stderr := ninjaops(ctx, tc.args...)
			// Interrupt once the command is talking to NinjaOne.
			for srv.Stats().Total == 0 {
				select {
				case code := <-done:
					t.Fatalf("ended (exit %d) before it was interrupted: %s", code, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			cancel()
			if code := <-done; code != exitInterrupted || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant %q", code, exitInterrupted, stderr.String(), tc.want)
			}
			left, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("left in the temporary directory: %v", left)
			}
		})
	}
}

// TestSyncProgress: on a terminal a sync shows one live line of counts in
// ninjaops' words, cleared at the end; in a CI log, nothing.
func TestSyncProgress(t *testing.T) {
	events := []sdksync.Progress{
		{Action: sdksync.SyncResourceTypesOp.String(), Count: 3},
		{Action: sdksync.SyncResourcesOp.String(), ResourceTypeID: "role", Count: 5},
		{Action: sdksync.SyncResourcesOp.String(), ResourceTypeID: "user", Count: 16},
		{Action: sdksync.SyncResourcesOp.String(), ResourceTypeID: "system_role", Count: 1},
		{Action: sdksync.SyncStaticEntitlementsOp.String(), ResourceTypeID: "role"},
		{Action: sdksync.SyncEntitlementsOp.String(), ResourceTypeID: "role", Count: 5},
		{Action: sdksync.SyncEntitlementsOp.String(), ResourceTypeID: "system_role", Count: 1},
		{Action: sdksync.SyncGrantsOp.String(), ResourceTypeID: "role", Count: 14},
		{Action: sdksync.SyncGrantsOp.String(), ResourceTypeID: "system_role", Count: 1},
	}
	show := func(tty bool) string {
		var buf bytes.Buffer
		p := newSyncProgress(&env{stderr: &buf, stderrTTY: tty})
		for i := range events {
			p.handle(&events[i])
		}
		p.done()
		return buf.String()
	}
	if got := show(false); got != "" {
		t.Errorf("progress in a CI log: %q", got)
	}
	got := show(true)
	if strings.Contains(got, "\n") || !strings.HasPrefix(got, "\r\033[K  reading NinjaOne...") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("live progress %q: want one line, rewritten in place and cleared", got)
	}
	if !strings.Contains(got, "\r\033[K  16 users, 6 roles, 6 entitlements, 15 grants\r\033[K") {
		t.Errorf("live progress %q: want the final counts", got)
	}
	for _, sdkWord := range []string{"list-", "static", "resource types"} {
		if strings.Contains(got, sdkWord) {
			t.Errorf("live progress %q speaks the SDK's %q", got, sdkWord)
		}
	}
}

// TestBatonCapabilitiesAndConfig: `capabilities` prints the SDK's
// capabilities of the connector and `config` its configuration schema,
// each as JSON on stdout, with no connection settings at all.
func TestBatonCapabilitiesAndConfig(t *testing.T) {
	out := func(args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		if code := run(context.Background(), e, append([]string{"ninjaops", "baton"}, args...)); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.Bytes()
	}

	var caps struct {
		Type                     string `json:"@type"`
		ResourceTypeCapabilities []struct {
			ResourceType struct{ ID string }
			Capabilities []string
		}
		ConnectorCapabilities []string
	}
	if err := json.Unmarshal(out("capabilities"), &caps); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, rc := range caps.ResourceTypeCapabilities {
		got[rc.ResourceType.ID] = rc.Capabilities
	}
	want := map[string][]string{
		"role":        {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC", "CAPABILITY_PROVISION"},
		"system_role": {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC"},
		"user":        {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC", "CAPABILITY_ACCOUNT_PROVISIONING", "CAPABILITY_RESOURCE_DELETE"},
	}
	if d := cmp.Diff(want, got); d != "" || caps.Type != "type.googleapis.com/c1.connector.v2.ConnectorCapabilities" {
		t.Errorf("capabilities %s (-want +got):\n%s", caps.Type, d)
	}
	if a, b := out("capabilities"), out("capabilities"); !bytes.Equal(a, b) {
		t.Errorf("capabilities differ between runs")
	}

	var conf struct {
		DisplayName string
		Fields      []struct {
			Name       string
			IsRequired bool
			IsSecret   bool
		}
	}
	if err := json.Unmarshal(out("config"), &conf); err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range conf.Fields {
		fields[f.Name] = map[[2]bool]string{{false, false}: "", {true, false}: "required", {true, true}: "required secret"}[[2]bool{f.IsRequired, f.IsSecret}]
	}
	wantFields := map[string]string{
		"ninja-one-base-url": "required", "ninja-one-client-id": "required", "ninja-one-client-secret": "required secret", "ninja-one-scope": "",
		"log-level": "",
	}
	if d := cmp.Diff(wantFields, fields); d != "" || conf.DisplayName != "NinjaOne (ninjaops)" {
		t.Errorf("config schema %q (-want +got):\n%s", conf.DisplayName, d)
	}
}

// TestStandardFlagsAreTheSDKs: the standard flags carry the SDK's names,
// shorthands and descriptions, so they mean what they mean on every baton
// connector.
func TestStandardFlagsAreTheSDKs(t *testing.T) {
	cmd := batonCommand(&env{})
	flags := map[string][]string{}
	usage := map[string]string{}
	for _, f := range cmd.Flags {
		flags[f.Names()[0]] = f.Names()
		if d, ok := f.(interface{ GetUsage() string }); ok {
			usage[f.Names()[0]] = d.GetUsage()
		}
	}
	for _, name := range []string{flagFile, flagProvisioning, flagC1zTempDir, flagSkipFullSync, flagSkipEntsGrants, flagSyncResources, flagSyncTypes,
		flagGrantEnt, flagGrantPrincipal, flagGrantPrinType, flagRevokeGrant, flagCreateEmail, flagCreateLogin, flagCreateProfile,
		flagDeleteResource, flagDeleteType, flagLogLevel, flagLogFormat, flagStorageEngine, flagC1ClientID, flagC1ClientSecret} {
		sdk := sdkField(name)
		names, ok := flags[name]
		if !ok {
			t.Errorf("ninjaops baton has no --%s", name)
			continue
		}
		if sh := sdk.GetCLIShortHand(); sh != "" && !strings.Contains(strings.Join(names, " "), sh) {
			t.Errorf("--%s lacks the SDK's shorthand -%s: %v", name, sh, names)
		}
		if name != flagStorageEngine && !strings.HasPrefix(usage[name], strings.TrimSuffix(sdk.Description, ".")) {
			t.Errorf("--%s usage %q does not start with the SDK's description %q", name, usage[name], sdk.Description)
		}
	}
	for _, name := range []string{"ninja-one-base-url", "ninja-one-client-id", "ninja-one-client-secret", "ninja-one-scope"} {
		if _, ok := flags[name]; !ok {
			t.Errorf("ninjaops baton has no --%s", name)
		}
	}
}
