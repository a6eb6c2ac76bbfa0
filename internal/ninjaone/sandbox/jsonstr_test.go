package sandbox

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is what encoding/json writes for s without HTML escaping,
// the encoder the sandbox used before writing strings itself.
func encodingJSON(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(s)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

var jsonStrings = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
	"<b>&amp;</b>", "Zoë Ünïcödé 日本語 🙂", "bad \xff\xfe utf-8", "cut \xe6\x97", "\u2028 and \u2029",
	"a@example.com", "\xed\xa0\x80 surrogate",
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStrings {
		if got, want := string(appendJSONString(nil, s)), encodingJSON(s); got != want {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString([]byte("x"), s)), "x"+encodingJSON(s); got != want {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	})
}
