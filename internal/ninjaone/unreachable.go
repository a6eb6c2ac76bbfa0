package ninjaone

import "errors"

// ErrUnreachable marks a call that never reached NinjaOne: every attempt
// failed to connect (connection refused, no route to the host, the name
// not resolving, a connect timeout), so nothing was sent on the last one.
// A caller that makes many calls (apply) stops starting new ones after a
// few such failures in a row instead of trying each for minutes.
var ErrUnreachable = errors.New("NinjaOne could not be reached")

// unreachableError is the error of an attempt that could not connect.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string   { return e.err.Error() }
func (e *unreachableError) Unwrap() []error { return []error{e.err, ErrUnreachable} }

// markUnreachable returns cause, marked with ErrUnreachable when the
// transport error err says the connection could not be made at all.
func markUnreachable(cause, err error) error {
	if neverSent(err) {
		return &unreachableError{cause}
	}
	return cause
}
