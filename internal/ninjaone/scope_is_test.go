package ninjaone

import (
	"errors"
	"testing"
)

// TestWriteRefusedForItsScope: a write refused with insufficient_scope is
// a missing scope wherever it is asked (apply stops its run on it, baton
// labels it), and no other 403 is.
func TestWriteRefusedForItsScope(t *testing.T) {
	for _, tc := range []struct {
		err  *APIError
		want bool
	}{
		{&APIError{StatusCode: 403, AuthError: "insufficient_scope"}, true},
		{&APIError{StatusCode: 403, AuthError: "Insufficient_Scope"}, true},
		{&APIError{StatusCode: 401, AuthError: "insufficient_scope"}, false},
		{&APIError{StatusCode: 403, ResultCode: "Must be a System Administrator"}, false},
	} {
		if got := errors.Is(tc.err, ErrMissingScope); got != tc.want {
			t.Errorf("%+v: errors.Is ErrMissingScope = %v, want %v", *tc.err, got, tc.want)
		}
	}
}
