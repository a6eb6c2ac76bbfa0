package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            [2]string
	}{
		{"no build info", "dev", "unknown", nil, [2]string{"dev", "unknown"}},
		{"ldflags win", "v1.2.3", "abc", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.1"}, Settings: vcs("def", "false")}, [2]string{"v1.2.3", "abc"}},
		{"go install @version", "dev", "unknown", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, [2]string{"v1.4.0", "unknown"}},
		{"devel build in a checkout", "dev", "unknown", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123456789abcdef01234567", "false")},
			[2]string{"dev", "0123456789abcdef0123456789abcdef01234567"}},
		{"uncommitted changes", "dev", "unknown", &debug.BuildInfo{Settings: vcs("0123", "true")}, [2]string{"dev", "0123 (modified)"}},
		{"-buildvcs=false", "dev", "unknown", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, [2]string{"dev", "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := buildVersion(tt.version, tt.commit, tt.bi)
			if diff := cmp.Diff(tt.want, [2]string{v, c}); diff != "" {
				t.Errorf("buildVersion (-want +got):\n%s", diff)
			}
		})
	}
}

// The names -ldflags -X sets must be the ones main.go declares: a rename
// would make release builds silently print "dev".
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skip("no go tool:", err)
	}
	bin := filepath.Join(t.TempDir(), "ninjaops")
	build := exec.Command(goTool, "build", "-o", bin, "-ldflags", "-X main.version=v9.8.7 -X main.commit=feedc0de", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "ninjaops v9.8.7\ncommit: feedc0de\ngo: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("ninjaops version (-want +got):\n%s", diff)
	}
}
