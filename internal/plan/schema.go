package plan

// The JSON Schema of the desired-state file (`ninjaops schema`), generated
// from the model's Go types with the same tags the loader reads: yaml tags
// name the keys, jsonschema tags give lengths, ranges and uniqueness, the
// enum types list their values, and the doc comments in desired.go become
// the descriptions. The rules that involve several keys of a user are
// written out below as if/then conditions; the few the schema cannot say
// (duplicate emails across users, roles declared twice, glob syntax) are
// the loader's alone.

import (
	_ "embed"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/invopop/jsonschema"
)

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/ninjaops/ninjaops/schema/ninjaops.schema.json"

// desiredSource is desired.go itself: its doc comments are the schema's
// descriptions, so they are written once, for both readers.
//
//go:embed desired.go
var desiredSource []byte

var htmlEscapes = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// defNames are the names of the schema's $defs.
var defNames = map[reflect.Type]string{
	reflect.TypeFor[Settings](): "settings",
	reflect.TypeFor[Scope]():    "scope",
	roleSpecType:                "role",
	userSpecType:                "user",
}

// JSONSchema returns the JSON Schema (draft 2020-12) of the desired-state
// file, indented, with a final newline. The output is stable: the same
// model gives the same bytes.
func JSONSchema() ([]byte, error) {
	comments, err := goComments()
	if err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		FieldNameTag:   "yaml",
		ExpandedStruct: true,
		Anonymous:      true,
		Namer:          func(t reflect.Type) string { return defNames[t] },
		LookupComment: func(t reflect.Type, field string) string {
			if t.PkgPath() != reflect.TypeFor[Desired]().PkgPath() {
				return ""
			}
			if field != "" {
				return comments[t.Name()+"."+field]
			}
			return typeDescription(t.Name(), comments[t.Name()])
		},
	}
	s := r.Reflect(&Desired{})
	s.ID = SchemaID
	s.Title = "ninjaops desired-state file"
	s.Description = "The NinjaOne users and role memberships that ninjaops manages (ninjaops.yaml). " +
		"Check a file with `ninjaops validate`; see README.md for the meaning of every key."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	// encoding/json escapes <, > and & for HTML; the schema is not HTML,
	// and the patterns read better plain. No text of the schema holds a
	// literal backslash-u sequence, so this undoes only those escapes.
	return []byte(htmlEscapes.Replace(string(b)) + "\n"), nil
}

// goComments reads the doc comments of desired.go: "Type" and
// "Type.Field" to the comment's text as one paragraph. A type's comment
// stops at its first blank line; what follows is for Go readers.
var goComments = sync.OnceValues(func() (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "desired.go", desiredSource, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			if doc != nil {
				text, _, _ := strings.Cut(doc.Text(), "\n\n")
				m[ts.Name.Name] = paragraph(text)
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, fld := range st.Fields.List {
				if fld.Doc == nil {
					continue
				}
				for _, name := range fld.Names {
					m[ts.Name.Name+"."+name.Name] = paragraph(fld.Doc.Text())
				}
			}
		}
	}
	return m, nil
})

func paragraph(s string) string { return strings.Join(strings.Fields(s), " ") }

// typeDescription turns "UserSpec declares one user." into "Declares one
// user." and "Settings are the rules." into "The rules.".
func typeDescription(name, doc string) string {
	rest, ok := strings.CutPrefix(doc, name+" ")
	if !ok {
		return doc
	}
	for _, verb := range []string{"is ", "are "} {
		if r, ok := strings.CutPrefix(rest, verb); ok {
			rest = r
			break
		}
	}
	c, size := utf8.DecodeRuneInString(rest)
	return string(unicode.ToUpper(c)) + rest[size:]
}

func enumSchema(s *jsonschema.Schema, values []string) {
	s.Enum = nil
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
}

// JSONSchemaExtend lists the spellings in the schema.
func (t UserType) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, t.values()) }

// JSONSchemaExtend lists the spellings in the schema.
func (t UserState) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, t.values()) }

// JSONSchemaExtend lists the spellings in the schema.
func (m UnmanagedMode) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, m.values()) }

// JSONSchemaExtend lists the spellings in the schema.
func (m MembershipMode) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, m.values()) }

// JSONSchemaExtend adds the defaults the loader fills in.
func (Settings) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "unmanaged_users").Default = string(UnmanagedReport)
	prop(s, "membership").Default = string(Authoritative)
}

// JSONSchemaExtend adds the domain syntax and the default user types.
func (Scope) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "email_domains").Items.Pattern = domainPattern
	prop(s, "user_types").Default = []string{string(TechnicianUser), string(EndUserUser)}
}

// JSONSchemaExtend adds the email syntax, the state default and the rules
// between a user's keys.
func (UserSpec) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "email").Pattern = emailPattern
	prop(s, "state").Default = string(Present)
	s.AllOf = []*jsonschema.Schema{
		{
			Comments: "An absent user takes only email and state; any other user needs type, first_name and last_name.",
			If:       whenEquals("state", string(Absent)),
			Then:     &jsonschema.Schema{PropertyNames: &jsonschema.Schema{Enum: []any{"email", "state"}}},
			Else:     &jsonschema.Schema{Required: []string{"type", "first_name", "last_name"}},
		},
		{
			Comments: "organization, organization_id, full_portal_access and send_invitation are for end users only.",
			If:       whenEquals("type", string(TechnicianUser)),
			Then: withProps(
				"organization", jsonschema.FalseSchema,
				"organization_id", jsonschema.FalseSchema,
				"full_portal_access", jsonschema.FalseSchema,
				"send_invitation", jsonschema.FalseSchema),
		},
		{
			Comments: "An end user needs organization or organization_id, not both.",
			If:       whenEquals("type", string(EndUserUser)),
			Then: &jsonschema.Schema{OneOf: []*jsonschema.Schema{
				{Required: []string{"organization"}},
				{Required: []string{"organization_id"}},
			}},
		},
	}
}

func prop(s *jsonschema.Schema, key string) *jsonschema.Schema {
	p, ok := s.Properties.Get(key)
	if !ok {
		panic("plan: schema has no property " + key)
	}
	return p
}

// withProps is a schema with the properties key1, schema1, ...
func withProps(kv ...any) *jsonschema.Schema {
	s := &jsonschema.Schema{Properties: jsonschema.NewProperties()}
	for i := 0; i < len(kv); i += 2 {
		s.Properties.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return s
}

// whenEquals is the condition "key is given and equals value".
func whenEquals(key, value string) *jsonschema.Schema {
	s := withProps(key, &jsonschema.Schema{Const: value})
	s.Required = []string{key}
	return s
}
