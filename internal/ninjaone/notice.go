package ninjaone

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"
)

// What the client tells the person waiting for it, and the network errors
// it does not retry. A call that retries for up to two minutes must not do
// so in silence: Config.OnNotice hears, on the first retry of a call, why
// it is retried, and hears when a connection has not been made after a
// couple of seconds. Config.OnTransfer hears how far each response has
// been read, for a progress display. Errors that no retry can fix (a host
// that does not exist, a certificate that is refused, a server that does
// not speak TLS, a token endpoint that is a 404 page) end the call at once.

// Notice is something a person should know while a call waits.
type Notice struct {
	// Message is one line for a person, e.g. "NinjaOne at
	// https://eu.ninjarmm.com is not answering (connection refused);
	// retrying...". It never holds a secret.
	Message string
	Method  string
	Path    string
	// Attempt is the attempt that failed; Wait how long until the next
	// one (0 when the call is still waiting on its first attempt).
	Attempt int
	Wait    time.Duration
}

// Transfer is how far the response to one request has been read.
type Transfer struct {
	Method string
	Path   string
	// Write marks a call that changes something (not a read, not the
	// token call).
	Write bool
	// Start marks the request being sent; Done the response read to its
	// end or abandoned (also after an error without a response).
	Start bool
	Done  bool
	// Read is how much of the response body the latest read got; Bytes
	// how much has been read so far.
	Read  int64
	Bytes int64
}

// slowConnect is how long a connection may take before OnNotice hears of
// it.
const slowConnect = 2 * time.Second

// watch installs cfg's hooks: it wraps the HTTP client's transport so that
// slow connections and response progress are reported. Without hooks it
// changes nothing.
func (c *Client) watch(cfg Config) {
	c.onNotice, c.onTransfer = cfg.OnNotice, cfg.OnTransfer
	if c.slowConnect == 0 {
		c.slowConnect = slowConnect
	}
	if c.onNotice == nil && c.onTransfer == nil {
		return
	}
	hc := *c.hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = watchTransport{next: next, c: c}
	c.hc = &hc
}

func (c *Client) notice(n Notice) {
	if c.onNotice != nil {
		n.Message = c.redact(n.Message)
		c.onNotice(n)
	}
}

func (c *Client) transfer(t Transfer) {
	if c.onTransfer != nil {
		c.onTransfer(t)
	}
}

// where names the tenant in messages: its base URL, which holds no
// credentials (CheckBaseURL refuses them).
func (c *Client) where() string { return "NinjaOne at " + c.base.String() }

type watchTransport struct {
	next http.RoundTripper
	c    *Client
}

func (t watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	method, path := req.Method, req.URL.Path
	write := method != http.MethodGet && path != c.base.Path+tokenPath
	c.transfer(Transfer{Method: method, Path: path, Write: write, Start: true})
	if c.onNotice != nil {
		var connected atomic.Bool
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
		}))
		wait := c.slowConnect
		timer := time.AfterFunc(wait, func() {
			if !connected.Load() && req.Context().Err() == nil {
				c.notice(Notice{Method: method, Path: path, Attempt: 1,
					Message: fmt.Sprintf("%s is not answering (no connection after %s); still trying...", c.where(), wait)})
			}
		})
		defer timer.Stop()
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		c.transfer(Transfer{Method: method, Path: path, Write: write, Done: true})
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, c: c, t: Transfer{Method: method, Path: path, Write: write}}
	return resp, nil
}

// countingBody reports each read of a response body to OnTransfer.
type countingBody struct {
	io.ReadCloser
	c    *Client
	t    Transfer // the request's; Bytes counts
	done atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.t.Read = int64(n)
		b.t.Bytes += int64(n)
		b.c.transfer(b.t)
	}
	return n, err
}

func (b *countingBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done.CompareAndSwap(false, true) {
		t := b.t
		t.Read, t.Done = 0, true
		b.c.transfer(t)
	}
	return err
}

