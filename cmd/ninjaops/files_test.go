package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An output path is refused before any work when ninjaops may not write
// it, or when it is a file the same command reads.
func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	desired := filepath.Join(dir, "ninjaops.yaml")
	if err := os.WriteFile(desired, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(desired, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		out  string
		want string
	}{
		{filepath.Join(dir, "plan.json"), ""},
		{desired, "--out " + desired + " is the file -f reads (" + desired + "): writing it would replace it"},
		{link, "is the file -f reads"},
		{os.DevNull, "--out: /dev/null is a character device, not a regular file"},
		{dir, "is a directory"},
		{filepath.Join(dir, "nodir", "plan.json"), "no such file or directory"},
	} {
		err := checkOutput("out", tt.out, input{"-f", desired}, input{"-f", "-"})
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("checkOutput(%s) = %v, want %q", tt.out, err, tt.want)
		}
	}
}
