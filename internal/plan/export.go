package plan

// Export writes the live tenant as a desired-state file: what a team runs
// once to adopt ninjaops on an existing tenant. The file it writes is the
// fixed point of Diff: planned against the same snapshot it shows no
// changes. Everything here serves that promise and the other one, that
// the same snapshot always gives the same bytes.

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// ExportOptions select what Export writes. The filters become the file's
// settings.scope, so the file governs exactly the users it lists.
type ExportOptions struct {
	// UserTypes, EmailDomains and Organizations (end users' organization
	// names) filter the users as settings.scope does; empty: no filter.
	UserTypes     []UserType
	EmailDomains  []string
	Organizations []string

	// Source says where the snapshot was read from (a host name, never a
	// URL with credentials), for the header comment.
	Source string
	// Time is when the snapshot was read, for the header comment; the
	// zero time leaves the time out.
	Time time.Time
	// SchemaURL, when set, is written as a yaml-language-server modeline
	// so editors complete and check the file.
	SchemaURL string

	// Warn, when set, receives one line for each user the file cannot
	// express fully (left out, or with its roles not managed).
	Warn func(msg string)
}

// exportTimeLayout is the header's time format: UTC, to the second, so the
// header of the same moment reads the same everywhere.
const exportTimeLayout = "2006-01-02T15:04:05Z"

// exportedAt finds the time in an exported file's header.
var exportedAt = regexp.MustCompile(`(?m)^# Exported by ninjaops export from .* at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\.$`)

// ExportTime reports the time in the header of a file Export wrote, so a
// caller can re-export with the same time and find out whether anything
// but the time would change.
func ExportTime(data []byte) (time.Time, bool) {
	// The header is at the top; do not scan a 20 MB file for it.
	head := data[:min(len(data), 4096)]
	m := exportedAt.FindSubmatch(head)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(exportTimeLayout, string(m[1]))
	return t, err == nil
}

// Export renders live as a ninjaops.yaml that reproduces it: version 1,
// unmanaged_users report, membership authoritative, a scope matching the
// filters, and every user in scope sorted by lower-cased email with its
// type, names, phone, organization (by name when the name is unique, else
// by id), portal access and complete, sorted list of roles.
//
// Live data the format cannot express is left out, with a comment in the
// file and a call to opts.Warn: users who share an email (the file
// identifies users by email), users whose email or names the loader would
// refuse, end users whose organization is unknown. A user holding a role
// whose name is ambiguous keeps its entry but without a roles list, so its
// roles are not managed. Planning the file against the same tenant then
// shows no changes; the users left out are reported as unmanaged.
func Export(live *ninjaone.Snapshot, opts ExportOptions) ([]byte, error) {
	if live == nil {
		live = &ninjaone.Snapshot{}
	}
	x, err := newExporter(live, opts)
	if err != nil {
		return nil, err
	}
	return x.render()
}

// exportedUser is one live user on its way into the file.
type exportedUser struct {
	u     *ninjaone.User
	key   string   // lower-cased email
	roles []string // nil: roles not exported
	notes []string // head comments
}

type exporter struct {
	live *ninjaone.Snapshot
	opts ExportOptions

	types   map[UserType]bool
	domains map[string]bool
	orgs    map[int32]bool

	orgByID   map[int32]*ninjaone.Organization
	orgByName map[string]int // name -> organizations of that name

	users   []exportedUser
	leftOut []string // comment lines for users not written

	nodes map[string]*yaml.Node // see shared
}

