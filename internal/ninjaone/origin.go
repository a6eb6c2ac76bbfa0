package ninjaone

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// guardedClient returns a copy of hc that never follows a redirect and
// sends nothing to another origin than base's. Credentials (the client
// secret on the token call, the bearer token on every other) go only to
// the configured host, over the configured scheme: a redirect could carry
// them to another host, or from https down to plain http.
func guardedClient(hc *http.Client, base *url.URL) *http.Client {
	g := *hc
	next := g.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	g.Transport = originGuard{next: next, scheme: base.Scheme, host: base.Host}
	g.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &g
}

// originGuard refuses requests to any origin but one.
type originGuard struct {
	next         http.RoundTripper
	scheme, host string
}

func (o originGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Scheme, o.scheme) || !strings.EqualFold(req.URL.Host, o.host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("refusing to send a request to %s://%s: ninjaops sends credentials only to the base URL's %s://%s", req.URL.Scheme, req.URL.Host, o.scheme, o.host)
	}
	return o.next.RoundTrip(req)
}

func isRedirect(status int) bool { return status >= 300 && status < 400 }

// redirectError is the refusal of an answer that redirects, naming where
// it pointed (without any credentials or query it may carry).
func (c *Client) redirectError(method, path string, status int, reqID, location string) *APIError {
	return &APIError{Method: method, Path: path, StatusCode: status, RequestID: reqID,
		Hint: fmt.Sprintf("NinjaOne answered with a redirect to %s, which ninjaops never follows (it could carry the credentials to another host or over plain http): check the base URL, which must be the tenant's own host, e.g. https://eu.ninjarmm.com",
			c.redact(describeLocation(location)))}
}

func describeLocation(loc string) string {
	if loc == "" {
		return "nowhere (no Location header)"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return fmt.Sprintf("%q", snippet(redactURL(loc)))
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}
