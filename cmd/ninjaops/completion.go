package main

import (
	_ "embed"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

func init() { register(completionCommand) }

// The bash and zsh scripts call the program back with
// --generate-bash-completion (EnableBashCompletion in newApp), so they
// always complete what this very binary accepts. Fish's is generated from
// the command tree.
var (
	//go:embed completions/bash
	bashCompletion string
	//go:embed completions/zsh
	zshCompletion string
)

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		UsageText: "ninjaops completion bash|zsh|fish",
		Description: `Install one of them:
  bash:  source <(ninjaops completion bash)       (add it to ~/.bashrc)
  zsh:   ninjaops completion zsh > "${fpath[1]}/_ninjaops"
  fish:  ninjaops completion fish > ~/.config/fish/completions/ninjaops.fish`,
		// What bash, zsh and fish complete after `ninjaops completion`.
		BashComplete: func(c *cli.Context) {
			if c.NArg() == 0 {
				fmt.Fprintln(e.stdout, "bash\nzsh\nfish")
			}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion needs one shell: bash, zsh or fish")
			}
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("generating the fish completion: %w", err)
				}
				script = s
			default:
				return fmt.Errorf("completion: unknown shell %q: want bash, zsh or fish", shell)
			}
			_, err := io.WriteString(e.stdout, script)
			return err
		},
	}
}