func newExporter(live *ninjaone.Snapshot, opts ExportOptions) (*exporter, error) {
	x := &exporter{live: live, opts: opts, nodes: make(map[string]*yaml.Node)}
	x.orgByID = make(map[int32]*ninjaone.Organization, len(live.Organizations))
	x.orgByName = make(map[string]int, len(live.Organizations))
	for i := range live.Organizations {
		o := &live.Organizations[i]
		x.orgByID[o.ID] = o
		x.orgByName[o.Name]++
	}

	// The filters, normalized the way the file spells them.
	var problems []string
	x.opts.UserTypes = sortedUnique(opts.UserTypes)
	for _, t := range x.opts.UserTypes {
		if t != TechnicianUser && t != EndUserUser {
			problems = append(problems, fmt.Sprintf("user type %q: want technician or end_user", t))
		}
	}
	domains := make([]string, len(opts.EmailDomains))
	for i, d := range opts.EmailDomains {
		domains[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if msg := checkDomain(domains[i]); msg != "" {
			problems = append(problems, fmt.Sprintf("email domain %q %s", d, msg))
		}
	}
	x.opts.EmailDomains = sortedUnique(domains)
	for _, o := range opts.Organizations {
		if r, bad := anyValue.refusedRune(o); bad {
			problems = append(problems, fmt.Sprintf("organization %s %s, which the file refuses", quote(o), strings.TrimSuffix(refusal(r), "; remove it")))
		}
	}
	x.opts.Organizations = sortedUnique(opts.Organizations)
	if len(x.opts.Organizations) > 0 {
		x.orgs = make(map[int32]bool)
		for _, name := range x.opts.Organizations {
			ids := x.orgIDs(name)
			switch len(ids) {
			case 0:
				problems = append(problems, fmt.Sprintf("unknown organization %q (%s)", name, x.orgList()))
			case 1:
				x.orgs[ids[0]] = true
			default:
				problems = append(problems, fmt.Sprintf("organization name %q is ambiguous: organizations %s share it; rename one in NinjaOne to export by it",
					name, joinIDs(ids)))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("export: %s", strings.Join(problems, "; "))
	}
	if len(x.opts.UserTypes) > 0 {
		x.types = make(map[UserType]bool)
		for _, t := range x.opts.UserTypes {
			x.types[t] = true
		}
	}
	if len(x.opts.EmailDomains) > 0 {
		x.domains = make(map[string]bool)
		for _, d := range x.opts.EmailDomains {
			x.domains[emailaddr.Domain(d)] = true
		}
	}
	x.collect()
	return x, nil
}

func (x *exporter) orgIDs(name string) []int32 {
	var ids []int32
	if x.orgByName[name] == 0 {
		return nil
	}
	for i := range x.live.Organizations {
		if o := &x.live.Organizations[i]; o.Name == name {
			ids = append(ids, o.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (x *exporter) orgList() string {
	if len(x.live.Organizations) == 0 {
		return "no organizations exist in NinjaOne"
	}
	names := make([]string, 0, len(x.orgByName))
	for n := range x.orgByName {
		names = append(names, n)
	}
	return "organizations: " + quoteList(names)
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}

// inScope mirrors the diff's scope test, so the file lists exactly the
// users its own scope governs.
func (x *exporter) inScope(u *ninjaone.User) bool {
	t := FromAPI(u.UserType)
	if x.types != nil && !x.types[t] {
		return false
	}
	if x.domains != nil && !x.domains[domainOf(u.Email)] {
		return false
	}
	if x.orgs != nil && t == EndUserUser && !x.orgs[u.OrganizationID] {
		return false
	}
	return true
}

func (x *exporter) warn(format string, args ...any) {
	if x.opts.Warn != nil {
		x.opts.Warn(fmt.Sprintf(format, args...))
	}
}

// collect picks the users in scope, their roles, and what cannot be said.
func (x *exporter) collect() {
	var all []*ninjaone.User
	byEmail := make(map[string]int)
	for _, list := range [][]ninjaone.User{x.live.Technicians, x.live.EndUsers} {
		for i := range list {
			u := &list[i]
			byEmail[emailaddr.Key(u.Email)]++
			all = append(all, u)
		}
	}
	slices.SortStableFunc(all, func(a, b *ninjaone.User) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)), cmp.Compare(a.ID, b.ID))
	})

	// Role names per type, to spot names two roles of one type share: the
	// file names roles, so such a role cannot be written.
	type roleKey struct {
		t    ninjaone.UserType
		name string
	}
	sameName := make(map[roleKey]int, len(x.live.Roles))
	for i := range x.live.Roles {
		r := &x.live.Roles[i]
		sameName[roleKey{r.Type, r.Name}]++
	}
	// A role NinjaOne listed without its members may hold any user of its
	// type, so no user of that type has a complete list of roles to write:
	// their roles are left out (not managed) rather than written wrongly.
	unknownRole := make(map[ninjaone.UserType]*ninjaone.Role)
	for i := range x.live.Roles {
		if r := &x.live.Roles[i]; r.MembersUnknown && unknownRole[r.Type] == nil {
			unknownRole[r.Type] = r
			x.warn("role %q (id %d) was listed without its members, so who holds it is unknown: the roles of every %s are left out, so the file does not manage them", r.Name, r.ID, FromAPI(r.Type))
		}
	}
	memberOf := make(map[int32][]int, len(all))
	for i := range x.live.Roles {
		for _, m := range x.live.Roles[i].Members {
			if ri := memberOf[m.ID]; len(ri) == 0 || ri[len(ri)-1] != i {
				memberOf[m.ID] = append(ri, i)
			}
		}
	}

	x.users = make([]exportedUser, 0, len(all))
	for _, u := range all {
		if !x.inScope(u) {
			continue
		}
		k := emailaddr.Key(u.Email)
		if why := x.inexpressible(u, byEmail[k]); why != "" {
			x.warn("%s id %d (%q) left out: %s", FromAPI(u.UserType), u.ID, u.Email, why)
			x.leftOut = append(x.leftOut, fmt.Sprintf("%s id %d (%q): %s", FromAPI(u.UserType), u.ID, u.Email, why))
			continue
		}
		eu := exportedUser{u: u, key: k}
		if u.Administrator {
			eu.notes = append(eu.notes, "System Administrator: plan and apply never change this user.")
		}
		if u.ScimUser {
			eu.notes = append(eu.notes, "Provisioned by SCIM: the identity provider may revert changes made here.")
		}
		if !u.Enabled {
			// The format has no enabled flag; a reviewer should still know.
			eu.notes = append(eu.notes, "Disabled in NinjaOne.")
		}

		// The user's roles, of its own type; a role the file cannot name
		// means its roles are not managed at all rather than wrongly.
		roles := make([]string, 0, len(memberOf[u.ID]))
		var problem string
		if r := unknownRole[u.UserType]; r != nil {
			// Warned about once, above.
			eu.notes = append(eu.notes, fmt.Sprintf("Roles left out, so not managed: role %q (id %d) was listed without its members.", r.Name, r.ID))
			x.users = append(x.users, eu)
			continue
		}
		for _, ri := range memberOf[u.ID] {
			r := &x.live.Roles[ri]
			switch {
			case r.Type != u.UserType:
				problem = fmt.Sprintf("it is a member of %s role %q (id %d)", FromAPI(r.Type), r.Name, r.ID)
			case r.Name == "":
				problem = fmt.Sprintf("role id %d has no name", r.ID)
			case refusedBy(anyValue, r.Name):
				rr, _ := anyValue.refusedRune(r.Name)
				problem = fmt.Sprintf("the name of role id %d %s, which the file refuses", r.ID, strings.TrimSuffix(refusal(rr), "; remove it"))
			case sameName[roleKey{r.Type, r.Name}] > 1:
				problem = fmt.Sprintf("%d %s roles are named %q", sameName[roleKey{r.Type, r.Name}], FromAPI(r.Type), r.Name)
			default:
				roles = append(roles, r.Name)
			}
		}
		if problem != "" {
			x.warn("%s id %d (%q): roles left out, so the file does not manage them: %s", FromAPI(u.UserType), u.ID, u.Email, problem)
			eu.notes = append(eu.notes, "Roles left out, so not managed: "+problem+".")
		} else {
			slices.Sort(roles)
			eu.roles = slices.Compact(roles)
		}
		x.users = append(x.users, eu)
	}
}

// inexpressible says why u cannot be written as an entry the loader
// accepts and the diff matches to u alone, or "" if it can.
func (x *exporter) inexpressible(u *ninjaone.User, sharing int) string {
	if sharing > 1 {
		return fmt.Sprintf("%d users share this email (compared case-insensitively) and the file identifies users by email; delete or rename all but one in NinjaOne", sharing)
	}
	if r, bad := addressValue.refusedRune(u.Email); bad {
		return "the email " + strings.TrimSuffix(refusal(r), "; remove it") + ", which the file refuses"
	}
	if msg := checkEmail(u.Email); msg != "" {
		return "the email " + msg
	}
	// NinjaOne sets no limit on an email's length; the file does.
	if c := utf8.RuneCountInString(u.Email); c > maxEmailLength {
		return fmt.Sprintf("the email is %d characters long, over the file's limit of %d", c, maxEmailLength)
	}
	for _, n := range []struct{ key, v string }{{"first_name", u.FirstName}, {"last_name", u.LastName}, {"phone", u.Phone}} {
		if r, bad := anyValue.refusedRune(n.v); bad {
			return fmt.Sprintf("%s %s, which the file refuses", n.key, strings.TrimSuffix(refusal(r), "; remove it"))
		}
		if n.key == "phone" {
			continue
		}
		switch c := utf8.RuneCountInString(n.v); {
		case c == 0:
			return n.key + " is empty in NinjaOne and the file requires one"
		case c > maxNameLength:
			return fmt.Sprintf("%s is %d characters long, over the file's limit of %d", n.key, c, maxNameLength)
		}
	}
	t := FromAPI(u.UserType)
	switch t {
	case TechnicianUser:
	case EndUserUser:
		if u.OrganizationID <= 0 {
			return "the end user has no organization"
		}
		if x.live.Organizations != nil && x.orgByID[u.OrganizationID] == nil {
			return fmt.Sprintf("organization id %d is not among the organizations NinjaOne lists", u.OrganizationID)
		}
	default:
		return fmt.Sprintf("unknown user type %q", u.UserType)
	}
	return ""
}

// The loader's limits (the jsonschema tags of UserSpec) on first and last
// names and on emails.
const (
	maxNameLength  = 150
	maxEmailLength = 254
)

// render writes the header and the document.
func (x *exporter) render() ([]byte, error) {
	var b bytes.Buffer
	if x.opts.SchemaURL != "" {
		fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", oneLineComment(x.opts.SchemaURL))
	}
	src := oneLineComment(cmp.Or(x.opts.Source, "NinjaOne"))
	if x.opts.Time.IsZero() {
		fmt.Fprintf(&b, "# Exported by ninjaops export from %s.\n", src)
	} else {
		fmt.Fprintf(&b, "# Exported by ninjaops export from %s at %s.\n", src, x.opts.Time.UTC().Format(exportTimeLayout))
	}
	b.WriteString("# Planned against that tenant it shows no changes.")
	if x.opts.SchemaURL != "" {
		b.WriteString(" Editor support: ninjaops schema > ninjaops.schema.json")
	}
	b.WriteString("\n\n")

	if err := encodeYAML(&b, x.document(), ""); err != nil {
		return nil, err
	}
	if len(x.leftOut) > 0 {
		lines := []string{fmt.Sprintf("Left out (%d): the file cannot express these users; plan reports them as unmanaged.", len(x.leftOut))}
		for _, l := range x.leftOut {
			lines = append(lines, "  "+l)
		}
		b.WriteString(commentLines(lines))
		b.WriteByte('\n')
	}
	if len(x.users) == 0 {
		b.WriteString("users: []\n")
		return b.Bytes(), nil
	}
	// yaml.v3's emitter keeps every event of a document until the end, so
	// one document of 100,000 users takes seconds and hundreds of MB. The
	// users go out in batches, each a list of its own, indented under
	// users: (uniform indentation keeps YAML's meaning).
	b.WriteString("users:\n")
	batch := make([]*yaml.Node, 0, exportBatch)
	for i := 0; i < len(x.users); i += exportBatch {
		batch = batch[:0]
		for j := i; j < min(i+exportBatch, len(x.users)); j++ {
			batch = append(batch, x.user(&x.users[j]))
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Content: batch}
		if err := encodeYAML(&b, &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{list}}, "  "); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// exportBatch is how many users are encoded at a time; a variable so a
// test can check the batching does not change a byte.
var exportBatch = 100

// encodeYAML appends doc to b with two-space indentation, each line
// prefixed with indent.
func encodeYAML(b *bytes.Buffer, doc *yaml.Node, indent string) error {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export: encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("export: encoding YAML: %w", err)
	}
	if indent == "" {
		b.Write(out.Bytes())
		return nil
	}
	for line := range bytes.Lines(out.Bytes()) {
		if len(line) > 1 {
			b.WriteString(indent)
		}
		b.Write(line)
	}
	return nil
}

// oneLineComment keeps a value from breaking out of its comment line.
func oneLineComment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// document is the file without its users, which render adds.
func (x *exporter) document() *yaml.Node {
	settings := mapping(
		"unmanaged_users", plain(string(UnmanagedReport)),
		"scope", x.scope(),
		"membership", plain(string(Authoritative)),
	)
	root := mapping(
		"version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
		"settings", settings,
	)
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

// scope always names the user types, so a reader sees what the file
// governs without knowing the defaults.
func (x *exporter) scope() *yaml.Node {
	types := x.opts.UserTypes
	if len(types) == 0 {
		types = []UserType{TechnicianUser, EndUserUser}
	}
	ts := make([]string, len(types))
	for i, t := range types {
		ts[i] = string(t)
	}
	n := mapping("user_types", flowList(ts))
	if len(x.opts.EmailDomains) > 0 {
		n.Content = append(n.Content, plain("email_domains"), flowList(x.opts.EmailDomains))
	}
	if len(x.opts.Organizations) > 0 {
		n.Content = append(n.Content, plain("organizations"), flowList(x.opts.Organizations))
	}
	return n
}

func (x *exporter) user(eu *exportedUser) *yaml.Node {
	u := eu.u
	t := FromAPI(u.UserType)
	n := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, 16)}
	add := func(key string, v *yaml.Node) { n.Content = append(n.Content, x.shared(key), v) }
	add("email", str(u.Email))
	add("type", x.shared(string(t)))
	add("first_name", str(u.FirstName))
	add("last_name", str(u.LastName))
	if u.Phone != "" {
		add("phone", str(u.Phone))
	}
	if t == EndUserUser {
		// By name when the name says which organization and the file
		// can hold it; else by id.
		if o := x.orgByID[u.OrganizationID]; o != nil && o.Name != "" && x.orgByName[o.Name] == 1 && !refusedBy(anyValue, o.Name) {
			add("organization", x.shared(o.Name))
		} else {
			add("organization_id", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(int(u.OrganizationID))})
		}
		add("full_portal_access", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(u.FullPortalAccess)})
	}
	if eu.roles != nil {
		// Always written, [] included: the export is authoritative.
		roles := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: make([]*yaml.Node, len(eu.roles))}
		for i, r := range eu.roles {
			roles.Content[i] = x.shared(r)
		}
		add("roles", roles)
	}
	if len(eu.notes) > 0 {
		n.HeadComment = commentLines(eu.notes)
	}
	return n
}

