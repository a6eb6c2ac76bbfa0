package ninjaone

import (
	"bufio"
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
	// maxBody bounds how much of one response is read.
	maxBody int64
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
		hc:        hc,
		log:       log,
		retry:     cfg.Retry.withDefaults(),
		userAgent: ua,
		secret:    cfg.ClientSecret,
		sleep:     sleepCtx,
		maxBody:   1 << 30,
	}
	c.watch(cfg)
	c.tokens = newTokenCache(c, cfg)
	return c, nil
}

// BaseURL is the tenant's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// redact removes the client secret and the current token from s: error
// texts from lower layers are never trusted to be clean.
func (c *Client) redact(s string) string {
	if c.secret != "" {
		s = strings.ReplaceAll(s, c.secret, "[REDACTED]")
	}
	if c.tokens != nil {
		if tok := c.tokens.current.Load(); tok != nil && *tok != "" {
			s = strings.ReplaceAll(s, *tok, "[REDACTED]")
		}
	}
	return s
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
	refreshed := false
	// uncertain: an earlier send may have been carried out.
	uncertain, everUncertain := false, false
	for {
		if uncertain && k.resolve != nil {
			done, nb, err := k.resolve(ctx)
			if err != nil {
				return fmt.Errorf("%s %s: the outcome of an interrupted attempt is unknown and re-reading to check it failed: %w", k.method, k.path, err)
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

		tok, err := c.tokens.token(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		resp, err := c.send(ctx, k, body, tok.AccessToken)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.Debug("http", "method", k.method, "path", k.path, "error", c.redact(err.Error()), "duration", time.Since(start).Round(time.Millisecond).String(), "attempt", r.attempt)
			if perr := r.network(err); perr != nil {
				return perr
			}
			cause := fmt.Errorf("%s %s: %s", k.method, k.path, c.redact(unwrapURLError(err).Error()))
			if k.write() && !neverSent(err) {
				uncertain, everUncertain = true, true
			}
			if werr := r.wait(ctx, "", cause); werr != nil {
				return uncertainErr(werr, everUncertain && k.write())
			}
			continue
		}
		status := resp.StatusCode
		reqID := resp.Header.Get("x-nj-request-id")
		br := bufio.NewReaderSize(io.LimitReader(resp.Body, c.maxBody), 32<<10)
		kind := peekKind(br)
		c.log.Debug("http", "method", k.method, "path", k.path, "status", status, "duration", time.Since(start).Round(time.Millisecond).String(), "request_id", reqID, "attempt", r.attempt)

		switch {
		case status >= 200 && status < 300 && kind != bodyHTML:
			var derr error
			if k.out != nil && status != http.StatusNoContent {
				dec := json.NewDecoder(br)
				if l, ok := k.out.(streamer); ok {
					derr = l.stream(dec)
				} else {
					derr = dec.Decode(k.out)
				}
			}
			closeBody(resp)
			if derr == nil {
				return nil
			}
			cause := &APIError{Method: k.method, Path: k.path, StatusCode: status, RequestID: reqID,
				Snippet: "response body could not be decoded: " + derr.Error()}
			if k.write() {
				// The write succeeded, only its answer was lost. A write
				// that can check (resolve) does so; one whose answer is
				// not needed is done.
				if k.resolve == nil {
					return nil
				}
				uncertain, everUncertain = true, true
			}
			if werr := r.wait(ctx, "", cause); werr != nil {
				return uncertainErr(werr, everUncertain && k.write())
			}
			continue

		case status == http.StatusUnauthorized && !refreshed && kind != bodyHTML:
			// The token expired or was revoked early: fetch one new one
			// and try once more.
			closeBody(resp)
			c.tokens.invalidate(tok)
			refreshed = true
			continue
		}

		e := &APIError{Method: k.method, Path: k.path, StatusCode: status, RequestID: reqID}
		raw, _ := io.ReadAll(io.LimitReader(br, 64<<10))
		closeBody(resp)
		retryable := false
		if kind == bodyHTML || kind == bodyOther {
			// NinjaOne answers every /v2 call in JSON; an HTML page is a
			// throttling or maintenance page from in front of it.
			e.Snippet = snippet(c.redact(string(raw)))
			e.Hint = "NinjaOne answered with a non-JSON page (throttling or maintenance)"
			retryable = true
		} else {
			decodeErrorBody([]byte(c.redact(string(raw))), e)
			retryable = retryableStatus(status)
		}
		// A gateway's 500, 502 or 504 page, HTML or not, can come after
		// NinjaOne behind it carried the write out.
		if k.write() && maybeApplied(status) {
			uncertain, everUncertain = true, true
		}
		if !retryable {
			if status == http.StatusNotFound && k.method == http.MethodDelete && everUncertain && !e.routeLevel() {
				// An earlier, interrupted DELETE did its work.
				return nil
			}
			c.hint(e, k)
			e.Attempts = r.attempt
			return e
		}
		if werr := r.wait(ctx, resp.Header.Get("Retry-After"), e); werr != nil {
			return uncertainErr(werr, everUncertain && k.write())
		}
	}
}

func (c *Client) hint(e *APIError, k *call) {
	switch {
	case e.Hint != "":
	case e.routeLevel():
		e.Hint = fmt.Sprintf("this NinjaOne instance (%s) does not serve %s; check the region or base URL", c.base.Host, k.template)
	case e.StatusCode == http.StatusForbidden && k.write():
		e.Hint = "the API client needs the management scope, and some calls a System Administrator's rights"
	case e.StatusCode == http.StatusForbidden:
		e.Hint = "the API client needs the monitoring scope"
	case e.StatusCode == http.StatusUnauthorized:
		e.Hint = "the token was refused even after fetching a new one: check the client id, secret and scope"
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

// streamer decodes a JSON array element by element, so a 50 MB list is
// never buffered whole (json.Decoder.Decode reads a value completely
// before decoding it).
type streamer interface {
	stream(dec *json.Decoder) error
}

// listOf is the out of a list call.
type listOf[T any] struct{ p *[]T }

func (l listOf[T]) stream(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null: an empty list
		*l.p = []T{}
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want a JSON array, found %v", tok)
	}
	// A retried read starts again from an empty list.
	*l.p = (*l.p)[:0]
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*l.p = append(*l.p, v)
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return err
	}
	return nil
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

// peekKind looks at the first non-space byte of a body without consuming it.
func peekKind(br *bufio.Reader) bodyKind {
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if err != nil || i > 4096 {
			if len(b) == 0 || onlySpace(b) {
				return bodyEmpty
			}
			return bodyOther
		}
		switch ch := b[i-1]; ch {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // space or a UTF-8 BOM
			continue
		case '{', '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return bodyJSON
		case '<':
			return bodyHTML
		default:
			return bodyOther
		}
	}
}

func onlySpace(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

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
