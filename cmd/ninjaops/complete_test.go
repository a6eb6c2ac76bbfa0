package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// complete answers from the command tree itself; the shells' own tests
// are in testdata/script/completion.txtar.
func TestComplete(t *testing.T) {
	app := newApp(&env{getenv: func(string) string { return "" }})
	tests := []struct {
		line  string // the words typed; a trailing space starts a new one
		want  []string
		files bool
	}{
		{"", []string{"apply", "baton", "completion", "export", "plan", "sandbox", "schema", "validate", "version", "help"}, false},
		{"pl", []string{"plan"}, false},
		{"h", []string{"help"}, false},
		{"-", []string{"--version", "--help", "-h"}, false},
		{"plan --o", []string{"--output", "--out"}, false},
		{"plan -o ", []string{"text", "json", "markdown"}, false},
		{"plan --output ", []string{"text", "json", "markdown"}, false},
		{"plan --output j", []string{"json"}, false},
		{"plan --output=", []string{"--output=text", "--output=json", "--output=markdown"}, false},
		{"plan --output=m", []string{"--output=markdown"}, false},
		{"plan -o=t", []string{"-o=text"}, false},
		{"plan -f ", nil, true},
		{"plan --file=", nil, true},
		{"plan --out ", nil, true},
		{"plan --client-id ", nil, false},
		{"plan --no-color --region ", []string{"ca", "eu", "fed", "oc", "us", "us2"}, false},
		{"plan --log-level d", []string{"debug"}, false},
		{"plan --log-format ", []string{"text", "json"}, false},
		{"plan --sandbox-state ", nil, true},
		// A flag already given is not offered again; a repeatable one is.
		{"plan -f x --fi", nil, false},
		{"plan --detailed-exitcode --det", nil, false},
		{"export --user-type technician --user-", []string{"--user-type"}, false},
		{"export --user-type ", []string{"technician", "end_user"}, false},
		{"export -o ", nil, true},
		{"export --no-t", []string{"--no-timestamp"}, false},
		// Flags that take a value skip it; the command after them is known.
		{"plan --base-url http://x -o ", []string{"text", "json", "markdown"}, false},
		{"plan -- -", nil, false},
		{"apply ", nil, true},
		{"apply -- ", nil, true},
		{"apply --parallelism 3 --auto-", []string{"--auto-approve"}, false},
		{"completion ", []string{"bash", "zsh", "fish"}, false},
		{"completion z", []string{"zsh"}, false},
		{"completion zsh ", nil, false},
		{"baton ", []string{"serve", "sync", "grant", "revoke", "create-account", "delete", "capabilities", "config", "help"}, false},
		{"baton s", []string{"serve", "sync"}, false},
		{"baton sync --storage-engine ", []string{"sqlite", "pebble"}, false},
		{"baton sync --f", []string{"--file"}, false},
		{"baton sync --file ", nil, true},
		{"baton grant --pr", []string{"--principal", "--provisioning", "--protected"}, false},
		{"sandbox ", []string{"serve", "help"}, false},
		{"sandbox serve --seed ", nil, true},
		{"sandbox serve --fault-kinds ", []string{"429", "500", "503", "html", "reset"}, false},
		{"sandbox serve --fault-kinds 429,", []string{"429,500", "429,503", "429,html", "429,reset"}, false},
		{"sandbox serve --fault-kinds=500,h", []string{"--fault-kinds=500,html"}, false},
		{"help ", []string{"apply", "baton", "completion", "export", "plan", "sandbox", "schema", "validate", "version"}, false},
		{"help ba", []string{"baton"}, false},
		{"help baton ", []string{"serve", "sync", "grant", "revoke", "create-account", "delete", "capabilities", "config"}, false},
		{"validate -", []string{"--file", "-f", "--help", "-h"}, false},
		{"version ", []string{"--help"}, false},
		{"nosuch ", nil, false},
	}
	for _, tt := range tests {
		words := strings.Split(tt.line, " ")
		res := complete(app, words)
		var got []string
		for _, c := range res.cands {
			got = append(got, c.value)
		}
		if d := cmp.Diff(tt.want, got); d != "" || res.files != tt.files {
			t.Errorf("complete %q: files %v (want %v), candidates (-want +got):\n%s", tt.line, res.files, tt.files, d)
		}
	}
}

// `ninjaops plan --<TAB>` offers every flag of plan, with what it does.
func TestCompleteFlagsWithDescriptions(t *testing.T) {
	var out bytes.Buffer
	app := newApp(&env{getenv: func(string) string { return "" }})
	if code := runComplete(app, &out, []string{"plan", "--"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		"--file\tdesired-state FILE (- reads standard input)",
		"--output\toutput FORMAT: text|json|markdown",
		"--out\talso save the plan to PLANFILE, for ninjaops apply PLANFILE",
		"--detailed-exitcode\texit 2 on drift: changes, or unmanaged users in scope (0: none, 1: error)",
		"--no-color\tno color in text output (also NO_COLOR; color is only used on a terminal)",
		"--base-url\ttenant base URL, e.g. https://eu.ninjarmm.com (plain http only for loopback)",
		"--region\tREGION shortcut for the base URL: ca|eu|fed|oc|us|us2",
		"--client-id\tAPI client ID (client credentials app)",
		"--client-secret\tAPI client SECRET; prefer the environment variable",
		"--scope\tOAuth SCOPES, space separated (default: monitoring management)",
		"--sandbox\tuse the built-in sandbox in process instead of a tenant",
		"--sandbox-state\tstate FILE (JSON) of the --sandbox tenant (default: .ninjaops/sandbox.json; with --sandbox-seed, one of that seed's own)",
		"--sandbox-seed\tseed FILE (YAML or JSON) the --sandbox tenant is first built from (default: the quickstart tenant)",
		"--log-level\tlog LEVEL on stderr: debug|info|warn|error (debug logs every HTTP call, never a secret)",
		"--log-format\tlog FORMAT: text|json",
		"--debug\tshorthand for --log-level debug",
		"--help\tshow the help of plan",
		":nofiles",
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("__complete plan -- (-want +got):\n%s", d)
	}
}

// The protocol needs no parsing by urfave/cli: a word that looks like a
// flag of ninjaops itself, or the completion flag of old, is just a word.
func TestCompleteIsNotACommand(t *testing.T) {
	code, out, errb := runArgs(t, "__complete", "--help")
	if code != exitOK || errb != "" || !strings.HasPrefix(out, "--help\t") {
		t.Errorf("__complete --help: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	code, out, _ = runArgs(t, "--help")
	if code != exitOK || strings.Contains(out, "__complete") {
		t.Errorf("--help lists __complete:\n%s", out)
	}
	code, _, errb = runArgs(t, "plan", "--generate-bash-completion")
	if code != exitError || !strings.Contains(errb, "unknown flag --generate-bash-completion") {
		t.Errorf("--generate-bash-completion: exit %d, stderr %q; want the unknown flag error", code, errb)
	}
}
