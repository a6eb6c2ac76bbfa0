package ninjaone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultScope is what ninjaops asks for: reads and user management.
const DefaultScope = "monitoring management"

// Config holds the connection settings of a Client.
type Config struct {
	// BaseURL is the tenant's host, e.g. https://eu.ninjarmm.com. See
	// ResolveBaseURL for the --region shortcut.
	BaseURL      string
	ClientID     string
	ClientSecret string
	// Scope is space separated; empty means DefaultScope.
	Scope string
	// HTTPClient is optional; its Transport is used for every request,
	// which is where tests put their contract validators.
	HTTPClient *http.Client
	// Logger receives one debug line per HTTP call; nil discards.
	Logger *slog.Logger
	Retry  RetryPolicy
	// UserAgent is sent on every request.
	UserAgent string
	// OnNotice, when set, hears why a call is retried (on its first
	// retry) and when a connection is slow to come, so that nobody waits
	// in silence (notice.go). OnTransfer, when set, hears how far each
	// response has been read, for a progress display. Neither may block.
	OnNotice   func(Notice)
	OnTransfer func(Transfer)
}

// Client talks to one NinjaOne tenant. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	hc        *http.Client
	tokens    *tokenCache
	log       *slog.Logger
	retry     RetryPolicy
	userAgent string
	secret    string
	// sleep waits between attempts; tests shorten it.
	sleep func(context.Context, time.Duration) error
	// lim bounds what one response may cost; tests lower it.
	lim limits
	// The hooks of Config, and how long a connection may take before
	// onNotice hears of it (notice.go).
	onNotice    func(Notice)
	onTransfer  func(Transfer)
	slowConnect time.Duration
}

// New checks cfg and returns a Client. It makes no request: the first call
// fetches the token.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("ninjaone: no base URL")
	}
	base, err := CheckBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("ninjaone: client id and client secret are required")
	}
	if strings.TrimSpace(cfg.Scope) == "" {
		cfg.Scope = DefaultScope
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 2 * time.Minute
		t.MaxIdleConnsPerHost = 32
		hc = &http.Client{Transport: t}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "ninjaops"
	}
	c := &Client{
		base:      base,
		hc:        guardedClient(hc, base),
		log:       log,
		retry:     cfg.Retry.withDefaults(),
		userAgent: ua,
		secret:    cfg.ClientSecret,
		sleep:     sleepCtx,
		lim:       defaultLimits,
	}
	c.watch(cfg)
	c.tokens = newTokenCache(c, cfg)
	return c, nil
}

// BaseURL is the tenant's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// redact removes the client secret and the current token from s, in any
// encoding (redact.go): error texts from lower layers and servers are
// never trusted to be clean.
func (c *Client) redact(s string) string {
	var tok string
	if c.tokens != nil {
		if t := c.tokens.current.Load(); t != nil {
			tok = *t
		}
	}
	return redactSecrets(s, c.secret, tok)
}

// call is one logical API request, sent as many times as it takes.
type call struct {
	method string
	path   string // the filled-in path, e.g. /v2/user/end-user/12
	// template is the spec's path template, for logs.
	template string
	query    url.Values
	body     any
	// out receives the decoded body of a success; nil discards it.
	out any
	// resolve runs before a write whose earlier send may have been carried
	// out is sent again. It re-reads NinjaOne: done=true means the write
	// has happened (out is filled as needed); otherwise body, if non-nil,
	// replaces what is sent next (the part still to do).
	resolve func(ctx context.Context) (done bool, body any, err error)
	// gone, for a DELETE, re-reads whether the object is gone: a 404 is
	// "already gone" only when it confirms it.
	gone func(ctx context.Context) (bool, error)
}

func (k *call) write() bool { return k.method != http.MethodGet }

