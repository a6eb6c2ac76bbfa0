package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// SavedPlan is a plan file, written by `plan --out` and read by `apply
// PLANFILE`. It records the desired state the plan was computed from, so
// apply can re-load it, re-read NinjaOne, re-diff and insist on the same
// changes; and a checksum of its own content, so an edited or truncated
// file is refused rather than half-applied.
type SavedPlan struct {
	FormatVersion string `json:"format_version"`
	// Target names the tenant the plan was made for, without a secret:
	// the NinjaOne host and a digest of the host and client id
	// ("eu.ninjarmm.com client:3f2a9c1d5e7b8a06"), or the built-in
	// sandbox and its state file. Empty means unrecorded.
	Target  string       `json:"target,omitempty"`
	Desired SavedDesired `json:"desired"`
	Plan    *Plan        `json:"plan"`
	// Checksum is "sha256:" and the hex SHA-256 of the canonical content:
	// this struct with Checksum empty, as encoding/json marshals it.
	Checksum string `json:"checksum,omitempty"`
}

// SavedDesired is the desired-state file a plan was computed from.
type SavedDesired struct {
	Path string `json:"path"`
	// Source is the file's exact bytes (base64 in JSON: a YAML file is
	// meant to be UTF-8, but exactness must not depend on it).
	Source []byte `json:"source"`
	// SourceSHA256 lets a person check the recorded file against theirs
	// with sha256sum.
	SourceSHA256 string `json:"source_sha256"`
}

// MarshalPlanFile writes the plan file for p, computed from d, for target.
func MarshalPlanFile(p *Plan, d *Desired, target string) ([]byte, error) {
	sum := sha256.Sum256(d.Source)
	sp := &SavedPlan{
		FormatVersion: FormatVersion,
		Target:        target,
		Desired:       SavedDesired{Path: d.Path, Source: d.Source, SourceSHA256: hex.EncodeToString(sum[:])},
		Plan:          normalized(p),
	}
	c, err := sp.checksum()
	if err != nil {
		return nil, err
	}
	sp.Checksum = c
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sp); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (sp *SavedPlan) checksum() (string, error) {
	c := *sp
	c.Checksum = ""
	canon, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

const remake = "make a new plan with ninjaops plan --out"

// ReadPlanFile parses and verifies a plan file. It refuses malformed or
// truncated JSON, an unknown format_version, unknown fields, and any
// content that does not match the checksum.
func ReadPlanFile(data []byte) (*SavedPlan, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("plan file is empty; " + remake)
	}
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("plan file is not valid JSON, perhaps truncated (%v); %s", err, remake)
	}
	if head.FormatVersion == nil {
		return nil, errors.New("not a ninjaops plan file: it has no format_version")
	}
	if *head.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file format_version %q is not supported by this ninjaops (it reads %q); %s with this version", *head.FormatVersion, FormatVersion, remake)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sp SavedPlan
	if err := dec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("plan file does not match format %s (%v); %s", FormatVersion, err, remake)
	}
	if dec.More() {
		return nil, errors.New("plan file has data after its end; " + remake)
	}
	if sp.Checksum == "" {
		return nil, errors.New("plan file has no checksum; " + remake)
	}
	want, err := sp.checksum()
	if err != nil {
		return nil, err
	}
	if sp.Checksum != want {
		return nil, errors.New("plan file was modified after it was written (checksum mismatch); " + remake)
	}
	// The checksum covers the recorded hash too, so this only fails for a
	// file forged with a recomputed checksum; say so plainly anyway.
	if sum := sha256.Sum256(sp.Desired.Source); hex.EncodeToString(sum[:]) != sp.Desired.SourceSHA256 {
		return nil, errors.New("plan file's recorded desired state does not match its source_sha256; " + remake)
	}
	if sp.Plan == nil {
		return nil, errors.New("plan file has no plan; " + remake)
	}
	if sp.Plan.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file holds a plan of format_version %q, not %q; %s", sp.Plan.FormatVersion, FormatVersion, remake)
	}
	return &sp, nil
}

// CompareChanges reports how fresh differs from saved, one line per
// address, in plan order: changes no longer needed, changes newly needed,
// and changes whose action, values or reason moved. No lines means the
// lists are equal, which is what apply of a saved plan requires.
func CompareChanges(saved, fresh []Change) []string {
	index := func(cs []Change) map[string]*Change {
		m := make(map[string]*Change, len(cs))
		for i := range cs {
			m[cs[i].Address] = &cs[i]
		}
		return m
	}
	s, f := index(saved), index(fresh)
	var out []string
	for i := range saved {
		a := &saved[i]
		b, ok := f[a.Address]
		if !ok {
			out = append(out, fmt.Sprintf("%s %s: planned, no longer needed", a.Action, a.Address))
			continue
		}
		if d := changeDiff(a, b); len(d) > 0 {
			out = append(out, fmt.Sprintf("%s: %s", a.Address, strings.Join(d, "; ")))
		}
	}
	for i := range fresh {
		if _, ok := s[fresh[i].Address]; !ok {
			out = append(out, fmt.Sprintf("%s %s: needed now, not in the plan", fresh[i].Action, fresh[i].Address))
		}
	}
	// Two changes with one address would hide each other in the index.
	if len(s) != len(saved) || len(f) != len(fresh) {
		out = append(out, "a change list holds one address twice")
	}
	return out
}

// changeDiff lists the fields of two changes to one address that differ,
// as "after.first_name "Al" -> "Alicia"".
func changeDiff(a, b *Change) []string {
	fa, fb := flatten(a), flatten(b)
	keys := make([]string, 0, len(fa)+len(fb))
	for k := range fa {
		keys = append(keys, k)
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		va, oka := fa[k]
		vb, okb := fb[k]
		switch {
		case oka && okb && va == vb:
		case !oka:
			out = append(out, fmt.Sprintf("%s now %s", k, vb))
		case !okb:
			out = append(out, fmt.Sprintf("%s was %s, now unset", k, va))
		default:
			out = append(out, fmt.Sprintf("%s %s -> %s", k, va, vb))
		}
	}
	return out
}

// flatten maps a change to "field" and "side.field" keys with JSON values.
func flatten(c *Change) map[string]string {
	out := map[string]string{"action": jsonString(c.Action), "kind": jsonString(c.Kind), "reason": jsonString(c.Reason)}
	for side, v := range map[string]*Values{"before": c.Before, "after": c.After} {
		if v == nil {
			continue
		}
		raw, _ := json.Marshal(v)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		for k, val := range m {
			out[side+"."+k] = string(val)
		}
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
