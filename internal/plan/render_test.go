package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// -update (declared in schema_test.go) also rewrites the renderers' golden files.

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run go test -update:\n%s", path, diff)
	}
}

// samplePlan exercises every group, field and section the renderers show.
func samplePlan(t *testing.T) *Plan {
	t.Helper()
	carol := tuser(3, "carol@example.com", "Carol", "White", "Helpdesk", "Tier 2")
	carol.Phone = "+1 555 0101"
	fay := euser(9, "fay@customer.example", "Fay", "Lee", "Customer Inc", "Portal Users")
	fay.FullPortalAccess, fay.SendInvitation = ptr(true), true
	bob := euser(15, "bob@customer.example", "Bob", "Jones", "Acme", "Approvers", "Portal Users")
	bob.FullPortalAccess = ptr(true)
	d := withRoles(desired(UnmanagedReport,
		carol, fay, bob,
		tuser(21, "alice@example.com", "Alicia", "Smith", "Helpdesk"),
		tuser(27, "root@example.com", "Root", "Administrator"),
		tuser(33, "sam@example.com", "Sam", "Scim", "Read Only"),
		tuser(39, "val@vendor.example", "Val", "Vendor | `x` <b>*y*</b>"),
		UserSpec{Email: "dave@example.com", State: Absent, At: at(45)},
	), RoleSpec{Name: "Helpdesk", Type: TechnicianUser, Exclusive: true})
	d.Settings.MaxRemovalPercent = nil
	live := baseSnapshot()
	live.Technicians = append(live.Technicians, tech(16, "ned@example.com", "Ned", "New", ""))
	live.Roles[0].Members = append(live.Roles[0].Members, ninjaone.RoleMember{ID: 16})
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func noChanges(t *testing.T) *Plan {
	t.Helper()
	p, err := Diff(desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")), baseSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderGolden(t *testing.T) {
	sample, none := samplePlan(t), noChanges(t)
	if sample.Summary.Create == 0 || sample.Summary.Update == 0 || sample.Summary.Delete == 0 || sample.Summary.Add == 0 || sample.Summary.Remove == 0 || len(sample.Warnings) == 0 || len(sample.Unmanaged) == 0 {
		t.Fatalf("sample plan lacks a group: %+v", sample.Summary)
	}
	js, err := RenderJSON(sample)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json.golden", js)
	js, err = RenderJSON(none)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "no_changes.json.golden", js)
	golden(t, "plan.txt.golden", RenderText(sample, TextOptions{}))
	golden(t, "plan_color.txt.golden", RenderText(sample, TextOptions{Color: true}))
	golden(t, "no_changes.txt.golden", RenderText(none, TextOptions{}))
	golden(t, "plan.md.golden", RenderMarkdown(sample, MarkdownOptions{}))
	golden(t, "no_changes.md.golden", RenderMarkdown(none, MarkdownOptions{}))
}

func TestRenderJSONShape(t *testing.T) {
	js, err := RenderJSON(&Plan{})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"format_version": "1",
		"drift":          "none",
		"summary":        map[string]any{"create": 0.0, "update": 0.0, "delete": 0.0, "add": 0.0, "remove": 0.0},
		"changes":        []any{}, "warnings": []any{}, "unmanaged": []any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("empty plan JSON (-want +got):\n%s", diff)
	}
	// It decodes back to the same plan.
	p := samplePlan(t)
	js, _ = RenderJSON(p)
	var back Plan
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// Users in scope that the file does not list are drift (in report mode):
// every format says so, and none claims that NinjaOne matches.
func TestRenderDrift(t *testing.T) {
	update := func(d *Desired) *Desired {
		d.Users[0].LastName = "Smythe"
		return d
	}
	tests := []struct {
		name     string
		desired  *Desired
		drift    Drift
		summary  string // the text summary line
		heading  string // the markdown heading and the paragraph after it
		notMatch bool   // no format may say NinjaOne matches
	}{
		{
			name:    "ignore: no drift",
			desired: desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")),
			drift:   NoDrift,
			summary: "No changes. NinjaOne matches the desired state.",
			heading: "### ninjaops plan: no changes\n\nNinjaOne matches the desired state.\n\n",
		},
		{
			name:     "report: unmanaged users only",
			desired:  scopedTo(desired(UnmanagedReport, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")), "example.com"),
			drift:    DriftUnmanaged,
			summary:  "No changes to apply. Unmanaged: 3 users in scope are not in the file: dave@example.com, root@example.com, sam@example.com.",
			heading:  "### ninjaops plan: no changes to apply; 3 unmanaged users\n\nUnmanaged: 3 users in scope are not in the file: dave&#64;example.com, root&#64;example.com, sam&#64;example.com.\n\n",
			notMatch: true,
		},
		{
			name:     "report: one unmanaged user",
			desired:  scopedTo(desired(UnmanagedReport, euser(3, "bob@customer.example", "Bob", "Jones", "Customer Inc", "Portal Users")), "customer.example"),
			drift:    DriftUnmanaged,
			summary:  "No changes to apply. Unmanaged: 1 user in scope is not in the file: liam@customer.example.",
			heading:  "### ninjaops plan: no changes to apply; 1 unmanaged user\n\nUnmanaged: 1 user in scope is not in the file: liam&#64;customer.example.\n\n",
			notMatch: true,
		},
		{
			name:    "report: changes only",
			desired: scopedTo(update(desired(UnmanagedReport, tuser(3, "val@vendor.example", "Val", "Vendor"))), "vendor.example"),
			drift:   DriftChanges,
			summary: "Plan: 0 to create, 1 to update, 0 to delete, 0 memberships to add, 0 to remove.",
			heading: "### ninjaops plan: 0 to create, 1 to update, 0 to delete, 0 memberships to add, 0 to remove\n\n",
		},
		{
			name:     "report: both, more users than the line names",
			desired:  update(desired(UnmanagedReport, tuser(3, "alice@example.com", "Alice", "Smith"))),
			drift:    DriftBoth,
			summary:  "Plan: 0 to create, 1 to update, 0 to delete, 0 memberships to add, 0 to remove. Unmanaged: 7 users in scope are not in the file: bob@customer.example, dave@example.com, erin@acme.example, liam@customer.example, root@example.com and 2 more.",
			heading:  "### ninjaops plan: 0 to create, 1 to update, 0 to delete, 0 memberships to add, 0 to remove; 7 unmanaged users\n\nUnmanaged: 7 users in scope are not in the file: bob&#64;customer.example, dave&#64;example.com, erin&#64;acme.example, liam&#64;customer.example, root&#64;example.com and 2 more.\n\n",
			notMatch: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := baseSnapshot()
			// An account created behind the file's back.
			live.EndUsers = append(live.EndUsers, endUser(22, "liam@customer.example", "Liam", "New", 2, false))
			p, err := Diff(tc.desired, live)
			if err != nil {
				t.Fatal(err)
			}
			if p.Drift != tc.drift || p.HasDrift() != (tc.drift != NoDrift) {
				t.Errorf("Drift = %q, HasDrift = %v; want %q", p.Drift, p.HasDrift(), tc.drift)
			}
			text := string(RenderText(p, TextOptions{}))
			if got := SummaryLine(p); got != tc.summary {
				t.Errorf("SummaryLine:\n got %q\nwant %q", got, tc.summary)
			}
			if !slices.Contains(strings.Split(text, "\n"), tc.summary) {
				t.Errorf("text lacks the summary line %q:\n%s", tc.summary, text)
			}
			md := string(RenderMarkdown(p, MarkdownOptions{}))
			if !strings.HasPrefix(md, tc.heading) {
				t.Errorf("markdown starts:\n%q\nwant:\n%q", md[:min(len(md), len(tc.heading)+40)], tc.heading)
			}
			js, err := RenderJSON(p)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				Drift     Drift    `json:"drift"`
				Unmanaged []string `json:"unmanaged"`
			}
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if back.Drift != tc.drift || len(back.Unmanaged) != len(p.Unmanaged) {
				t.Errorf("JSON drift %q with %d unmanaged, want %q with %d", back.Drift, len(back.Unmanaged), tc.drift, len(p.Unmanaged))
			}
			for name, out := range map[string]string{"text": text, "markdown": md} {
				if tc.notMatch && strings.Contains(out, "matches the desired state") {
					t.Errorf("%s claims NinjaOne matches:\n%s", name, out)
				}
			}
		})
	}
}

func scopedTo(d *Desired, domains ...string) *Desired {
	d.Settings.Scope.EmailDomains = domains
	return d
}

func TestRenderTextColor(t *testing.T) {
	p := samplePlan(t)
	plain := string(RenderText(p, TextOptions{}))
	if strings.Contains(plain, "\x1b") {
		t.Error("plain text has ANSI escapes")
	}
	colored := string(RenderText(p, TextOptions{Color: true}))
	for _, want := range []string{ansiGreen + "+" + ansiReset, ansiYellow + "~" + ansiReset, ansiRed + "-" + ansiReset} {
		if !strings.Contains(colored, want) {
			t.Errorf("colored text lacks %q", want)
		}
	}
	if stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(colored, ""); stripped != plain {
		t.Errorf("color changes more than escapes:\n%s", cmp.Diff(plain, stripped))
	}
}

func TestRenderTextHostileData(t *testing.T) {
	p := &Plan{Unmanaged: []string{"evil\x1b[2J@example.com"}, Warnings: []string{"line one\nline two"}}
	out := string(RenderText(p, TextOptions{}))
	if strings.Contains(out, "\x1b") {
		t.Errorf("terminal escape reached the output: %q", out)
	}
	if !strings.Contains(out, "line one line two") {
		t.Errorf("warning not kept on one line: %q", out)
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a|b", `a\|b`},
		{"`code`", "\\`code\\`"},
		{"<script>&", "&lt;script&gt;&amp;"},
		{"@ops-team", "&#64;ops-team"},
		{"two\nlines\r\n", "two<br>lines<br>"},
		{"*bold* _it_ [link](x) ~s~", `\*bold\* \_it\_ \[link\](x) \~s\~`},
		{"# heading", `\# heading`},
		{"back\\slash", `back\\slash`},
		{"bell\a", `bell'\a'`},
		{strings.Repeat("é", 400), strings.Repeat("é", 300) + "…"},
	}
	for _, tc := range tests {
		if got := mdCell(tc.in); got != tc.want {
			t.Errorf("mdCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		needs  []int
		budget int
		want   []int
	}{
		{[]int{10, 20}, 100, []int{10, 20}},
		{[]int{10, 1000}, 100, []int{10, 90}},
		{[]int{1000, 1000, 10}, 100, []int{45, 45, 10}},
		{[]int{0, 1000}, 100, []int{0, 100}},
		{[]int{50, 50}, -5, []int{0, 0}},
	}
	for _, tc := range tests {
		if got := share(tc.needs, tc.budget); !cmp.Equal(got, tc.want) {
			t.Errorf("share(%v, %d) = %v, want %v", tc.needs, tc.budget, got, tc.want)
		}
	}
}

// bigPlan has n changes spread over every group, with awkward long data,
// and as many warnings and unmanaged users.
func bigPlan(n int) *Plan {
	p := &Plan{FormatVersion: FormatVersion}
	long := strings.Repeat("Ünïcode | `tick` <tag> ", 20)
	for i := range n {
		email := fmt.Sprintf("user%06d@%s.example", i, strings.Repeat("sub", 10))
		v := &Values{Email: email, ID: int32(i + 1), Type: EndUserUser, FirstName: long, LastName: long, Organization: long, OrganizationID: 9}
		m := &Values{Email: email, Role: long, RoleID: 7, RoleType: EndUserUser, UserID: int32(i + 1)}
		var c Change
		switch i % 5 {
		case 0:
			c = Change{Address: userAddress(email), Kind: UserKind, Action: Create, After: v}
			p.Summary.Create++
		case 1:
			w := *v
			w.FirstName = "x" + long
			c = Change{Address: userAddress(email), Kind: UserKind, Action: Update, Before: v, After: &w}
			p.Summary.Update++
		case 2:
			c = Change{Address: userAddress(email), Kind: UserKind, Action: Delete, Before: v}
			p.Summary.Delete++
		case 3:
			c = Change{Address: fmt.Sprintf("role[%q].member[%q]", long, email), Kind: MembershipKind, Action: Add, After: m}
			p.Summary.Add++
		case 4:
			c = Change{Address: fmt.Sprintf("role[%q].member[%q]", long, email), Kind: MembershipKind, Action: Remove, Before: m}
			p.Summary.Remove++
		}
		c.Reason = long
		p.Changes = append(p.Changes, c)
		p.Warnings = append(p.Warnings, fmt.Sprintf("warning %d: %s", i, long))
		p.Unmanaged = append(p.Unmanaged, "unmanaged-"+email)
	}
	SortChanges(p.Changes)
	return p
}

func TestMarkdownStaysUnderGitHubLimit(t *testing.T) {
	rowRE := regexp.MustCompile(`^\| `)
	moreRE := regexp.MustCompile(`_… and (\d+) more not shown`)
	pipeRE := regexp.MustCompile(`(^|[^\\])\|`)
	for _, n := range []int{5, 12, 1000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := bigPlan(n)
			out := RenderMarkdown(p, MarkdownOptions{})
			if len(out) > MarkdownLimit || utf8.RuneCount(out) >= 65536 {
				t.Fatalf("%d changes: %d bytes, over the limit %d", n, len(out), MarkdownLimit)
			}
			// Shown rows plus the counts left out account for everything.
			rows, left := 0, 0
			for _, line := range strings.Split(string(out), "\n") {
				if rowRE.MatchString(line) && !strings.HasPrefix(line, "| User") && !strings.HasPrefix(line, "| Role") {
					rows++
					// No cell content can break the table: 3 or 4
					// columns, so 4 or 5 unescaped pipes.
					if pipes := len(pipeRE.FindAllString(line, -1)); pipes != 4 && pipes != 5 {
						t.Fatalf("row has %d cell separators: %s", pipes, line)
					}
				}
				if strings.HasPrefix(line, "- ") {
					rows++
				}
				if m := moreRE.FindStringSubmatch(line); m != nil {
					var k int
					fmt.Sscan(m[1], &k)
					left += k
				}
			}
			if total := len(p.Changes) + len(p.Warnings) + len(p.Unmanaged); rows+left != total {
				t.Errorf("shown %d + left out %d != %d items", rows, left, total)
			}
			if n == 5 && left != 0 {
				t.Errorf("a small plan was truncated")
			}
			if n == 100000 {
				if left == 0 {
					t.Error("a 100,000-change plan was not truncated")
				}
				// Every section still shows something.
				for _, title := range []string{"Users to create", "Users to update", "Users to delete", "Memberships to add", "Memberships to remove", "Warnings", "Unmanaged users"} {
					i := bytes.Index(out, []byte(title))
					if i < 0 {
						t.Fatalf("section %q missing", title)
					}
				}
				t.Logf("100,000 changes: %d bytes", len(out))
			}
		})
	}
}

func TestMarkdownLimitOption(t *testing.T) {
	out := RenderMarkdown(bigPlan(1000), MarkdownOptions{Limit: 5000})
	if len(out) > 5000 {
		t.Errorf("%d bytes, want at most 5000", len(out))
	}
}
