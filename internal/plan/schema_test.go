package plan

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files (the published schema, renderer and export outputs) from the code")

// schemaFile is the published schema, next to the examples that point at
// it with their yaml-language-server modeline.
const schemaFile = "examples/ninjaops.schema.json"

// TestSchemaGolden keeps the published schema equal to what `ninjaops
// schema` prints, so that a change to it shows in review. Run with -update
// after changing the model.
func TestSchemaGolden(t *testing.T) {
	goldenSchema := filepath.Join(moduleRoot(t), filepath.FromSlash(schemaFile))
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	again, err := JSONSchema()
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("JSONSchema is not stable (%v)", err)
	}
	if *update {
		if err := os.WriteFile(goldenSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenSchema)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("the schema changed (-%s +generated); if that is intended, run\n"+
			"  go test ./internal/plan -run TestSchemaGolden -update\n%s", goldenSchema, diff)
	}
}

// TestSchemaDescribesEveryKey checks that every key of the model has a
// description, i.e. a doc comment in desired.go.
func TestSchemaDescribesEveryKey(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok && !strings.Contains(path, "allOf") {
			for k, p := range props {
				if d, _ := p.(map[string]any)["description"].(string); d == "" {
					t.Errorf("%s.%s has no description: write a doc comment on its field in desired.go", path, k)
				}
			}
		}
		for k, c := range m {
			walk(path+"/"+k, c)
		}
	}
	walk("#", doc)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateYAML checks a YAML document against the schema, as an editor's
// YAML language server does: the YAML becomes plain data first.
func validateYAML(s *jsonschema.Schema, data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("not YAML the schema can see: %w", err)
	}
	return s.Validate(plainData(v))
}

// plainData turns what yaml.v3 decodes into the JSON-like values the
// validator takes.
func plainData(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = plainData(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = plainData(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = plainData(e)
		}
		return v
	case string, bool, int, int64, uint64, float64, nil:
		return v
	}
	return fmt.Sprint(v) // a timestamp: the schema sees it as the string it was written as
}

// moduleRoot finds the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestSchemaAcceptsExamples checks every examples/**/ninjaops*.yaml of the
// repository, and this package's valid test files: the loader loads them
// and the schema accepts them.
func TestSchemaAcceptsExamples(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	examples := filepath.Join(moduleRoot(t), "examples")
	err := filepath.WalkDir(examples, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := filepath.Match("ninjaops*.yaml", e.Name()); ok && !e.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files to check")
	}
	modeline := regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f, examples) {
			// Editors find the schema through the modeline.
			m := modeline.FindSubmatch(data)
			if m == nil {
				t.Errorf("%s has no '# yaml-language-server: $schema=' line", f)
			} else if got, err := filepath.Abs(filepath.Join(filepath.Dir(f), string(m[1]))); err != nil || got != filepath.Join(moduleRoot(t), filepath.FromSlash(schemaFile)) {
				t.Errorf("%s: the modeline points at %s, not at %s", f, m[1], schemaFile)
			}
		}
		if _, err := Load(f, data); err != nil {
			t.Errorf("the loader refuses %s:\n%v", f, err)
		}
		if err := validateYAML(s, data); err != nil {
			t.Errorf("the schema refuses %s:\n%v", f, err)
		}
	}
	t.Logf("checked %d files", len(files))
}

