package emailaddr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKey(t *testing.T) {
	tests := []struct{ in, key, ascii string }{
		{"Alice@Example.COM", "alice@example.com", "alice@example.com"},
		{"", "", ""},
		{"no-at-sign", "no-at-sign", "no-at-sign"},
		// U-label and A-label spell one domain.
		{"x@bücher.example", "x@bücher.example", "x@xn--bcher-kva.example"},
		{"x@xn--bcher-kva.example", "x@bücher.example", "x@xn--bcher-kva.example"},
		{"X@XN--BCHER-KVA.Example", "x@bücher.example", "x@xn--bcher-kva.example"},
		{"x@BÜCHER.example", "x@bücher.example", "x@xn--bcher-kva.example"},
		// Decomposed ü (u + U+0308) is the same letter.
		{"x@bu\u0308cher.example", "x@bücher.example", "x@xn--bcher-kva.example"},
		{"Zoe\u0308@example.com", "zoë@example.com", "zoë@example.com"},
		// Only the last @ starts the domain.
		{"a@b@xn--bcher-kva.example", "a@b@bücher.example", "a@b@xn--bcher-kva.example"},
		// A-labels that are not the canonical spelling of a visible label
		// are their own domain.
		{"x@xn--zz.example", "x@xn--zz.example", "x@xn--zz.example"},
		{"x@xn--abc-.example", "x@xn--abc-.example", "x@xn--abc-.example"},
		{"x@xn--.example", "x@xn--.example", "x@xn--.example"},
		{"x@xn--evil-yd7a.example", "x@xn--evil-yd7a.example", "x@xn--evil-yd7a.example"}, // decodes to "evil" and U+202E
		// UTS 46 allows symbols: a valid label, so the same domain.
		{"x@xn--evil-ze9b.example", "x@\u2bb2evil.example", "x@xn--evil-ze9b.example"},
		{"plain-xn--looking@example.com", "plain-xn--looking@example.com", "plain-xn--looking@example.com"},
	}
	for _, tc := range tests {
		if got := Key(tc.in); got != tc.key {
			t.Errorf("Key(%q) = %q, want %q", tc.in, got, tc.key)
		}
		if got := ASCIIKey(tc.in); got != tc.ascii {
			t.Errorf("ASCIIKey(%q) = %q, want %q", tc.in, got, tc.ascii)
		}
	}
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM":           "example.com",
		"xn--bcher-kva.example": "bücher.example",
		"bücher.example":        "bücher.example",
		"münchen.xn--bcher-kva": "münchen.bücher",
	} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestForms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Alice@Example.com", []string{"alice@example.com"}},
		{"x@xn--bcher-kva.example", []string{"x@xn--bcher-kva.example", "x@bücher.example"}},
		{"x@Bücher.example", []string{"x@bücher.example", "x@xn--bcher-kva.example"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Forms(tc.in)); diff != "" {
			t.Errorf("Forms(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func BenchmarkKeyASCII(b *testing.B) {
	for range b.N {
		Key("Alice.Smith@Example.com")
	}
}

func BenchmarkToLowerBaseline(b *testing.B) {
	for range b.N {
		_ = strings.ToLower("Alice.Smith@Example.com")
	}
}
