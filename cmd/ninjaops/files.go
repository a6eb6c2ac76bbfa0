package main

import (
	"fmt"

	"github.com/ninjaops/ninjaops/internal/safefile"
)

// Every file a command writes (plan files, reports, exports) goes through
// internal/safefile: 0600, atomic, and only ever a regular file or a path
// where nothing is yet.

// input is a file a command reads, named by the flag that gave it.
type input struct {
	flag, path string
}

// checkOutput refuses, before any work, an output path ninjaops may not
// write (a device, a pipe, a directory), or one that is a file the same
// command reads: plan -f ninjaops.yaml --out ninjaops.yaml would replace
// the desired state with a plan.
func checkOutput(flag, path string, inputs ...input) error {
	if err := safefile.Check(path); err != nil {
		return fmt.Errorf("--%s: %w", flag, err)
	}
	for _, in := range inputs {
		if in.path != "" && in.path != "-" && safefile.Same(path, in.path) {
			return fmt.Errorf("--%s %s is the file %s reads (%s): writing it would replace it; name another file", flag, path, in.flag, in.path)
		}
	}
	return nil
}
