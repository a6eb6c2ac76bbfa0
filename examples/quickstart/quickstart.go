// Package quickstart holds the quickstart's files that programs need: the
// sandbox seed that `ninjaops sandbox serve` and `--sandbox` start from.
package quickstart

import _ "embed"

// SandboxSeed is sandbox.yaml, the quickstart tenant in the sandbox's seed
// format.
//
//go:embed sandbox.yaml
var SandboxSeed []byte

// SeedName names the built-in seed in messages.
const SeedName = "examples/quickstart/sandbox.yaml"
