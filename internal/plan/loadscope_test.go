package plan

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scopeCases are files whose users settings.scope may leave out. want is
// what Load says (nil: the file loads); diffToo lists the emails only the
// diff can find outside the scope, with a tenant read (the organization
// behind an organization_id, the type of a live user the file deletes).
var scopeCases = []struct {
	name    string
	src     string
	want    []string
	diffToo []string
}{
	{
		name: "a domain outside email_domains",
		src: `version: 1
settings:
  scope: {email_domains: [example.com]}
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith}
  - {email: bob@customer.example, type: end_user, first_name: Bob, last_name: Jones, organization: Customer Inc}
`,
		want: []string{`f.yaml:6:13: user "bob@customer.example" is outside settings.scope (domain "customer.example" is not in email_domains); widen the scope or remove the entry`},
	},
	{
		name: "domains compare case-insensitively and in both spellings",
		src: `version: 1
settings:
  scope: {email_domains: [Example.COM, xn--bcher-kva.example]}
users:
  - {email: Alice@EXAMPLE.com, type: technician, first_name: Alice, last_name: Smith}
  - {email: ana@bücher.example, type: technician, first_name: Ana, last_name: Lima}
`,
	},
	{
		name: "a subdomain is another domain",
		src: `version: 1
settings:
  scope: {email_domains: [example.com]}
users:
  - {email: x@sub.example.com, type: technician, first_name: X, last_name: Y}
`,
		want: []string{`f.yaml:5:13: user "x@sub.example.com" is outside settings.scope (domain "sub.example.com" is not in email_domains); widen the scope or remove the entry`},
	},
	{
		name: "a user type outside user_types",
		src: `version: 1
settings:
  scope: {user_types: [end_user]}
users:
  - email: alice@example.com
    type: technician
    first_name: Alice
    last_name: Smith
`,
		want: []string{`f.yaml:6:11: user "alice@example.com" is outside settings.scope (type technician is not in user_types); widen the scope or remove the entry`},
	},
	{
		name: "an organization named outside organizations, and a likely misspelling",
		src: `version: 1
settings:
  scope: {organizations: [Acme]}
users:
  - email: bob@customer.example
    type: end_user
    first_name: Bob
    last_name: Jones
    organization: Customer Inc
  - email: erin@acme.example
    type: end_user
    first_name: Erin
    last_name: Stone
    organization: acme
  - email: alice@example.com
    type: technician
    first_name: Alice
    last_name: Smith
`,
		want: []string{
			`f.yaml:9:19: user "bob@customer.example" is outside settings.scope (organization "Customer Inc" is not in organizations); widen the scope or remove the entry`,
			`f.yaml:14:19: user "erin@acme.example" is outside settings.scope (organization "acme" is not in organizations; did you mean "Acme"? organization names are compared exactly); widen the scope or remove the entry`,
		},
	},
	{
		name: "outside in two ways: both, each at its place",
		src: `version: 1
settings:
  scope: {user_types: [technician], email_domains: [example.com], organizations: [Acme]}
users:
  - email: bob@customer.example
    type: end_user
    first_name: Bob
    last_name: Jones
    organization: Customer Inc
`,
		want: []string{
			`f.yaml:5:12: user "bob@customer.example" is outside settings.scope (domain "customer.example" is not in email_domains); widen the scope or remove the entry`,
			`f.yaml:6:11: user "bob@customer.example" is outside settings.scope (type end_user is not in user_types); widen the scope or remove the entry`,
			`f.yaml:9:19: user "bob@customer.example" is outside settings.scope (organization "Customer Inc" is not in organizations); widen the scope or remove the entry`,
		},
	},
	{
		name: "an absent user: its domain is checked, its type is NinjaOne's",
		src: `version: 1
settings:
  scope: {user_types: [end_user], email_domains: [example.com, acme.example]}
users:
  - {email: gone@elsewhere.example, state: absent}
  - {email: alice@example.com, state: absent}
`,
		want:    []string{`f.yaml:5:13: user "gone@elsewhere.example" is outside settings.scope (domain "elsewhere.example" is not in email_domains); widen the scope or remove the entry`},
		diffToo: []string{"alice@example.com"},
	},
	{
		name: "an organization_id is NinjaOne's to resolve",
		src: `version: 1
settings:
  scope: {organizations: [Acme]}
users:
  - {email: bob@customer.example, type: end_user, first_name: Bob, last_name: Jones, organization_id: 2}
`,
		diffToo: []string{"bob@customer.example"},
	},
	{
		name: "an invalid scope entry has its own error, and its axis is not checked",
		src: `version: 1
settings:
  scope: {email_domains: ["@example.com"], user_types: [technician, admin]}
users:
  - {email: bob@customer.example, type: end_user, first_name: Bob, last_name: Jones, organization: Customer Inc}
`,
		want: []string{
			`f.yaml:3:27: email_domains[0] "@example.com" is not a domain: write it without the @, e.g. example.com`,
			`f.yaml:3:69: user_types[1] "admin" is not valid: use technician or end_user`,
		},
	},
	{
		name: "users within the scope",
		src: `version: 1
settings:
  scope:
    user_types: [technician, end_user]
    email_domains: [example.com, customer.example]
    organizations: [Acme, Customer Inc]
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith}
  - {email: bob@customer.example, type: end_user, first_name: Bob, last_name: Jones, organization: Customer Inc}
  - {email: mallory@example.com, state: absent}
`,
	},
}

