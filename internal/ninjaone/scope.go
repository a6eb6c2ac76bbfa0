package ninjaone

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// The scopes ninjaops uses: monitoring reads, management writes users and
// role memberships.
const (
	ScopeMonitoring = "monitoring"
	ScopeManagement = "management"
)

// ErrMissingScope matches (errors.Is) a refusal because the token does
// not, or will not, carry a scope the work needs. Such an error also
// matches ErrForbidden.
var ErrMissingScope = errors.New("missing scope")

// ScopeError is work refused before any request because the token lacks
// a scope it needs.
type ScopeError struct {
	// Scope is the scope needed.
	Scope string
	// Asked is what the configuration asks for.
	Asked []string
	// Granted is what NinjaOne's token answer listed; nil when the
	// configuration does not even ask for Scope.
	Granted []string
}

func (e *ScopeError) Error() string {
	need := "reading users and roles"
	if e.Scope == ScopeManagement {
		need = "changing users and role memberships"
	}
	if e.Granted == nil {
		return fmt.Sprintf("%s needs the %s scope, which --scope %q does not ask for: add it (the default is %q)",
			need, e.Scope, strings.Join(e.Asked, " "), DefaultScope)
	}
	return fmt.Sprintf("%s needs the %s scope, and NinjaOne's token lacks it (asked for %q, granted %q): in NinjaOne, under Administration > Apps > API > Client app IDs, edit this client app and allow the %s scope, then run again",
		need, e.Scope, strings.Join(e.Asked, " "), strings.Join(e.Granted, " "), e.Scope)
}

func (e *ScopeError) Is(target error) bool {
	return target == ErrMissingScope || target == ErrForbidden
}

// grantedScopes reads the scopes a token answer lists. ok is false when
// it lists none: the answer's scope is optional (RFC 6749 5.1), and then
// NinjaOne refuses each call the token cannot make.
func grantedScopes(tok *oauth2.Token) (scopes []string, ok bool) {
	switch v := tok.Extra("scope").(type) {
	case string:
		scopes = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		for _, s := range v {
			if s, isString := s.(string); isString {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes, len(scopes) > 0
}

func hasScope(scopes []string, scope string) bool {
	for _, s := range scopes {
		if strings.EqualFold(s, scope) {
			return true
		}
	}
	return false
}

// missingScope returns a *ScopeError when tok, asked for asked, cannot
// carry scope; tok may be nil to check the configuration alone.
func missingScope(asked []string, tok *oauth2.Token, scope string) error {
	if !hasScope(asked, scope) {
		return &ScopeError{Scope: scope, Asked: asked}
	}
	if tok == nil {
		return nil
	}
	if granted, ok := grantedScopes(tok); ok && !hasScope(granted, scope) {
		return &ScopeError{Scope: scope, Asked: asked, Granted: granted}
	}
	return nil
}

// RequireScope fails, before any request of the work ahead is sent, when
// that work needs scope and the token cannot carry it: the configuration
// does not ask for it, or NinjaOne's token answer says it was not granted
// (some regions grant a subset of the asked scopes instead of refusing).
// It fetches the token if there is none yet. Apply and provisioning call
// it with ScopeManagement before their first write; a plan needs only
// ScopeMonitoring, which Snapshot checks itself.
func (c *Client) RequireScope(ctx context.Context, scope string) error {
	asked := c.tokens.cfg.Scopes
	if err := missingScope(asked, nil, scope); err != nil {
		return err
	}
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return err
	}
	return missingScope(asked, tok, scope)
}