// TestSchemaRejectsWhatLoaderRejects loads invalid files and validates
// them against the schema: the schema must reject each one the loader
// rejects, except the rules a JSON Schema cannot state, which are marked
// loaderOnly and checked to pass the schema (so that the list stays true).
func TestSchemaRejectsWhatLoaderRejects(t *testing.T) {
	s := compileSchema(t)
	user := func(lines ...string) string {
		return "version: 1\nusers:\n  - " + strings.Join(lines, "\n    ") + "\n"
	}
	tech := func(lines ...string) string {
		return user(append([]string{"email: a@x.example", "type: technician", "first_name: A", "last_name: B"}, lines...)...)
	}
	tests := []struct {
		name       string
		src        string
		loaderOnly string // why the schema cannot say it; "" if it can
	}{
		{"unknown top-level key", "version: 1\nverison: 1\n", ""},
		{"unknown settings key", "version: 1\nsettings:\n  membershp: additive\n", ""},
		{"unknown user key", tech("firstname: A"), ""},
		{"missing version", "users: []\n", ""},
		{"version 2", "version: 2\n", ""},
		{"version as a string", "version: \"1\"\n", ""},
		{"empty file", "", ""},
		{"settings a list", "version: 1\nsettings: []\n", ""},
		{"users null", "version: 1\nusers:\n", ""},
		{"roles a string", tech("roles: Helpdesk"), ""},
		{"roles null", tech("roles:"), ""},
		{"max_deletions a string", "version: 1\nsettings:\n  max_deletions: many\n", ""},
		{"max_deletions negative", "version: 1\nsettings:\n  max_deletions: -1\n", ""},
		{"max_removal_percent over 100", "version: 1\nsettings:\n  max_removal_percent: 101\n", ""},
		{"first_name a number", user("email: a@x.example", "type: technician", "first_name: 123", "last_name: B"), ""},
		{"exclusive yes", "version: 1\nroles:\n  - {name: R, type: technician, exclusive: yes}\n", ""},
		{"bad user type", user("email: a@x.example", "type: admin", "first_name: A", "last_name: B"), ""},
		{"bad state", user("email: a@x.example", "state: gone"), ""},
		{"bad unmanaged_users", "version: 1\nsettings:\n  unmanaged_users: sometimes\n", ""},
		{"bad membership", "version: 1\nsettings:\n  membership: strict\n", ""},
		{"bad scope user type", "version: 1\nsettings:\n  scope:\n    user_types: [admin]\n", ""},
		{"user type listed twice in scope", "version: 1\nsettings:\n  scope:\n    user_types: [end_user, end_user]\n", ""},
		{"bad role type", "version: 1\nroles:\n  - {name: R, type: admin}\n", ""},
		{"role without name", "version: 1\nroles:\n  - {type: technician}\n", ""},
		{"user without email", "version: 1\nusers:\n  - {state: absent}\n", ""},
		{"present user without type", user("email: a@x.example", "first_name: A", "last_name: B"), ""},
		{"present user without last_name", user("email: a@x.example", "type: technician", "first_name: A"), ""},
		{"empty first_name", user("email: a@x.example", "type: technician", "first_name: \"\"", "last_name: B"), ""},
		{"last_name of 151 characters", user("email: a@x.example", "type: technician", "first_name: A", "last_name: "+strings.Repeat("é", 151)), ""},
		{"email without @", user("email: bob", "state: absent"), ""},
		{"email with a display name", user("email: \"Bob <bob@x.example>\"", "state: absent"), ""},
		{"email with a trailing space", user("email: \"bob@x.example \"", "state: absent"), ""},
		{"email domain without a dot", user("email: bob@localhost", "state: absent"), ""},
		{"email domain with @", "version: 1\nsettings:\n  scope:\n    email_domains: [\"@example.com\"]\n", ""},
		{"end user without organization", user("email: a@x.example", "type: end_user", "first_name: A", "last_name: B"), ""},
		{"end user with both organizations", user("email: a@x.example", "type: end_user", "first_name: A", "last_name: B", "organization: Acme", "organization_id: 3"), ""},
		{"organization_id 0", user("email: a@x.example", "type: end_user", "first_name: A", "last_name: B", "organization_id: 0"), ""},
		{"technician with organization", tech("organization: Acme"), ""},
		{"technician with full_portal_access", tech("full_portal_access: true"), ""},
		{"technician with send_invitation", tech("send_invitation: false"), ""},
		{"role listed twice for a user", tech("roles: [R, S, R]"), ""},
		{"absent user with a name", user("email: a@x.example", "state: absent", "first_name: A"), ""},

		{"duplicate email", "version: 1\nusers:\n  - {email: a@x.example, state: absent}\n  - {email: A@x.example, state: absent}\n",
			"uniqueness of one key across the items of a list (in any case)"},
		{"role declared twice", "version: 1\nroles:\n  - {name: R, type: technician}\n  - {name: R, type: technician, exclusive: true}\n",
			"uniqueness of a pair of keys across the items of a list"},
		{"bad protected pattern", "version: 1\nsettings:\n  protected: [\"[a-\"]\n",
			"glob syntax is not a regular language the pattern keyword can check"},
		{"duplicate key", "version: 1\nversion: 1\n",
			"YAML-level: the data the schema sees has each key once"},
		{"anchors and aliases", "version: 1\nroles:\n  - &r {name: R, type: technician}\n  - *r\n",
			"YAML-level: aliases are expanded before a schema sees the data"},
		{"two documents", "version: 1\n---\nversion: 1\n",
			"YAML-level: a schema sees one document"},
		{"version 1.0", "version: 1.0\n",
			"JSON Schema counts 1.0 as the integer 1; the loader wants the integer written as one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load("f.yaml", []byte(tt.src)); err == nil {
				t.Fatalf("the loader accepts it:\n%s", tt.src)
			}
			err := validateYAML(s, []byte(tt.src))
			switch {
			case tt.loaderOnly == "" && err == nil:
				t.Errorf("the schema accepts what the loader rejects:\n%s", tt.src)
			case tt.loaderOnly != "" && err == nil:
			case tt.loaderOnly != "" && !strings.Contains(err.Error(), "not YAML the schema can see"):
				t.Errorf("marked loader-only (%s) but the schema rejects it: move it up\n%v", tt.loaderOnly, err)
			}
		})
	}
}