// TestLoadScope: validate refuses, at their places, the users that
// settings.scope leaves out, as far as the file tells.
func TestLoadScope(t *testing.T) {
	for _, tt := range scopeCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadEveryWay(t, "f.yaml", []byte(tt.src))
			var got []string
			var ds Diagnostics
			if errors.As(err, &ds) {
				for _, d := range ds {
					got = append(got, d.String())
				}
			} else if err != nil {
				t.Fatalf("error %T: %v", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

var (
	outsideRE = regexp.MustCompile(`user "([^"]+)" is outside settings\.scope`)
	anyUserRE = regexp.MustCompile(`user "([^"]+)"`)
)

// emailsIn are the users err names with re.
func emailsIn(re *regexp.Regexp, err error) []string {
	var out []string
	if err == nil {
		return nil
	}
	for _, m := range re.FindAllStringSubmatch(err.Error(), -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestLoadScopeAgreesWithDiff: the loader refuses no user that the diff
// would accept (the diff may refuse it for another reason: an
// organization misspelt is also unknown in NinjaOne), and misses none
// that the diff finds outside the scope without needing NinjaOne. So a
// file validate passes is not refused by plan for its scope, except for
// what only the tenant tells.
func TestLoadScopeAgreesWithDiff(t *testing.T) {
	for _, tt := range scopeCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load("f.yaml", []byte(tt.src), loadOptions{})
			byLoader := emailsIn(outsideRE, err)
			d, err := load("f.yaml", []byte(tt.src), loadOptions{noScope: true})
			if err != nil {
				if strings.Contains(err.Error(), "outside settings.scope") {
					t.Fatalf("noScope still checks the scope: %v", err)
				}
				return // an invalid file: nothing to diff
			}
			_, err = Diff(d, baseSnapshot())
			refused := emailsIn(anyUserRE, err)
			for _, e := range byLoader {
				if !slices.Contains(refused, e) {
					t.Errorf("the loader refuses %s, which the diff accepts (%v)", e, err)
				}
			}
			for _, e := range emailsIn(outsideRE, err) {
				if !slices.Contains(byLoader, e) && !slices.Contains(tt.diffToo, e) {
					t.Errorf("the diff finds %s outside the scope, and the loader does not: %v", e, err)
				}
			}
			for _, e := range tt.diffToo {
				if !slices.Contains(emailsIn(outsideRE, err), e) {
					t.Errorf("the diff does not find %s outside the scope: %v", e, err)
				}
			}
		})
	}
}