// do sends k until it succeeds, fails for good, or the retry policy or ctx
// ends it.
func (c *Client) do(ctx context.Context, k *call) error {
	body, err := marshalBody(k.body)
	if err != nil {
		return err
	}
	r := c.newRetrier(k.method, k.path)
	// The call's budget bounds all it does, the reading of every body
	// included: a body dripped a byte at a time ends with it, not never.
	cctx, cancel := context.WithDeadlineCause(ctx, r.start.Add(c.retry.MaxElapsed), errBudget)
	defer cancel()
	refreshed := false
	// uncertain: an earlier send may have been carried out.
	uncertain, everUncertain := false, false
	// end is the final error of the call, marked when a write may have
	// happened.
	end := func(err error) error {
		return uncertainErr(c.stopped(ctx, cctx, k, r, err), everUncertain && k.write())
	}
	for {
		if uncertain && k.resolve != nil {
			done, nb, err := k.resolve(cctx)
			if err != nil {
				return fmt.Errorf("%s %s: the outcome of an interrupted attempt is unknown and re-reading to check it failed: %w", k.method, k.path, c.stopped(ctx, cctx, k, r, err))
			}
			if done {
				c.log.Debug("interrupted write had been carried out", "method", k.method, "path", k.path)
				return nil
			}
			if nb != nil {
				if body, err = marshalBody(nb); err != nil {
					return err
				}
			}
		}
		uncertain = false

		tok, err := c.tokens.token(cctx)
		if err != nil {
			return end(err)
		}
		if k.write() {
			// Refused here rather than by a 403: nothing is sent that the
			// token cannot do.
			if err := missingScope(c.tokens.cfg.Scopes, tok, ScopeManagement); err != nil {
				return end(err)
			}
		}
		start := time.Now()
		resp, err := c.send(cctx, k, body, tok.AccessToken)
		if err != nil {
			if k.write() && !neverSent(err) {
				uncertain, everUncertain = true, true
			}
			if cctx.Err() != nil {
				return end(cctx.Err())
			}
			c.log.Debug("http", "method", k.method, "path", k.path, "error", c.redact(err.Error()), "duration", time.Since(start).Round(time.Millisecond).String(), "attempt", r.attempt)
			if perr := r.network(err); perr != nil {
				// No retry fixes it (an unknown host, a refused certificate).
				return end(markUnreachable(perr, err))
			}
			cause := markUnreachable(fmt.Errorf("%s %s: %s", k.method, k.path, c.redact(unwrapURLError(err).Error())), err)
			if werr := r.wait(cctx, "", cause); werr != nil {
				return end(werr)
			}
			continue
		}
		status := resp.StatusCode
		reqID := resp.Header.Get("x-nj-request-id")
		if isRedirect(status) {
			// Never followed (see guardedClient): the API has no reason to
			// redirect, and following could carry the token elsewhere.
			loc := resp.Header.Get("Location")
			closeBody(resp)
			c.log.Debug("http", "method", k.method, "path", k.path, "status", status, "duration", time.Since(start).Round(time.Millisecond).String(), "request_id", reqID, "attempt", r.attempt)
			e := c.redirectError(k.method, k.path, status, reqID, loc)
			e.Attempts = r.attempt
			return end(e)
		}
		sc := newScanner(resp.Body, c.lim)
		sc.where, sc.status = k.method+" "+k.path, status
		kind := sc.kind()
		c.log.Debug("http", "method", k.method, "path", k.path, "status", status, "duration", time.Since(start).Round(time.Millisecond).String(), "request_id", reqID, "attempt", r.attempt)

		switch {
		case status >= 200 && status < 300 && (kind == bodyJSON || kind == bodyEmpty):
			var derr error
			if k.out != nil {
				derr = decoderFor(k.out).decode(sc)
			}
			closeBody(resp)
			if derr == nil {
				return nil
			}
			if k.write() {
				// The write succeeded, only its answer was lost. A write
				// that can check (resolve) does so; one whose answer is
				// not needed is done.
				if k.resolve == nil {
					return nil
				}
				uncertain, everUncertain = true, true
			}
			if cctx.Err() != nil {
				return end(cctx.Err())
			}
			if !k.write() && permanent(derr) {
				return end(c.decodeError(k, reqID, r.attempt, derr))
			}
			cause := &APIError{Method: k.method, Path: k.path, StatusCode: status, RequestID: reqID,
				Snippet: undecodable + c.redact(derr.Error())}
			if werr := r.wait(cctx, "", cause); werr != nil {
				return end(werr)
			}
			continue

		case status == http.StatusUnauthorized && !refreshed && kind != bodyHTML && kind != bodyOther:
			// The token expired or was revoked early: fetch one new one
			// and try once more.
			closeBody(resp)
			c.tokens.invalidate(tok)
			refreshed = true
			continue
		}

		e := &APIError{Method: k.method, Path: k.path, StatusCode: status, RequestID: reqID}
		raw := sc.rest(64 << 10)
		closeBody(resp)
		retryable := false
		if kind == bodyHTML || kind == bodyOther {
			// NinjaOne answers every /v2 call in JSON; an HTML page is a
			// throttling or maintenance page from in front of it.
			e.Snippet = snippet(c.redact(string(raw)))
			e.Hint = "NinjaOne answered with a non-JSON page (throttling or maintenance)"
			retryable = true
			if k.write() {
				// Whatever its status, the page came from in front of
				// NinjaOne, which may have carried the write out behind
				// it: handled like a reset, re-read before sending again.
				uncertain, everUncertain = true, true
			}
		} else {
			decodeErrorBody([]byte(c.redact(string(raw))), e)
			retryable = retryableStatus(status)
			// A gateway's 500, 502 or 504 can come after NinjaOne behind
			// it carried the write out.
			if k.write() && maybeApplied(status) {
				uncertain, everUncertain = true, true
			}
		}
		if e.userContextRequired() {
			// Retrying cannot help: no client-credentials token has a user.
			e.Hint = userContextHint
			e.Attempts = r.attempt
			return end(e)
		}
		if !retryable {
			if status == http.StatusNotFound && k.gone != nil && !e.routeLevel() {
				return c.confirmGone(cctx, k, e, everUncertain)
			}
			c.hint(e, k)
			e.Attempts = r.attempt
			return e
		}
		if werr := r.wait(cctx, resp.Header.Get("Retry-After"), e); werr != nil {
			return end(werr)
		}
	}
}

