package ninjaone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const tokenPath = "/ws/oauth/token"

// tokenCache hands out one OAuth2 client-credentials token until it expires
// or NinjaOne refuses it, then fetches exactly one new one, however many
// requests are waiting.
type tokenCache struct {
	c   *Client
	cfg clientcredentials.Config

	mu  sync.Mutex
	tok *oauth2.Token
	// current is the access token in use, readable without mu so that
	// error texts can be scrubbed of it while a fetch holds the lock.
	current atomic.Pointer[string]
}

func newTokenCache(c *Client, cfg Config) *tokenCache {
	return &tokenCache{
		c: c,
		cfg: clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     c.base.String() + tokenPath,
			Scopes:       strings.Fields(cfg.Scope),
			// NinjaOne documents the credentials as form fields.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// token returns a valid token, fetching one if needed.
func (t *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.Valid() {
		return t.tok, nil
	}
	tok, err := t.fetch(ctx)
	if err != nil {
		return nil, err
	}
	t.tok = tok
	t.current.Store(&tok.AccessToken)
	return tok, nil
}

// invalidate forgets tok after NinjaOne answered 401 to it, so the next
// call fetches a fresh one. A token another goroutine already replaced is
// left alone.
func (t *tokenCache) invalidate(tok *oauth2.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == tok {
		t.tok = nil
	}
}

// fetch asks the token endpoint for a token, retrying transient failures
// under the client's retry policy.
func (t *tokenCache) fetch(ctx context.Context) (*oauth2.Token, error) {
	var tok *oauth2.Token
	r := t.c.newRetrier(http.MethodPost, tokenPath)
	// The budget bounds the answer's reading too, as for API calls.
	cctx, cancel := context.WithDeadlineCause(ctx, r.start.Add(t.c.retry.MaxElapsed), errBudget)
	defer cancel()
	hctx := context.WithValue(cctx, oauth2.HTTPClient, t.loggedClient())
	for {
		var err error
		tok, err = t.cfg.Token(hctx)
		if err == nil {
			if tok.AccessToken == "" {
				return nil, &APIError{Method: http.MethodPost, Path: tokenPath, StatusCode: http.StatusOK,
					Hint: "the token endpoint answered without an access_token", Attempts: r.attempt}
			}
			t.compareScopes(tok)
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if cctx.Err() != nil {
			return nil, fmt.Errorf("POST %s: no complete answer within the retry budget of %s (after %d attempts)", tokenPath, t.c.retry.MaxElapsed, r.attempt)
		}
		apiErr, transient := t.classify(err)
		if apiErr != nil {
			apiErr.Attempts = r.attempt
		}
		if !transient {
			if apiErr != nil {
				return nil, apiErr
			}
			return nil, fmt.Errorf("POST %s: %s", tokenPath, t.c.redact(err.Error()))
		}
		if apiErr == nil {
			if perr := r.network(err); perr != nil {
				return nil, markUnreachable(perr, err)
			}
		}
		var retryAfter string
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			retryAfter = re.Response.Header.Get("Retry-After")
		}
		// A nil *APIError in an error interface is not a nil error.
		var cause error = markUnreachable(fmt.Errorf("POST %s: %s", tokenPath, t.c.redact(unwrapURLError(err).Error())), err)
		if apiErr != nil {
			cause = apiErr
		}
		if werr := r.wait(cctx, retryAfter, cause); werr != nil {
			return nil, werr
		}
	}
}

// compareScopes warns when the token answer lists fewer scopes than were
// asked: some regions grant the subset an app has instead of refusing the
// call. Each piece of work checks the scope it needs (RequireScope), so a
// plan goes ahead without management and an apply is refused.
func (t *tokenCache) compareScopes(tok *oauth2.Token) {
	granted, ok := grantedScopes(tok)
	if !ok {
		return
	}
	var missing []string
	for _, s := range t.cfg.Scopes {
		if !hasScope(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		t.c.log.Warn("NinjaOne granted fewer scopes than asked", "asked", strings.Join(t.cfg.Scopes, " "),
			"granted", strings.Join(granted, " "), "missing", strings.Join(missing, " "))
	}
}

// loggedClient is the client's HTTP client with a transport that logs the
// token call the way do logs API calls: the oauth2 package sends it, so
// only a transport sees its status and request id. The request's form
// carries the secret and the response the token: neither is logged.
func (t *tokenCache) loggedClient() *http.Client {
	hc := *t.c.hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = tokenLogTransport{next: next, c: t.c}
	return &hc
}

type tokenLogTransport struct {
	next http.RoundTripper
	c    *Client
}

func (lt tokenLogTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := lt.next.RoundTrip(req)
	d := time.Since(start).Round(time.Millisecond).String()
	if err != nil {
		lt.c.log.Debug("http", "method", req.Method, "path", req.URL.Path, "error", lt.c.redact(err.Error()), "duration", d)
		return nil, err
	}
	lt.c.log.Debug("http", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "duration", d, "request_id", resp.Header.Get("x-nj-request-id"))
	return resp, nil
}

// classify turns a token error into an *APIError with a hint, and says
// whether trying again could help.
func (t *tokenCache) classify(err error) (*APIError, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		// Network trouble: the token call changes nothing, so it is safe
		// to send again.
		return nil, true
	}
	e := &APIError{
		Method:     http.MethodPost,
		Path:       tokenPath,
		StatusCode: re.Response.StatusCode,
		RequestID:  re.Response.Header.Get("x-nj-request-id"),
	}
	if isRedirect(e.StatusCode) {
		// Never followed (see guardedClient): it would re-post the secret.
		loc := re.Response.Header.Get("Location")
		r := t.c.redirectError(http.MethodPost, tokenPath, e.StatusCode, e.RequestID, loc)
		return r, false
	}
	body := []byte(t.c.redact(string(re.Body)))
	if !looksLikeJSON(body) {
		e.Snippet = snippet(t.c.redact(string(body)))
		return e, t.transientPage(e, body)
	}
	decodeErrorBody(body, e)
	if e.AuthError == "" {
		e.AuthError = re.ErrorCode
		e.AuthDescription = t.c.redact(re.ErrorDescription)
	}
	host := t.c.base.Host
	switch {
	case e.ResultCode == "Client app not exist" || (e.StatusCode == http.StatusNotFound && e.AuthError == ""):
		e.Hint = fmt.Sprintf("the client id is not known on %s: check --client-id, and --region or --base-url (a tenant lives on exactly one host)", host)
	case e.AuthError == "invalid_scope":
		e.Hint = fmt.Sprintf("the API client was not granted the scope %q: grant it to the client app in NinjaOne, or pass a narrower --scope", strings.Join(t.cfg.Scopes, " "))
	case e.AuthError == "invalid_client" || e.AuthError == "unauthorized_client" || e.StatusCode == http.StatusUnauthorized:
		e.Hint = "the client id or secret was refused: check --client-id and --client-secret"
	}
	return e, retryableStatus(e.StatusCode)
}

// decodeErrorBody fills e from any of NinjaOne's three error shapes.
func decodeErrorBody(body []byte, e *APIError) {
	var shape struct {
		ResultCode       string          `json:"resultCode"`
		ErrorMessage     string          `json:"errorMessage"`
		ErrorDetails     json.RawMessage `json:"errorDetails"`
		IncidentID       json.RawMessage `json:"incidentId"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
		AuthCode         json.RawMessage `json:"error_code"`
		ErrorCode        json.RawMessage `json:"errorCode"`
		Message          string          `json:"message"`
	}
	if json.Unmarshal(body, &shape) != nil {
		e.Snippet = snippet(string(body))
		return
	}
	e.ResultCode = shape.ResultCode
	e.ErrorMessage = shape.ErrorMessage
	e.ErrorDetails = snippet(string(shape.ErrorDetails))
	e.IncidentID = rawString(shape.IncidentID)
	e.AuthError = shape.Error
	e.AuthDescription = shape.ErrorDescription
	e.AuthCode = rawString(shape.AuthCode)
	e.BillingCode = rawString(shape.ErrorCode)
	e.BillingMessage = shape.Message
	if e.ResultCode == "" && e.ErrorMessage == "" && e.AuthError == "" && e.AuthDescription == "" &&
		e.BillingCode == "" && e.BillingMessage == "" {
		e.Snippet = snippet(string(body))
	}
}

// rawString renders a JSON scalar that may be a string or a number.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return snippet(string(raw))
}

func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 200
	if len(s) > max {
		// Cut on a rune boundary.
		for i := max; i > 0; i-- {
			if s[i]&0xC0 != 0x80 {
				return s[:i] + "..."
			}
		}
	}
	return s
}
