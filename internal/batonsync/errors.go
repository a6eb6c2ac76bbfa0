package batonsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// explain turns a client error into a gRPC error whose message says what is
// wrong and what to do: above all, for a connection that does not work,
// whether the credentials, the scope or the region is wrong. The client's
// own message (status, NinjaOne's result code, request id) follows, so
// nothing is lost; it never holds a token or secret.
func explain(err error) error {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return err // already says what it is
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		// Not DeadlineExceeded: the SDK would retry it, with long waits.
		return status.Error(codes.Aborted, err.Error())
	}

	code, what := classify(err)
	if what == "" {
		return status.Error(code, err.Error())
	}
	return status.Error(code, fmt.Sprintf("%s: %v", what, err))
}

func classify(err error) (codes.Code, string) {
	if errors.Is(err, ninjaone.ErrMissingScope) {
		return codes.PermissionDenied, "wrong scope"
	}
	var ae *ninjaone.APIError
	if !errors.As(err, &ae) {
		return codes.Unknown, ""
	}
	// The client's message already carries a hint saying what to do; the
	// label in front says which of the settings is wrong.
	switch {
	case ae.StatusCode == http.StatusNotFound && strings.EqualFold(ae.ResultCode, "Client app not exist"):
		return codes.Unauthenticated, "wrong region or client id"
	case strings.EqualFold(ae.AuthError, "invalid_scope"):
		return codes.PermissionDenied, "wrong scope"
	case strings.EqualFold(ae.AuthError, "invalid_client"), strings.EqualFold(ae.AuthError, "unauthorized_client"),
		ae.StatusCode == http.StatusUnauthorized:
		return codes.Unauthenticated, "wrong credentials"
	case errors.Is(err, ninjaone.ErrRouteNotSupported):
		return codes.Unimplemented, "wrong region, or an instance without the user API"
	case ae.StatusCode == http.StatusForbidden:
		return codes.PermissionDenied, "not allowed"
	case errors.Is(err, ninjaone.ErrNotFound):
		return codes.NotFound, ""
	case errors.Is(err, ninjaone.ErrThrottled):
		return codes.ResourceExhausted, ""
	}
	return codes.Unknown, ""
}
