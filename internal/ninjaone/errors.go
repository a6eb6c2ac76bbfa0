package ninjaone

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors for errors.Is on an *APIError.
var (
	// ErrNotFound: the object (user, role, member) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrRouteNotSupported: the instance does not serve this route at all
	// (a route-level 404), as the fed host lacked /v2/user/* in 2026.
	ErrRouteNotSupported = errors.New("route not supported by this NinjaOne instance")
	// ErrUnauthorized: the credentials or the token were refused.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the token lacks a scope or the API client a permission.
	ErrForbidden = errors.New("forbidden")
	// ErrThrottled: retries were exhausted on throttling answers.
	ErrThrottled = errors.New("throttled")
	// ErrRedirect: NinjaOne answered with a redirect, which is never
	// followed.
	ErrRedirect = errors.New("redirect refused")
	// ErrUserContextRequired: the call needs a user-authorised token,
	// which the client-credentials grant never gives.
	ErrUserContextRequired = errors.New("user context required")
)

// APIError is an answer from NinjaOne that is not a success. It carries the
// fields of all three error shapes NinjaOne uses (app, auth, billing) and
// the request id, and never a token or secret.
type APIError struct {
	Method     string
	Path       string // path only, never the query
	StatusCode int

	// App errors: {resultCode, errorMessage, errorDetails, incidentId}.
	ResultCode   string
	ErrorMessage string
	ErrorDetails string
	IncidentID   string
	// Auth errors: {error, error_description, error_code}.
	AuthError       string
	AuthDescription string
	AuthCode        string
	// Billing errors: {errorCode, message}.
	BillingCode    string
	BillingMessage string

	// RequestID is the x-nj-request-id header, for NinjaOne support.
	RequestID string
	// Snippet is the start of a body that was none of the shapes above.
	Snippet string
	// Hint says what to do, when there is something to say.
	Hint string
	// Attempts is how many times the request was sent.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	msg := firstNonEmpty(e.ErrorMessage, e.AuthDescription, e.BillingMessage)
	authCode := e.AuthError
	if e.AuthError != "" && e.AuthCode != "" {
		authCode += ", error_code " + e.AuthCode
	}
	code := firstNonEmpty(e.ResultCode, authCode, e.BillingCode)
	switch {
	case msg != "" && code != "" && code != msg:
		fmt.Fprintf(&b, ": %s (%s)", msg, code)
	case msg != "":
		fmt.Fprintf(&b, ": %s", msg)
	case code != "":
		fmt.Fprintf(&b, ": %s", code)
	case e.Snippet != "":
		fmt.Fprintf(&b, ": %q", e.Snippet)
	}
	if e.ErrorDetails != "" && e.ErrorDetails != "null" {
		fmt.Fprintf(&b, " details: %s", e.ErrorDetails)
	}
	var ids []string
	if e.IncidentID != "" {
		ids = append(ids, "incident "+e.IncidentID)
	}
	if e.RequestID != "" {
		ids = append(ids, "request id "+e.RequestID)
	}
	if e.Attempts > 1 {
		ids = append(ids, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(ids) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(ids, ", "))
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "; %s", e.Hint)
	}
	return b.String()
}

// Is makes errors.Is match the sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound && !e.routeLevel()
	case ErrRouteNotSupported:
		return e.routeLevel()
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests || (e.Snippet != "" && e.ResultCode == "" && !isRedirect(e.StatusCode))
	case ErrRedirect:
		return isRedirect(e.StatusCode)
	case ErrUserContextRequired:
		return e.userContextRequired()
	case ErrMissingScope:
		// The write refused for the token's scope, which a token answer
		// without its scope could not tell beforehand.
		return e.StatusCode == http.StatusForbidden && strings.EqualFold(e.AuthError, "insufficient_scope")
	}
	return false
}

// userContextRequired recognises NinjaOne's refusal of a call that wants
// a user-authorised token, in the auth or the app error shape.
func (e *APIError) userContextRequired() bool {
	return strings.EqualFold(e.AuthError, "user_context_required") || strings.EqualFold(e.ResultCode, "user_context_required")
}

const userContextHint = "NinjaOne accepts this call only with a token authorised by a signed-in user (authorization code grant); " +
	"ninjaops signs in with the client-credentials grant, which never has one, so it cannot make this change: make it in the NinjaOne console"

// routeLevel tells a route that does not exist on this instance from an
// object that does not exist: NinjaOne answers the former with its generic
// {"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}.
func (e *APIError) routeLevel() bool {
	return e.StatusCode == http.StatusNotFound && e.ResultCode == "FAILURE" &&
		strings.EqualFold(e.ErrorMessage, "HTTP 404 Not Found")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