// errBudget is the cause of a call's context when its retry budget ran
// out (see do).
var errBudget = errors.New("retry budget exhausted")

// stopped turns the end of a call's context into an error that says so:
// the caller's own cancellation as it is, the budget with its figure.
func (c *Client) stopped(ctx, cctx context.Context, k *call, r *retrier, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case cctx.Err() != nil && context.Cause(cctx) == errBudget:
		return fmt.Errorf("%s %s: no complete answer within the retry budget of %s (after %d attempts)", k.method, k.path, c.retry.MaxElapsed, r.attempt)
	}
	return err
}

// permanent says whether a body that could not be decoded is worth
// reading again: a truncated or garbled body may be passing, an answer
// over the limits, of the wrong types or that is not a list is not.
func permanent(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.Is(err, errTooLarge) || errors.Is(err, ErrInconsistent) || errors.As(err, &te)
}

// decodeError is the final error of a read whose answer cannot be used.
func (c *Client) decodeError(k *call, reqID string, attempts int, err error) error {
	if errors.Is(err, ErrInconsistent) {
		return err
	}
	var ids []string
	if reqID != "" {
		ids = append(ids, "request id "+reqID)
	}
	if attempts > 1 {
		ids = append(ids, fmt.Sprintf("after %d attempts", attempts))
	}
	suffix := ""
	if len(ids) > 0 {
		suffix = " [" + strings.Join(ids, ", ") + "]"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		suffix += "; the answer does not match NinjaOne's API description"
	}
	return fmt.Errorf("%s %s: %s%s", k.method, k.path, c.redact(err.Error()), suffix)
}

// confirmGone decides a DELETE answered 404 by re-reading: the body of a
// missing user is unknown, so only a list without the user says it is
// gone.
func (c *Client) confirmGone(ctx context.Context, k *call, e *APIError, everUncertain bool) error {
	gone, err := k.gone(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("%s %s answered %d %s, and re-reading to confirm the user is gone failed: %w", k.method, k.path, e.StatusCode, http.StatusText(e.StatusCode), err)
	case !gone:
		return fmt.Errorf("%s %s answered %d %s, yet NinjaOne still lists the user: it was not deleted; run plan to see (%v)", k.method, k.path, e.StatusCode, http.StatusText(e.StatusCode), e)
	case everUncertain:
		// An earlier, interrupted DELETE did its work.
		return nil
	}
	c.hint(e, k)
	return e
}

func (c *Client) hint(e *APIError, k *call) {
	switch {
	case e.Hint != "":
	case strings.EqualFold(e.AuthError, "missing_header"):
		e.Hint = "NinjaOne received the call without its Authorization header: something between ninjaops and NinjaOne (a proxy or gateway) removed it"
	case strings.EqualFold(e.AuthError, "invalid_header"):
		e.Hint = "NinjaOne could not read the call's Authorization header: something between ninjaops and NinjaOne (a proxy or gateway) changed it"
	case e.StatusCode == http.StatusUnauthorized:
		e.Hint = fmt.Sprintf("NinjaOne refused the token even after a new one was fetched: check that the client app belongs to %s (a token from one region is not valid on another) and the client id and secret", c.base.Host)
	case e.routeLevel():
		e.Hint = fmt.Sprintf("this NinjaOne instance (%s) does not serve %s; check the region or base URL", c.base.Host, k.template)
	case e.StatusCode == http.StatusForbidden && k.write():
		e.Hint = "the API client needs the management scope, and some calls a System Administrator's rights"
	case e.StatusCode == http.StatusForbidden:
		e.Hint = "the API client needs the monitoring scope"
	}
}

// uncertainErr marks a final error of a write that may have been carried
// out, so that the user knows to re-plan rather than to assume nothing
// happened.
func uncertainErr(err error, uncertain bool) error {
	if !uncertain || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (the change may or may not have been made: run plan to see)", err)
}

func (c *Client) send(ctx context.Context, k *call, body []byte, token string) (*http.Response, error) {
	u := c.base.String() + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.hc.Do(req)
}

func marshalBody(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ninjaone: encoding request: %w", err)
	}
	return b, nil
}

type bodyKind int

const (
	bodyEmpty bodyKind = iota
	bodyJSON
	bodyHTML
	bodyOther
)

func looksLikeJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func isHTML(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '<'
}

func closeBody(resp *http.Response) {
	// Drain a little so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// neverSent reports a failure to connect at all, after which a write is
// known not to have reached the server.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unwrapURLError drops net/url's "Get \"URL\": " prefix: the caller names
// the method and path itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
