package ninjaone

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

const redacted = "[REDACTED]"

// redactSecrets replaces every form in which a server may echo one of the
// secrets back: as sent, URL-encoded the ways a form, a query or a path
// encode it (with upper- or lower-case hex), and JSON-escaped. The client
// sends its secret form-encoded, so a server that reflects the request
// body in an error reflects the encoded form, not the literal one.
func redactSecrets(text string, secrets ...string) string {
	var forms []string
	for _, s := range secrets {
		if s != "" {
			forms = append(forms, secretForms(s)...)
		}
	}
	// Longest first, so that no form is left half replaced by a shorter
	// one inside it.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, redacted)
	}
	return text
}

var percentHex = regexp.MustCompile(`%[0-9A-F]{2}`)

// secretForms lists s as sent and in its encoded forms, without repeats.
func secretForms(s string) []string {
	q := url.QueryEscape(s) // form and query: space as +
	forms := []string{s, q, strings.ReplaceAll(q, "+", "%20"), url.PathEscape(s)}
	for _, f := range forms[1:] {
		forms = append(forms, percentHex.ReplaceAllStringFunc(f, strings.ToLower))
	}
	// JSON as Go writes it (<, > and & escaped) and as PHP does (/ escaped).
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			j := strings.TrimSuffix(b.String(), "\n")
			j = j[1 : len(j)-1]
			forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`))
		}
	}
	seen := make(map[string]bool, len(forms))
	out := forms[:0]
	for _, f := range forms {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
