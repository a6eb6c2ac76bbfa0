package main

import (
	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/plan"
)

func init() { register(schemaCommand) }

func schemaCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the desired-state file",
		Description: "Prints a JSON Schema (draft 2020-12) of ninjaops.yaml, generated from the same\n" +
			"types the loader uses. Editors use it for completion and checks, e.g. with the line\n" +
			"  # yaml-language-server: $schema=ninjaops.schema.json\n" +
			"at the top of the file. `ninjaops validate` checks a few rules more (duplicate\n" +
			"emails, roles declared twice, protected patterns).",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return withCode(exitError, errNoArgs("schema"))
			}
			b, err := plan.JSONSchema()
			if err != nil {
				return withCode(exitError, err)
			}
			_, err = e.stdout.Write(b)
			return err
		},
	}
}
