package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ninjaops/ninjaops/internal/batonsync/c1fake"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// TestBatonServeSettings: what serve refuses before it connects to
// ConductorOne, in process. Every missing setting is named at once, with
// exit 1 and never the help; a ConductorOne credential in a NinjaOne
// setting is never sent to NinjaOne; no secret is ever repeated.
func TestBatonServeSettings(t *testing.T) {
	srv, url := sandboxtest.New(t, sandbox.Options{ClientID: "tenant-app", ClientSecret: "tenant-secret-value"})
	c1ID, c1Secret, _, err := c1fake.NewCredential("ninjaops", "tenant.example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	_, otherC1Secret, _, err := c1fake.NewCredential("other", "tenant.example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	c1 := map[string]string{"BATON_CLIENT_ID": c1ID, "BATON_CLIENT_SECRET": c1Secret}
	ninja := map[string]string{"NINJAONE_BASE_URL": url, "NINJAONE_CLIENT_ID": "tenant-app", "NINJAONE_CLIENT_SECRET": "tenant-secret-value"}
	with := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	secrets := []string{c1Secret, otherC1Secret, "tenant-secret-value", "hunter2-value"}

	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		want     int
		wantErr  []string // all in stderr
		wantOut  string   // in stdout
		noNinjaA bool     // NinjaOne must not have been asked anything
	}{
		{name: "nothing set", args: []string{"baton", "serve"}, want: exitError, wantErr: []string{
			"missing settings:", "the ConductorOne client id: set BATON_CLIENT_ID (or --c1-client-id)",
			"the ConductorOne client secret: set BATON_CLIENT_SECRET (or --c1-client-secret)",
			"NinjaOne: the tenant: set --ninja-one-base-url or --region (or NINJAONE_BASE_URL or BATON_NINJA_ONE_BASE_URL)",
			"NinjaOne: the client secret: set --ninja-one-client-secret (or NINJAONE_CLIENT_SECRET or BATON_NINJA_ONE_CLIENT_SECRET)"}},
		{name: "bare baton with BATON_CLIENT_ID runs serve", args: []string{"baton"}, env: map[string]string{"BATON_CLIENT_ID": c1ID},
			want: exitError, wantErr: []string{"set BATON_CLIENT_SECRET", "NinjaOne: the client id"}},
		{name: "bare baton with BATON_CLIENT_SECRET runs serve", args: []string{"baton"}, env: map[string]string{"BATON_CLIENT_SECRET": c1Secret},
			want: exitError, wantErr: []string{"set BATON_CLIENT_ID"}},
		// Without them it is a baton connector's main command, a sync: it
		// names what is missing rather than print help and exit 0.
		{name: "bare baton without ConductorOne is a sync", args: []string{"baton"}, want: exitError, wantErr: []string{"missing connection settings", "--ninja-one-client-id"}},
		{name: "only NinjaOne missing", args: []string{"baton", "serve"}, env: with(c1, map[string]string{"NINJAONE_BASE_URL": url}),
			want: exitError, wantErr: []string{"NinjaOne: the client id", "NinjaOne: the client secret"}},
		{name: "not a client id", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_CLIENT_ID": "ninjaops"}),
			want: exitError, wantErr: []string{"BATON_CLIENT_ID (or --c1-client-id) is not a ConductorOne client id"}, noNinjaA: true},
		{name: "not a client secret", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_CLIENT_SECRET": "hunter2-value"}),
			want: exitError, wantErr: []string{"BATON_CLIENT_SECRET (or --c1-client-secret) is not a ConductorOne client secret"}, noNinjaA: true},
		{name: "ConductorOne's secret as NinjaOne's", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"NINJAONE_CLIENT_SECRET": c1Secret}),
			want: exitError, wantErr: []string{"the NinjaOne client secret is the ConductorOne client secret; refusing to send it to NinjaOne"}, noNinjaA: true},
		// --client-secret is ConductorOne's here, as on every baton
		// connector; NinjaOne's flag given ConductorOne's secret is refused.
		{name: "--ninja-one-client-secret given ConductorOne's secret", args: []string{"baton", "serve", "--ninja-one-client-secret", c1Secret},
			env: with(c1, ninja), want: exitError, wantErr: []string{"refusing to send it to NinjaOne"}, noNinjaA: true},
		{name: "another ConductorOne secret as NinjaOne's", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_NINJA_ONE_CLIENT_SECRET": otherC1Secret, "NINJAONE_CLIENT_SECRET": ""}),
			want: exitError, wantErr: []string{"the NinjaOne client secret is a ConductorOne client secret"}, noNinjaA: true},
		{name: "ConductorOne's id as NinjaOne's", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"NINJAONE_CLIENT_ID": c1ID}),
			want: exitError, wantErr: []string{"the NinjaOne client id is the ConductorOne client id"}, noNinjaA: true},
		{name: "grace period", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"NINJAOPS_GRACE_PERIOD": "soon"}),
			want: exitError, wantErr: []string{`NINJAOPS_GRACE_PERIOD="soon": want a duration such as 20s`}, noNinjaA: true},
		{name: "negative grace period", args: []string{"baton", "serve", "--grace-period", "-1s"}, env: with(c1, ninja),
			want: exitError, wantErr: []string{"--grace-period -1s: want a positive duration"}, noNinjaA: true},
		{name: "health port", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_HEALTH_CHECK": "true", "BATON_HEALTH_CHECK_PORT": "99999"}),
			want: exitError, wantErr: []string{`BATON_HEALTH_CHECK_PORT="99999": want a port number`}, noNinjaA: true},
		{name: "health check switch", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_HEALTH_CHECK": "on"}),
			want: exitError, wantErr: []string{`BATON_HEALTH_CHECK="on": want true or false`}, noNinjaA: true},
		{name: "engine", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_STORAGE_ENGINE": "rocks"}),
			want: exitError, wantErr: []string{`BATON_STORAGE_ENGINE: storage engine "rocks": want sqlite or pebble`}, noNinjaA: true},
		{name: "provisioning", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_PROVISIONING": "yes"}),
			want: exitError, wantErr: []string{`BATON_PROVISIONING="yes": want true or false`}, noNinjaA: true},
		{name: "log level", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_LOG_LEVEL": "loud"}),
			want: exitError, wantErr: []string{`log level "loud": want debug, info, warn or error`}, noNinjaA: true},
		{name: "log format", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"BATON_LOG_FORMAT": "xml"}),
			want: exitError, wantErr: []string{`log format "xml": want json or console (text)`}, noNinjaA: true},
		{name: "arguments", args: []string{"baton", "serve", "now"}, env: with(c1, ninja),
			want: exitError, wantErr: []string{`baton serve takes no arguments (got "now")`}, noNinjaA: true},
		// NinjaOne is checked before ConductorOne is dialled (no
		// BATON_C1_API_HOST here: it would be the invalid tenant host).
		{name: "NinjaOne refuses the secret", args: []string{"baton", "serve"}, env: with(c1, ninja, map[string]string{"NINJAONE_CLIENT_SECRET": "hunter2-value"}),
			want: exitError, wantErr: []string{"NinjaOne refused the connection settings: POST /ws/oauth/token: 401"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetStats()
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return tc.env[k] }}
			code := run(context.Background(), e, append([]string{"ninjaops"}, tc.args...))
			if code != tc.want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.want, stderr.String())
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, stdout.String())
			}
			if tc.want != exitOK && strings.Contains(stdout.String()+stderr.String(), "USAGE:") {
				t.Errorf("an error printed the help:\n%s", stdout.String())
			}
			for _, s := range secrets {
				if strings.Contains(stdout.String()+stderr.String(), s) {
					t.Errorf("a secret is in the output:\n%s", stderr.String())
				}
			}
			if st := srv.Stats(); tc.noNinjaA && st.Total != 0 {
				t.Errorf("NinjaOne was asked %v", st.Requests)
			}
		})
	}
}

// TestWarnUnknownEnv: a BATON_* or NINJAONE_* variable serve does not read
// (a misspelt Secret key) is named in a warning; the ones it reads, and
// other variables, are not.
func TestWarnUnknownEnv(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	warnUnknownEnv(zap.New(core), []string{
		"BATON_PROVISONING=true", "NINJAONE_CLIENTID=x", "BATON_CLIENT_ID=a@b/c", "BATON_NINJA_ONE_CLIENT_SECRET=s3cr3t",
		"BATON_HOST_ID=h", "BATON_HEALTH_CHECK_PORT=8081", "BATON_C1_API_HOST=x:1", "NINJAONE_REGION=eu", "BATON_LOG_LEVEL=info",
		"HOME=/root", "KUBERNETES_SERVICE_HOST=10.0.0.1",
	})
	var got []string
	for _, e := range logs.All() {
		got = append(got, e.ContextMap()["variable"].(string))
		if strings.Contains(e.Message, "s3cr3t") {
			t.Error("a value was logged")
		}
	}
	if want := []string{"BATON_PROVISONING", "NINJAONE_CLIENTID"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("warned about %q, want %q", got, want)
	}
}
