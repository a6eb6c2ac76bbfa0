package plan

import (
	"bytes"
	"encoding/json"
)

// RenderJSON renders p as indented JSON: exactly the Plan struct, with
// empty lists as [] rather than null so scripts need no special case.
// encoding/json writes struct fields in declaration order, so the same
// plan always gives the same bytes.
func RenderJSON(p *Plan) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalized(p)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// normalized returns p with nil lists made empty, leaving p alone.
func normalized(p *Plan) *Plan {
	q := *p
	if q.FormatVersion == "" {
		q.FormatVersion = FormatVersion
	}
	if q.Changes == nil {
		q.Changes = []Change{}
	}
	if q.Warnings == nil {
		q.Warnings = []string{}
	}
	if q.Unmanaged == nil {
		q.Unmanaged = []string{}
	}
	if q.Drift == "" {
		q.Drift = driftOf(&q)
	}
	return &q
}
