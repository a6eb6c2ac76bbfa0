package main

import (
	_ "embed"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

func init() { register(completionCommand) }

// The scripts call the program back with `ninjaops __complete` (see
// complete.go), so they always complete what this very binary accepts.
var (
	//go:embed completions/bash
	bashCompletion string
	//go:embed completions/zsh
	zshCompletion string
	//go:embed completions/fish
	fishCompletion string
)

var completionScripts = map[string]*string{"bash": &bashCompletion, "zsh": &zshCompletion, "fish": &fishCompletion}

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Completes commands, flags and flag values. Install one of them:
  bash:  source <(ninjaops completion bash)       (add it to ~/.bashrc)
  zsh:   ninjaops completion zsh > "${fpath[1]}/_ninjaops"
  fish:  ninjaops completion fish > ~/.config/fish/completions/ninjaops.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion needs one shell: bash, zsh or fish")
			}
			shell := c.Args().First()
			script, ok := completionScripts[shell]
			if !ok {
				return fmt.Errorf("completion: unknown shell %q: want bash, zsh or fish", shell)
			}
			_, err := io.WriteString(e.stdout, *script)
			return err
		},
	}
}
