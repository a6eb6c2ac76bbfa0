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

// resolve runs the connection flags through a throwaway command.
func resolve(t *testing.T, args []string, vars map[string]string) (ninjaone.Config, error) {
	t.Helper()
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	var cfg ninjaone.Config
	var cerr error
	app := &cli.App{Name: "t", Writer: io.Discard, ErrWriter: io.Discard, Commands: []*cli.Command{{
		Name: "cmd", Flags: connectionFlags(),
		Action: func(c *cli.Context) error { cfg, cerr = connectionConfig(c, e); return nil },
	}}}
	if err := app.RunContext(context.Background(), append([]string{"t", "cmd"}, args...)); err != nil {
		t.Fatal(err)
	}
	return cfg, cerr
}

func TestConnectionSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		want    ninjaone.Config
		wantErr []string
	}{
		{
			name: "flags after the subcommand",
			args: []string{"--base-url", "https://ninja.example.com/", "--client-id", "id", "--client-secret", "s"},
			want: ninjaone.Config{BaseURL: "https://ninja.example.com", ClientID: "id", ClientSecret: "s"},
		},
		{
			name: "our variables",
			vars: map[string]string{"NINJAONE_BASE_URL": "https://eu.ninjarmm.com", "NINJAONE_CLIENT_ID": "id", "NINJAONE_CLIENT_SECRET": "s", "NINJAONE_SCOPE": "monitoring"},
			want: ninjaone.Config{BaseURL: "https://eu.ninjarmm.com", ClientID: "id", ClientSecret: "s", Scope: "monitoring"},
		},
		{
			name: "upstream connector variables, ours empty",
			vars: map[string]string{"NINJAONE_CLIENT_SECRET": "", "BATON_NINJA_ONE_BASE_URL": "https://ca.ninjarmm.com", "BATON_NINJA_ONE_CLIENT_ID": "bid", "BATON_NINJA_ONE_CLIENT_SECRET": "bs", "BATON_NINJA_ONE_SCOPE": "monitoring management"},
			want: ninjaone.Config{BaseURL: "https://ca.ninjarmm.com", ClientID: "bid", ClientSecret: "bs", Scope: "monitoring management"},
		},
		{
			name: "flag beats variable",
			args: []string{"--client-id", "flag"},
			vars: map[string]string{"NINJAONE_CLIENT_ID": "env", "NINJAONE_CLIENT_SECRET": "s"},
			want: ninjaone.Config{BaseURL: "https://app.ninjarmm.com", ClientID: "flag", ClientSecret: "s"},
		},
		{
			name:    "region shortcut",
			args:    []string{"--region", "oc", "--client-id", "i", "--client-secret", "s"},
			want:    ninjaone.Config{BaseURL: "https://oc.ninjarmm.com", ClientID: "i", ClientSecret: "s"},
			wantErr: nil,
		},
		{
			name:    "missing settings name flag and variables",
			wantErr: []string{"--base-url or --region", "NINJAONE_BASE_URL or BATON_NINJA_ONE_BASE_URL", "--client-id (or NINJAONE_CLIENT_ID or BATON_NINJA_ONE_CLIENT_ID)", "--client-secret (or NINJAONE_CLIENT_SECRET or BATON_NINJA_ONE_CLIENT_SECRET)"},
		},
		{
			name:    "plain http to a remote host",
			args:    []string{"--base-url", "http://app.ninjarmm.com", "--client-id", "i", "--client-secret", "s"},
			wantErr: []string{"plain http"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "flag beats variable" {
				tt.args = append(tt.args, "--region", "us")
			}
			got, err := resolve(t, tt.args, tt.vars)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}
