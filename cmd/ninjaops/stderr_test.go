package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// apply's progress lines and the client's notices (a retry said once)
// come from different goroutines and share stderr: their writes never
// interleave (under -race, an unserialised stderr is a data race).
func TestStderrIsSharedSafely(t *testing.T) {
	var seed, file strings.Builder
	seed.WriteString("users:\n")
	file.WriteString("version: 1\nsettings: {unmanaged_users: ignore}\nusers:\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&seed, "  - {id: %d, firstName: T, lastName: N%d, email: t%d@example.com, userType: TECHNICIAN}\n", i, i, i)
		fmt.Fprintf(&file, "  - {email: t%d@example.com, type: technician, first_name: T, last_name: Renamed%d}\n", i, i)
	}
	tenant, err := sandbox.ParseTenant("seed.yaml", []byte(seed.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, base := sandboxtest.New(t, sandbox.Options{Seed: tenant, FaultRate: 0.3, FaultKinds: []string{"500", "503"}, RandomSeed: 3})
	t.Chdir(t.TempDir())
	readmeFile(t, "ninjaops.yaml", file.String())
	environ := map[string]string{"NINJAONE_BASE_URL": base, "NINJAONE_CLIENT_ID": "sandbox", "NINJAONE_CLIENT_SECRET": "sandbox", envLockDir: t.TempDir()}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] },
		retry: ninjaone.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
	if code := run(context.Background(), e, []string{"ninjaops", "apply", "--auto-approve", "--parallelism", "8"}); code != exitOK {
		t.Fatalf("apply: exit %d\n%s", code, stderr.String())
	}
	out := stderr.String()
	if !strings.Contains(out, "retrying") || strings.Count(out, "ok      update") != 40 {
		t.Errorf("want a retry notice and 40 progress lines:\n%s", out)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Count(l, "ok ") > 1 || strings.Contains(l, "retrying") && strings.Contains(l, "update user") {
			t.Errorf("interleaved line: %q", l)
		}
	}
}
