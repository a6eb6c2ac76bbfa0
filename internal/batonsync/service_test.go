package batonsync

import (
	"testing"
	"time"
)

// Backoff doubles from a second to a minute, never below its step and
// never more than a tenth above it.
func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		base time.Duration
	}{
		{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 32 * time.Second},
		{7, time.Minute}, {50, time.Minute}, {1 << 30, time.Minute},
	} {
		for range 100 {
			if d := Backoff(tc.n); d < tc.base || d > tc.base+tc.base/10 {
				t.Fatalf("Backoff(%d) = %v, want %v to %v", tc.n, d, tc.base, tc.base+tc.base/10)
			}
		}
	}
}