// shared is str(s) for strings that recur from user to user (keys, types,
// role and organization names): one node serves every occurrence, which
// the encoder allows, sparing 100,000-user exports a million allocations.
func (x *exporter) shared(s string) *yaml.Node {
	n, ok := x.nodes[s]
	if !ok {
		n = str(s)
		x.nodes[s] = n
	}
	return n
}

func commentLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("# ")
		b.WriteString(oneLineComment(l))
	}
	return b.String()
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, len(kv)+6)}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, plain(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

// plain is a scalar known to need no quotes: keys and enum values.
func plain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: make([]*yaml.Node, len(items))}
	for i, s := range items {
		n.Content[i] = str(s)
	}
	return n
}

// str is a string from the tenant: plain when that is unmistakably a
// string to every YAML reader (YAML 1.1 ones included, which read yes and
// on as booleans), double-quoted otherwise. Double quotes escape anything,
// so names with quotes, colons, #, leading spaces, line breaks or control
// characters come back exactly, and stay on one line.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !plainSafe(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// plainSafe: a letter first, then letters, digits, spaces and a few
// punctuation marks that mean nothing to YAML inside a plain scalar, in
// block and flow context alike; no trailing space; and not a word that
// some YAML reader resolves to a boolean or null.
func plainSafe(s string) bool {
	if s == "" || strings.HasSuffix(s, " ") {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i == 0:
			return false
		case unicode.IsDigit(r) || unicode.IsMark(r):
		case r == ' ' || r == '.' || r == '-' || r == '_' || r == '@' || r == '+' || r == '\'' || r == '/' || r == '&' || r == '(' || r == ')':
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return false
	}
	// Whatever yaml.v3 itself would resolve to something else.
	probe := yaml.Node{Kind: yaml.ScalarNode, Value: s}
	return probe.ShortTag() == "!!str"
}

func sortedUnique[T cmp.Ordered](in []T) []T {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
