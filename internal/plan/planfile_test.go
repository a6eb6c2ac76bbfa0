package plan

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func savedSample(t *testing.T) (*Plan, *Desired, []byte) {
	t.Helper()
	p := samplePlan(t)
	d := &Desired{Path: "examples/ninjaops.yaml", Source: []byte("version: 1\nusers: []\n# not UTF-8: \xff\xfe\n")}
	data, err := MarshalPlanFile(p, d, "app.ninjarmm.com")
	if err != nil {
		t.Fatal(err)
	}
	return p, d, data
}

func TestPlanFileRoundTrip(t *testing.T) {
	p, d, data := savedSample(t)
	sp, err := ReadPlanFile(data)
	if err != nil {
		t.Fatalf("ReadPlanFile: %v", err)
	}
	if diff := cmp.Diff(p, sp.Plan); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if !bytes.Equal(sp.Desired.Source, d.Source) || sp.Desired.Path != d.Path {
		t.Errorf("desired = %q %q, want %q %q", sp.Desired.Path, sp.Desired.Source, d.Path, d.Source)
	}
	if sp.Target != "app.ninjarmm.com" || sp.FormatVersion != "1" || !strings.HasPrefix(sp.Checksum, "sha256:") {
		t.Errorf("target %q, format %q, checksum %q", sp.Target, sp.FormatVersion, sp.Checksum)
	}
	// Writing is deterministic.
	_, _, again := savedSample(t)
	if !bytes.Equal(data, again) {
		t.Error("the same plan gave two different files")
	}
	// Reformatting the JSON keeps the content, so it is still accepted.
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPlanFile(compact.Bytes()); err != nil {
		t.Errorf("compacted file refused: %v", err)
	}
}

func TestPlanFileRefused(t *testing.T) {
	_, _, data := savedSample(t)
	s := string(data)
	edit := func(old, new string) []byte {
		if !strings.Contains(s, old) {
			t.Fatalf("sample lacks %q", old)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "plan file is empty"},
		{"truncated", data[:len(data)/2], "plan file is not valid JSON, perhaps truncated"},
		{"last byte cut", data[:len(data)-2], "plan file is not valid JSON, perhaps truncated"},
		{"not a plan", []byte(`{"hello": 1}`), "not a ninjaops plan file"},
		{"future version", edit(`"format_version": "1"`, `"format_version": "2"`), `format_version "2" is not supported by this ninjaops (it reads "1")`},
		{"edited change", edit(`"first_name": "Alicia"`, `"first_name": "Mallory"`), "modified after it was written (checksum mismatch)"},
		{"edited target", edit(`"target": "app.ninjarmm.com"`, `"target": "eu.ninjarmm.com"`), "checksum mismatch"},
		{"change removed from the list", edit(`"reason": "first_name differs"`, `"reason": "first_name differs "`), "checksum mismatch"},
		{"checksum removed", edit(`"checksum": "sha256:`, `"checksux": "sha256:`), "does not match format 1"},
		{"checksum emptied", []byte(regexpReplace(s, `"checksum": "[^"]*"`, `"checksum": ""`)), "has no checksum"},
		{"unknown field", edit(`"target":`, `"extra": true, "target":`), "does not match format 1"},
		{"trailing data", append(append([]byte{}, data...), []byte(`{"format_version": "1"}`)...), "not valid JSON"},
		{"plan of another version", []byte(`{"format_version":"1","desired":{"path":"x","source":"","source_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"plan":{"format_version":"0","summary":{"create":0,"update":0,"delete":0,"add":0,"remove":0},"changes":[],"warnings":[],"unmanaged":[]},"checksum":"` + checksumOf(t, `{"format_version":"1","desired":{"path":"x","source":"","source_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"plan":{"format_version":"0","summary":{"create":0,"update":0,"delete":0,"add":0,"remove":0},"changes":[],"warnings":[],"unmanaged":[]}}`) + `"}`), `holds a plan of format_version "0"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := ReadPlanFile(tc.data)
			if err == nil {
				t.Fatalf("accepted: %+v", sp)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func checksumOf(t *testing.T, canonical string) string {
	var sp SavedPlan
	if err := json.Unmarshal([]byte(canonical), &sp); err != nil {
		t.Fatal(err)
	}
	c, err := sp.checksum()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompareChanges(t *testing.T) {
	p := samplePlan(t)
	same := append([]Change(nil), p.Changes...)
	if got := CompareChanges(p.Changes, same); len(got) != 0 {
		t.Fatalf("equal lists differ: %q", got)
	}

	fresh := append([]Change(nil), p.Changes...)
	// alice's update now wants another name; carol's create is gone; a
	// new membership appeared.
	for i := range fresh {
		switch fresh[i].Address {
		case `user["alice@example.com"]`:
			after := *fresh[i].After
			after.FirstName = "Ali"
			fresh[i].After = &after
		}
	}
	fresh = fresh[1:]
	fresh = append(fresh, add("Approvers", "Approvers", 201, EndUserUser, "erin@acme.example", 21, "declared in ninjaops.yaml"))
	want := []string{
		`create user["carol@example.com"]: planned, no longer needed`,
		`user["alice@example.com"]: after.first_name "Alicia" -> "Ali"`,
		`add role["Approvers"].member["erin@acme.example"]: needed now, not in the plan`,
	}
	if diff := cmp.Diff(want, CompareChanges(p.Changes, fresh)); diff != "" {
		t.Errorf("CompareChanges (-want +got):\n%s", diff)
	}

	// A membership whose user now exists (user id filled) is a difference.
	a := add("Helpdesk", "Helpdesk", 100, TechnicianUser, "carol@example.com", 0, "declared in ninjaops.yaml")
	b := add("Helpdesk", "Helpdesk", 100, TechnicianUser, "carol@example.com", 31, "declared in ninjaops.yaml")
	if diff := cmp.Diff([]string{`role["Helpdesk"].member["carol@example.com"]: after.user_id now 31`}, CompareChanges([]Change{a}, []Change{b})); diff != "" {
		t.Errorf("user id (-want +got):\n%s", diff)
	}
	c := b
	c.Action, c.Before, c.After = Remove, b.After, nil
	if diff := cmp.Diff([]string{`role["Helpdesk"].member["carol@example.com"]: action "add" -> "remove"; after.email was "carol@example.com", now unset; after.role was "Helpdesk", now unset; after.role_id was 100, now unset; after.role_type was "technician", now unset; after.user_id was 31, now unset; before.email now "carol@example.com"; before.role now "Helpdesk"; before.role_id now 100; before.role_type now "technician"; before.user_id now 31`}, CompareChanges([]Change{b}, []Change{c})); diff != "" {
		t.Errorf("action (-want +got):\n%s", diff)
	}
}

func regexpReplace(s, expr, repl string) string {
	return regexp.MustCompile(expr).ReplaceAllString(s, repl)
}
