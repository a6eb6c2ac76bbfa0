package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const tokenPath = "/ws/oauth/token"

// TokenResponse is the body of a successful token call.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// serveToken is the OAuth2 client credentials grant: form-encoded, with the
// client's id and secret in the body or in HTTP Basic authentication.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	rep := s.token(r)
	rep.header = http.Header{"Cache-Control": {"no-store"}}
	rep.write(w)
}

func (s *Server) token(r *http.Request) reply {
	if r.Method != http.MethodPost {
		return authError(http.StatusMethodNotAllowed, "invalid_request", "The token endpoint takes POST", 0)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return authError(http.StatusBadRequest, "invalid_request", "The token request must be application/x-www-form-urlencoded", 0)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return authError(http.StatusBadRequest, "invalid_request", "The token request body is not a valid form", 0)
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		return authError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Grant type %q is not supported: use client_credentials", gt), 0)
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id == "" {
		if u, p, ok := r.BasicAuth(); ok {
			// RFC 6749 2.3.1: Basic credentials are form-encoded first, as
			// golang.org/x/oauth2 does.
			id, secret = unescape(u), unescape(p)
		}
	}
	if id == "" {
		return authError(http.StatusBadRequest, "invalid_request", "client_id is missing", 0)
	}
	if id != s.opts.ClientID {
		return jsonReply(http.StatusNotFound, AppError{ResultCode: "Client app not exist", ErrorMessage: "Client app not exist", IncidentID: newID()})
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
		return authError(http.StatusUnauthorized, "invalid_client", "Bad client credentials", 0)
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	if len(scopes) == 0 {
		scopes = s.opts.Scopes
	}
	granted := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		switch {
		case slices.Contains(s.opts.Scopes, sc):
			granted = append(granted, sc)
		case !s.opts.PartialScopes:
			return authError(http.StatusBadRequest, "invalid_scope", fmt.Sprintf("Scope %q is not granted to this client app (granted: %s)", sc, strings.Join(s.opts.Scopes, " ")), 0)
		}
	}
	scopes = dedupe(granted)
	var b [32]byte
	rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	now := time.Now()
	s.tokMu.Lock()
	if len(s.tokens) >= 1024 {
		for k, t := range s.tokens {
			if !now.Before(t.expires) {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = token{expires: now.Add(s.opts.TokenTTL), scopes: scopes}
	s.tokMu.Unlock()
	secs := int64((s.opts.TokenTTL + time.Second - 1) / time.Second)
	if s.opts.TokenWithoutScope {
		return jsonReply(http.StatusOK, struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int64  `json:"expires_in"`
		}{tok, "Bearer", secs})
	}
	return jsonReply(http.StatusOK, TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: secs, Scope: strings.Join(scopes, " ")})
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func dedupe(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
