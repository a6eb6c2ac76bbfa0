// Command lint reads the deployment files of ninjaops the way the tools
// that use them do, and prints what they say as JSON for the tests in
// examples/deploy to judge:
//
//	lint dockerfile FILE      BuildKit's own Dockerfile parser
//	                          (github.com/moby/buildkit): every stage, and
//	                          the final one's base, user, entrypoint, cmd,
//	                          copies and runs
//	lint kubernetes FILE...   every document decoded strictly into the
//	                          Kubernetes API's own types (k8s.io/api): an
//	                          unknown or misspelt field, or a value of the
//	                          wrong type, is an error
//
// It exits 1 on a file the tool would refuse. It is its own module so
// that BuildKit and the Kubernetes API stay out of ninjaops' module; the
// tests run it with `go run`.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: lint dockerfile FILE | lint kubernetes FILE...")
		os.Exit(2)
	}
	var out any
	var err error
	switch os.Args[1] {
	case "dockerfile":
		out, err = dockerfile(os.Args[2])
	case "kubernetes":
		out, err = kubernetes(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(1)
	}
}

// Dockerfile is what a Dockerfile says.
type Dockerfile struct {
	Args     []string `json:"args"` // ARGs before the first FROM
	Stages   []Stage  `json:"stages"`
	Warnings []string `json:"warnings"` // BuildKit's own lint warnings
}

// Stage is one FROM and what follows it.
type Stage struct {
	Name            string            `json:"name"`
	Base            string            `json:"base"`
	Platform        string            `json:"platform"`
	User            string            `json:"user"`
	Entrypoint      []string          `json:"entrypoint"`
	EntrypointShell bool              `json:"entrypoint_shell"` // shell form: needs /bin/sh
	Cmd             []string          `json:"cmd"`
	CmdShell        bool              `json:"cmd_shell"`
	Runs            []string          `json:"runs"`
	Env             map[string]string `json:"env"`
	Copies          []Copy            `json:"copies"`
	Args            []string          `json:"args"`
	Workdir         string            `json:"workdir"`
	Healthcheck     bool              `json:"healthcheck"`
}

// Copy is a COPY or ADD.
type Copy struct {
	Add     bool     `json:"add"`
	From    string   `json:"from"`
	Sources []string `json:"sources"`
	Dest    string   `json:"dest"`
	Chown   string   `json:"chown"`
}

func dockerfile(path string) (*Dockerfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := &Dockerfile{Warnings: []string{}}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s:%d: %s", path, w.Location.Start.Line, w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, short, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s:%d: %s: %s", path, line, rule, msg))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			out.Args = append(out.Args, kv.Key)
		}
	}
	for _, st := range stages {
		s := Stage{Name: st.Name, Base: st.BaseName, Platform: st.Platform, Env: map[string]string{}, Runs: []string{}, Copies: []Copy{}, Args: []string{}}
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.UserCommand:
				s.User = c.User
			case *instructions.EntrypointCommand:
				s.Entrypoint, s.EntrypointShell = c.CmdLine, c.PrependShell
			case *instructions.CmdCommand:
				s.Cmd, s.CmdShell = c.CmdLine, c.PrependShell
			case *instructions.RunCommand:
				s.Runs = append(s.Runs, strings.Join(c.CmdLine, " "))
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					s.Env[kv.Key] = kv.Value
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					s.Args = append(s.Args, kv.Key)
				}
			case *instructions.CopyCommand:
				s.Copies = append(s.Copies, Copy{From: c.From, Sources: c.SourcePaths, Dest: c.DestPath, Chown: c.Chown})
			case *instructions.AddCommand:
				s.Copies = append(s.Copies, Copy{Add: true, Sources: c.SourcePaths, Dest: c.DestPath, Chown: c.Chown})
			case *instructions.WorkdirCommand:
				s.Workdir = c.Path
			case *instructions.HealthCheckCommand:
				s.Healthcheck = true
			}
		}
		out.Stages = append(out.Stages, s)
	}
	if len(out.Stages) == 0 {
		return nil, fmt.Errorf("%s: no stage", path)
	}
	return out, nil
}

// Object is one decoded Kubernetes object, in the API's own JSON.
type Object struct {
	File   string          `json:"file"`
	Kind   string          `json:"kind"`
	Object json.RawMessage `json:"object"`
}

func kubernetes(paths []string) ([]Object, error) {
	var out []Object
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for n := 1; ; n++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: document %d: %w", path, n, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, err := decode(doc)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: document %d: %w", path, n, err)
			}
			out = append(out, Object{File: path, Kind: obj.kind, Object: obj.json})
		}
		f.Close()
	}
	return out, nil
}

type decoded struct {
	kind string
	json json.RawMessage
}

// decode reads one document strictly into the type its apiVersion and
// kind name. Only the kinds of ninjaops' examples are known.
func decode(doc []byte) (decoded, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return decoded{}, err
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	default:
		return decoded{}, fmt.Errorf("unexpected object %q %q (known: v1 Secret, apps/v1 Deployment)", meta.APIVersion, meta.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return decoded{}, fmt.Errorf("%s: %w", meta.Kind, err)
	}
	data, err := json.Marshal(obj)
	return decoded{kind: meta.Kind, json: data}, err
}
