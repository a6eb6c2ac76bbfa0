package main

// TEMPORARY: plan.Load (the strict loader, another branch) is not on main
// yet. This stand-in decodes the file leniently, without positions or
// validation, so `plan` can be built and tested meanwhile. When merging
// main with the loader: delete this file and call plan.Load in plan.go.

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/ninjaops/ninjaops/internal/plan"
)

func loadDesired(path string, data []byte) (*plan.Desired, error) {
	var d plan.Desired
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.Path, d.Source = path, data
	return &d, nil
}
