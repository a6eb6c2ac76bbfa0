// Command lint runs actionlint (github.com/rhysd/actionlint, used as a
// library) over GitHub Actions workflow files and exits 1 on any finding.
//
// It is its own module because actionlint v1.7.12 is built against
// go.yaml.in/yaml/v4 v4.0.0-rc.3, whose API v4.0.0 (which ninjaops'
// dependencies require) changed: the two cannot share a build. The test
// in examples/ci runs it with `go run`.
//
// Shellcheck and pyflakes are not run (empty paths), so the result does
// not depend on what is installed.
package main

import (
	"fmt"
	"os"

	"github.com/rhysd/actionlint"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lint WORKFLOW.yml...")
		os.Exit(2)
	}
	l, err := actionlint.NewLinter(os.Stdout, &actionlint.LinterOptions{
		Shellcheck: "",
		Pyflakes:   "",
		Oneline:    true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "actionlint:", err)
		os.Exit(2)
	}
	errs, err := l.LintFiles(os.Args[1:], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "actionlint:", err)
		os.Exit(2)
	}
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "actionlint: %d finding(s)\n", len(errs))
		os.Exit(1)
	}
}
