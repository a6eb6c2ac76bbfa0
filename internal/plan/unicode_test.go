package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Input that looks right but is not: refused where it can only mislead,
// in every loading mode, at its place in the file.
func TestLoadRefusesDeceptiveCharacters(t *testing.T) {
	user := func(fields string) string {
		return "version: 1\nusers:\n  - {" + fields + "}\n"
	}
	const names = `type: technician, first_name: A, last_name: B`
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"zero width space in an email", user(`email: "alice\u200b@example.com", ` + names), []string{
			`f.yaml:3:13: email "alice\u200b@example.com" holds U+200B ZERO WIDTH SPACE, an invisible character; remove it`,
		}},
		{"right-to-left override in an email, raw", user("email: \"moc.elpmaxe\u202e@alice\", " + names), []string{
			`f.yaml:3:13: email "moc.elpmaxe\u202e@alice" holds U+202E RIGHT-TO-LEFT OVERRIDE, a character that reorders the text around it; remove it`,
		}},
		{"a C1 control in an email, as an escape", user(`email: "alice\u009b@example.com", ` + names), []string{
			`f.yaml:3:13: email "alice\u009b@example.com" holds U+009B CONTROL SEQUENCE INTRODUCER, a control character; remove it`,
		}},
		{"a no-break space in an email", user(`email: "alice\u00a0@example.com", ` + names), []string{
			`f.yaml:3:13: email "alice\u00a0@example.com" holds U+00A0 NO-BREAK SPACE, a space character other than the plain space; remove it`,
		}},
		{"a soft hyphen in an email's domain", user(`email: "alice@exam\u00adple.com", ` + names), []string{
			`f.yaml:3:13: email "alice@exam\u00adple.com" holds U+00AD SOFT HYPHEN, an invisible character; remove it`,
		}},
		{`\0, \e and \a in names, like raw control characters`,
			user(`email: a@example.com, type: technician, first_name: "Bob\0", last_name: "\e[31mRed"`) +
				"  - {email: b@example.com, type: technician, first_name: \"Ding\\a\", last_name: \"x\\x7f\"}\n", []string{
				`f.yaml:3:58: first_name "Bob\x00" holds U+0000 NULL, a control character; remove it`,
				`f.yaml:3:78: last_name "\x1b[31mRed" holds U+001B ESCAPE, a control character; remove it`,
				`f.yaml:4:58: first_name "Ding\a" holds U+0007 BELL, a control character; remove it`,
				`f.yaml:4:79: last_name "x\x7f" holds U+007F DELETE, a control character; remove it`,
			}},
		{"a bidi override in a name", user(`email: a@example.com, type: technician, first_name: "evil\u202Egnp.exe", last_name: B`), []string{
			`f.yaml:3:58: first_name "evil\u202egnp.exe" holds U+202E RIGHT-TO-LEFT OVERRIDE, a character that reorders the text around it; remove it`,
		}},
		{"invisible characters in scope and protected patterns", "version: 1\nsettings:\n  scope: {email_domains: [\"exa\\u200dmple.com\"]}\n  protected: [\"*@vendor\\u2060.example\"]\n", []string{
			`f.yaml:3:27: email_domains[0] "exa\u200dmple.com" holds U+200D ZERO WIDTH JOINER, an invisible character; remove it`,
			`f.yaml:4:15: protected[0] "*@vendor\u2060.example" holds U+2060 WORD JOINER, an invisible character; remove it`,
		}},
		{"a control character in a role name", "version: 1\nroles:\n  - {name: \"Help\\x1bdesk\", type: technician}\n", []string{
			`f.yaml:3:12: name "Help\x1bdesk" holds U+001B ESCAPE, a control character; remove it`,
		}},
		{"a domain's Unicode and punycode spellings are one address", "version: 1\nusers:\n" +
			"  - {email: x@bücher.example, state: absent}\n  - {email: X@XN--BCHER-KVA.example, state: absent}\n", []string{
			`f.yaml:4:13: duplicate email "X@XN--BCHER-KVA.example" (emails are compared case-insensitively, and a domain's Unicode and punycode spellings are the same domain): first listed at line 3 as "x@bücher.example"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadEveryWay(t, "f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("loaded, want errors:\n%s", strings.Join(tc.want, "\n"))
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// What may stay: tabs, line breaks and bidi marks in names (NinjaOne
// holds such names, and export writes them), joiners some scripts spell
// names with, and letters of any one script.
func TestLoadKeepsHonestText(t *testing.T) {
	src := "version: 1\nusers:\n" +
		"  - {email: a@example.com, type: technician, first_name: \"Tab\\there\", last_name: \"two\\nlines\"}\n" +
		"  - {email: b@example.com, type: technician, first_name: \"\u05d3\u05df\u200e\", last_name: \"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645\"}\n" +
		"  - {email: zoë@exämple.com, type: technician, first_name: Zoë, last_name: Ñúñez}\n" +
		"  - {email: hanako@例え.jp, type: technician, first_name: 山田, last_name: はなこ}\n" +
		"  - {email: x@xn--bcher-kva.example, type: technician, first_name: Σωκράτης, last_name: Иванов}\n" +
		"  - {email: kim@example.com, type: technician, first_name: 김민준, last_name: Kim Min-jun}\n"
	d, err := loadEveryWay(t, "f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) > 0 {
		t.Errorf("warnings, want none: %v", d.Warnings)
	}
	if d.Users[0].FirstName != "Tab\there" || d.Users[0].LastName != "two\nlines" {
		t.Errorf("names changed: %q %q", d.Users[0].FirstName, d.Users[0].LastName)
	}
}

// Look-alikes are warned about, at their place, in every loading mode.
func TestLoadWarnsAboutLookalikes(t *testing.T) {
	src := "version: 1\nsettings:\n  scope: {email_domains: [xn--pple-43d.com, example.com]}\nusers:\n" +
		"  - {email: \uff41lice@example.com, type: technician, first_name: A, last_name: B}\n" +
		"  - {email: \u0430lice@example.com, type: technician, first_name: \u0410lice, last_name: Smith}\n" +
		"  - {email: bob@xn--pple-43d.com, type: technician, first_name: Bob, last_name: \uff2a\uff4f\uff4e\uff45\uff53}\n"
	d, err := loadEveryWay(t, "f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range d.Warnings {
		got = append(got, w.Warning())
	}
	want := []string{
		`f.yaml:3:27: warning: email_domains[0] "xn--pple-43d.com" has the punycode label "xn--pple-43d", which is "аpple" and mixes Cyrillic and Latin letters in "аpple" ('а' is U+0430 CYRILLIC SMALL LETTER A), so it may pass for another spelling; retype it unless that is meant`,
		`f.yaml:5:13: warning: email "ａlice@example.com" holds U+FF41 FULLWIDTH LATIN SMALL LETTER A, a look-alike of "a": did you mean "alice@example.com"?`,
		`f.yaml:6:13: warning: email "аlice@example.com" mixes Cyrillic and Latin letters in "аlice" ('а' is U+0430 CYRILLIC SMALL LETTER A), so it may pass for another spelling; retype it unless that is meant`,
		`f.yaml:6:62: warning: first_name "Аlice" mixes Cyrillic and Latin letters in "Аlice" ('А' is U+0410 CYRILLIC CAPITAL LETTER A), so it may pass for another spelling; retype it unless that is meant`,
		`f.yaml:7:13: warning: email "bob@xn--pple-43d.com" has the punycode label "xn--pple-43d", which is "аpple" and mixes Cyrillic and Latin letters in "аpple" ('а' is U+0430 CYRILLIC SMALL LETTER A), so it may pass for another spelling; retype it unless that is meant`,
		`f.yaml:7:81: warning: last_name "Ｊｏｎｅｓ" holds U+FF2A FULLWIDTH LATIN CAPITAL LETTER J, a look-alike of "J": did you mean "Jones"?`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// plan shows them with its own warnings.
	live := &ninjaone.Snapshot{}
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range d.Warnings {
		if !slices.Contains(p.Warnings, w.String()) {
			t.Errorf("the plan's warnings lack %q", w.String())
		}
	}
}

// Too many look-alikes are cut short, as errors are.
func TestLoadWarningsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nusers:\n")
	for i := range MaxWarnings + 5 {
		b.WriteString("  - {email: \uff41" + strings.Repeat("x", i+1) + "@example.com, state: absent}\n")
	}
	d, err := Load("f.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != MaxWarnings+1 || d.Warnings[MaxWarnings].Msg != "5 more warnings not shown" {
		t.Errorf("%d warnings, the last %q; want %d and a count", len(d.Warnings), d.Warnings[len(d.Warnings)-1].Msg, MaxWarnings+1)
	}
}

// A domain's Unicode and punycode spellings are one domain: the file's
// user matches the live one however each spells it, a scope admits both,
// and a protected pattern protects both.
func TestDiffMatchesPunycodeAndUnicodeDomains(t *testing.T) {
	live := baseSnapshot()
	live.Technicians = append(live.Technicians,
		tech(30, "x@xn--bcher-kva.example", "X", "Old", ""),
		tech(31, "Vendor@Bücher.Example", "V", "Vendor", ""),
		tech(32, "stray@xn--bcher-kva.example", "S", "Stray", ""))
	d := desired(UnmanagedDelete, tuser(3, "X@bücher.example", "X", "New"))
	d.Settings.Scope.EmailDomains = []string{"bücher.example"}
	d.Settings.Protected = []string{"vendor@xn--bcher-kva.example"}
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Address)
	}
	want := []string{`update user["x@bücher.example"]`, `delete user["stray@bücher.example"]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if p.Changes[0].Before.ID != 30 {
		t.Errorf("updated user id %d, want 30 (the live x@xn--bcher-kva.example)", p.Changes[0].Before.ID)
	}
	wantWarning := `user["vendor@bücher.example"] is protected by settings.protected "vendor@xn--bcher-kva.example" and is never changed; skipped: delete (unmanaged_users: delete)`
	if !slices.Contains(p.Warnings, wantWarning) {
		t.Errorf("warnings lack %q:\n%s", wantWarning, strings.Join(p.Warnings, "\n"))
	}
}

func TestGlobMatchesEverySpelling(t *testing.T) {
	for _, tc := range []struct {
		pattern, email string
		want           bool
	}{
		{"*@bücher.example", "x@xn--bcher-kva.example", true},
		{"*@xn--bcher-kva.example", "x@BÜCHER.example", true},
		{"*@bu\u0308cher.example", "x@bücher.example", true},
		{"*@bücher.example", "x@bucher.example", false},
		{"root@*", "ROOT@xn--bcher-kva.example", true},
	} {
		g, err := CompileGlob(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(tc.email); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.email, got, tc.want)
		}
	}
}

