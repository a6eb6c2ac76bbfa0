package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// TestBatonConnectionSettings: on the baton commands NinjaOne's settings
// take the upstream connector's names and variables, and ConductorOne's
// --client-id, --client-secret, BATON_CLIENT_ID and BATON_CLIENT_SECRET
// are never read as NinjaOne's.
func TestBatonConnectionSettings(t *testing.T) {
	resolve := func(args []string, vars map[string]string) (ninjaone.Config, error) {
		t.Helper()
		e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
		var cfg ninjaone.Config
		var cerr error
		app := &cli.App{Name: "t", Writer: io.Discard, ErrWriter: io.Discard, Commands: []*cli.Command{{
			Name: "baton", Flags: append(batonConnectionFlags(), c1CredentialFlags(true)...),
			Action: func(c *cli.Context) error { cfg, cerr = connectionConfig(c, e); return nil },
		}}}
		if err := app.RunContext(context.Background(), append([]string{"t", "baton"}, args...)); err != nil {
			t.Fatal(err)
		}
		return cfg, cerr
	}
	for _, tc := range []struct {
		name    string
		args    []string
		vars    map[string]string
		want    ninjaone.Config
		wantErr []string
	}{
		{
			name: "upstream flag names",
			args: []string{"--ninja-one-base-url", "https://eu.ninjarmm.com", "--ninja-one-client-id", "id", "--ninja-one-client-secret", "s", "--ninja-one-scope", "monitoring"},
			want: ninjaone.Config{BaseURL: "https://eu.ninjarmm.com", ClientID: "id", ClientSecret: "s", Scope: "monitoring"},
		},
		{
			name: "--base-url and --scope stay",
			args: []string{"--base-url", "https://eu.ninjarmm.com", "--ninja-one-client-id", "id", "--ninja-one-client-secret", "s", "--scope", "monitoring"},
			want: ninjaone.Config{BaseURL: "https://eu.ninjarmm.com", ClientID: "id", ClientSecret: "s", Scope: "monitoring"},
		},
		{
			name: "variables",
			vars: map[string]string{"BATON_NINJA_ONE_BASE_URL": "https://ca.ninjarmm.com", "BATON_NINJA_ONE_CLIENT_ID": "bid", "NINJAONE_CLIENT_SECRET": "s", "BATON_CLIENT_ID": "c1-id", "BATON_CLIENT_SECRET": "c1-secret"},
			want: ninjaone.Config{BaseURL: "https://ca.ninjarmm.com", ClientID: "bid", ClientSecret: "s"},
		},
		{
			name:    "ConductorOne's flags are not NinjaOne's",
			args:    []string{"--client-id", "c1-id", "--client-secret", "c1-secret"},
			wantErr: []string{"the client id: set --ninja-one-client-id (or NINJAONE_CLIENT_ID or BATON_NINJA_ONE_CLIENT_ID)", "the client secret: set --ninja-one-client-secret"},
		},
		{
			name:    "ConductorOne's variables are not NinjaOne's",
			vars:    map[string]string{"BATON_CLIENT_ID": "c1-id", "BATON_CLIENT_SECRET": "c1-secret"},
			wantErr: []string{"the client id: set --ninja-one-client-id", "the client secret: set --ninja-one-client-secret"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(tc.args, tc.vars)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; config %+v", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "c1-secret") {
					t.Errorf("error %q holds ConductorOne's secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}
