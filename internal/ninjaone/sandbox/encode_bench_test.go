package sandbox

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// BenchmarkEncodeLists encodes what a client's Snapshot reads from a
// 100,000-user tenant (technicians, end users, roles with 300,000
// members) into io.Discard, without HTTP: the sandbox's own encoding cost.
func BenchmarkEncodeLists(b *testing.B) {
	s, err := New(Options{Seed: Generate(100_000, 500, 300_000, 1000, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	req := httptest.NewRequest("GET", "/v2/user/roles", nil)
	var n countWriter
	for b.Loop() {
		n = 0
		for _, h := range []func() reply{
			func() reply { return s.listTyped(ninjaone.Technician)(req, "") },
			func() reply { return s.listTyped(ninjaone.EndUser)(req, "") },
			func() reply { return s.listRoles(req, "") },
		} {
			if err := h().stream(&n); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(int64(n))
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return io.Discard.Write(p)
}
