package main

import "github.com/urfave/cli/v2"

// Flags whose values are a fixed set: usage lines show the set (cli.go),
// and completion offers it (complete.go).

// choiceFlag is a string flag with a fixed set of values, which completion
// offers and usage lines show.
type choiceFlag struct {
	*cli.StringFlag
	choices []string
}

// choiceSliceFlag is a repeatable choiceFlag.
type choiceSliceFlag struct {
	*cli.StringSliceFlag
	choices []string
}

// listChoiceFlag is a string flag holding a comma-separated list of its
// choices, e.g. --fault-kinds 429,500,reset.
type listChoiceFlag struct {
	*cli.StringFlag
	choices []string
}

func oneOf(f *cli.StringFlag, choices ...string) cli.Flag { return &choiceFlag{f, choices} }
func someOf(f *cli.StringSliceFlag, choices ...string) cli.Flag {
	return &choiceSliceFlag{f, choices}
}
func listOf(f *cli.StringFlag, choices ...string) cli.Flag { return &listChoiceFlag{f, choices} }

// flagChoices lists the values a flag takes, if it has a fixed set.
func flagChoices(f cli.Flag) []string {
	switch f := f.(type) {
	case *choiceFlag:
		return f.choices
	case *choiceSliceFlag:
		return f.choices
	}
	return nil
}