// network looks at err, the failure to send a request or to read its
// answer: it returns the error to give up with at once when no retry can
// fix it, and otherwise remembers in r why the next attempt is made.
func (r *retrier) network(err error) error {
	c := r.c
	reason := c.redact(netReason(err))
	r.reason = reason
	prefix := fmt.Sprintf("%s %s: %s", r.method, r.path, c.where())
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var notTLS tls.RecordHeaderError
	msg := c.redact(unwrapURLError(err).Error())
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Errorf("%s cannot be reached: no such host %q; check --base-url or --region (NinjaOne's hosts are %s, or a branded domain)",
			prefix, dnsErr.Name, strings.Join(regionHosts(), ", "))
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &verify):
		if verify != nil {
			msg = c.redact(verify.Err.Error())
		}
		return fmt.Errorf("%s cannot be reached safely: its TLS certificate was refused (%s); check the base URL, or the proxy on this network that intercepts TLS",
			prefix, msg)
	case errors.As(err, &notTLS), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		// net/http says the latter, without a type, when the answer to
		// the TLS hello looks like HTTP.
		return fmt.Errorf("%s does not answer in TLS (%s); check the base URL's scheme and port", prefix, msg)
	}
	return nil
}

// netReason is the last, most specific part of a network error:
// "connection refused", "no such host", "i/o timeout".
func netReason(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Err
	}
	msg := unwrapURLError(err).Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

func regionHosts() []string {
	var hosts []string
	for _, name := range RegionNames() {
		hosts = append(hosts, strings.TrimPrefix(Regions[name], "https://"))
	}
	return hosts
}

// noticeRetry tells OnNotice, on the first retry of a call, that it is
// retried and why.
func (r *retrier) noticeRetry(cause error, wait time.Duration) {
	reason := r.reason
	r.reason = ""
	if r.attempt != 1 || r.c.onNotice == nil {
		return
	}
	var msg string
	var e *APIError
	switch {
	case reason != "":
		msg = fmt.Sprintf("%s is not answering (%s); retrying...", r.c.where(), reason)
	case errors.As(cause, &e) && strings.HasPrefix(e.Snippet, undecodable):
		// A success whose body broke off or did not decode.
		msg = fmt.Sprintf("%s: the answer to %s %s was cut short (%s); retrying...", r.c.where(), r.method, r.path, strings.TrimPrefix(e.Snippet, undecodable))
	case errors.As(cause, &e) && e.StatusCode == http.StatusTooManyRequests:
		msg = fmt.Sprintf("%s is throttling requests (429 Too Many Requests); retrying in %s...", r.c.where(), roundWait(wait))
	case errors.As(cause, &e) && e.Snippet != "" && e.ResultCode == "":
		msg = fmt.Sprintf("%s answered %d with a page that is not the API's (throttling or maintenance); retrying...", r.c.where(), e.StatusCode)
	case errors.As(cause, &e):
		msg = fmt.Sprintf("%s answered %d %s; retrying...", r.c.where(), e.StatusCode, http.StatusText(e.StatusCode))
	default:
		msg = fmt.Sprintf("%s: %s; retrying...", r.c.where(), cause)
	}
	r.c.notice(Notice{Message: msg, Method: r.method, Path: r.path, Attempt: r.attempt, Wait: wait})
}

// undecodable starts the snippet of a success whose body did not decode
// (client.go).
const undecodable = "response body could not be decoded: "

func roundWait(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// transientPage says whether a token answer that is not JSON is worth
// asking again: a throttling or maintenance page (2xx, 408, 429, 5xx) is;
// any other 4xx page, a 404 above all, means the base URL has no NinjaOne
// token endpoint, which no retry changes.
func (t *tokenCache) transientPage(e *APIError, body []byte) bool {
	switch code := e.StatusCode; {
	case retryableStatus(code), code == http.StatusRequestTimeout:
		return true
	case code >= 200 && code < 300:
		return isHTML(body)
	case code == http.StatusNotFound:
		e.Hint = fmt.Sprintf("%s has no NinjaOne token endpoint (a web page answered instead): check --base-url or --region", t.c.base)
	case code >= 400 && code < 500:
		e.Hint = fmt.Sprintf("a web page answered instead of NinjaOne's token endpoint at %s: check --base-url or --region, or a proxy in between", t.c.base)
	}
	return false
}