// A live account that imitates another is named in a warning, not only
// listed as unmanaged.
func TestDiffWarnsAboutLookalikeAccounts(t *testing.T) {
	live := baseSnapshot()
	live.Technicians = append(live.Technicians,
		tech(40, "\u0430lice@example.com", "Alice", "Smith", ""),
		tech(41, "alice\u200b@example.com", "Alice", "Smith", ""))
	d := desired(UnmanagedReport, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk"))
	d.Settings.Scope.EmailDomains = []string{"example.com"}
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`user["аlice@example.com"] is not in the file, and its email mixes Cyrillic and Latin letters in "аlice" ('а' is U+0430 CYRILLIC SMALL LETTER A), so it may pass for another account; check who created it`,
		`user["alice\u200b@example.com"] is not in the file, and its email holds U+200B ZERO WIDTH SPACE, an invisible character, so it may pass for another account; check who created it`,
	} {
		if !slices.Contains(p.Warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, strings.Join(p.Warnings, "\n"))
		}
	}
}

// Every output escapes what would hide or reorder text: the text plan
// and the markdown never print these characters raw, whatever live data
// holds (JSON carries them as JSON).
func TestRenderEscapesInvisibleCharacters(t *testing.T) {
	const hostile = "\u202e\u200b\u3164\u2066\x1b\u009b\ufeff"
	live := baseSnapshot()
	live.Technicians = append(live.Technicians, tech(40, "evil"+hostile+"@example.com", "Evil"+hostile, "User", ""))
	live.Roles = append(live.Roles, role(103, "Role"+hostile, ninjaone.Technician, 40))
	d := withRoles(desired(UnmanagedReport,
		tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk"),
		tuser(9, "new@example.com", "New", "User"),
	), RoleSpec{Name: "Role" + hostile, Type: TechnicianUser, Exclusive: true})
	// The file cannot name such a role; a Desired built in code can.
	d.Users[0].LastName = "Smith" + "\u3164"
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Unmanaged) == 0 || p.Summary.Remove == 0 || p.Summary.Update == 0 {
		t.Fatalf("the plan does not show the hostile data: %+v", p)
	}
	p.Warnings = append(p.Warnings, "a warning quoting "+hostile)
	for name, out := range map[string]string{
		"text":       string(RenderText(p, TextOptions{})),
		"text color": string(RenderText(p, TextOptions{Color: true})),
		"markdown":   string(RenderMarkdown(p, MarkdownOptions{})),
	} {
		for _, r := range hostile {
			if r == 0x1b && name == "text color" {
				continue // the colors' own escapes
			}
			if strings.ContainsRune(out, r) {
				t.Errorf("%s prints %U raw:\n%q", name, r, out)
			}
		}
		if !strings.Contains(out, `\u202e`) {
			t.Errorf("%s does not show the escaped U+202E:\n%s", name, out)
		}
	}
	if got := SummaryLine(p); strings.ContainsRune(got, '\u202e') {
		t.Errorf("SummaryLine prints U+202E raw: %q", got)
	}
	if got := EscapeInvisible("a\u202eb\tc"); got != `a\u202eb\tc` {
		t.Errorf("EscapeInvisible = %q", got)
	}
}

// A new user whose email is a look-alike of a live one (a fullwidth letter
// for a plain one) is a duplicate in the making: the plan says which.
func TestDiffWarnsAboutALookalikeCreate(t *testing.T) {
	d := desired(UnmanagedIgnore, tuser(3, "\uff41lice@example.com", "Alice", "Smith"), tuser(9, "new@example.com", "New", "User"))
	p, err := Diff(d, baseSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`user["ａlice@example.com"] is to be created, but it is a look-alike of technician id 10 ("alice@example.com") in NinjaOne: if the file means that user, write its email as NinjaOne has it`}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
