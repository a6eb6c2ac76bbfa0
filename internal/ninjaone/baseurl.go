package ninjaone

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// Regions maps the --region shortcut to a tenant's base URL. A tenant lives
// on exactly one of these hosts (or on a branded custom domain, given as a
// full base URL).
var Regions = map[string]string{
	"us":  "https://app.ninjarmm.com",
	"us2": "https://us2.ninjarmm.com",
	"eu":  "https://eu.ninjarmm.com",
	"oc":  "https://oc.ninjarmm.com",
	"ca":  "https://ca.ninjarmm.com",
	"fed": "https://fed.ninjarmm.com",
}

// RegionNames lists the region shortcuts, sorted.
func RegionNames() []string {
	names := make([]string, 0, len(Regions))
	for k := range Regions {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ResolveBaseURL picks the base URL from an explicit URL or a region
// shortcut and checks it. Giving both is accepted only when they agree.
func ResolveBaseURL(baseURL, region string) (string, error) {
	if region != "" {
		r, ok := Regions[strings.ToLower(region)]
		if !ok {
			return "", fmt.Errorf("unknown region %q (regions: %s)", region, strings.Join(RegionNames(), ", "))
		}
		if baseURL != "" && strings.TrimRight(baseURL, "/") != r {
			return "", fmt.Errorf("--base-url %s and --region %s name different hosts; give one of them", redactURL(baseURL), region)
		}
		baseURL = r
	}
	if baseURL == "" {
		return "", nil
	}
	u, err := CheckBaseURL(baseURL)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// CheckBaseURL parses a base URL and refuses what would leak credentials or
// cannot work: plain http to anything but loopback, a missing host, a query
// or fragment. The result has no trailing slash.
func CheckBaseURL(raw string) (*url.URL, error) {
	shown := redactURL(raw)
	if t := strings.TrimSpace(shown); t != "" && !strings.Contains(t, "://") {
		// eu.ninjarmm.com, localhost:8765, 127.0.0.1:8765: the scheme
		// is missing, whatever url.Parse makes of the rest.
		return nil, fmt.Errorf("base URL %q has no scheme: did you mean %s? (want https://HOST, for example https://app.ninjarmm.com)", shown, withScheme(t))
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("base URL %q: %v", shown, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("base URL %q: want https://HOST (for example https://app.ninjarmm.com)", shown)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %q: credentials in the URL are not accepted; use --client-id and --client-secret", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q: remove the query or fragment", shown)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("base URL %q: plain http would send the client secret unencrypted; use https (http is accepted only for loopback hosts)", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL hides what may be credentials in a base URL that is to be
// shown, parsable or not: the whole user part of the authority (a token
// is often put there alone, https://TOKEN@host), the query (keys too: a
// bare ?TOKEN is all key) and the fragment. It works on the text, not on
// a parse: a URL that does not parse, or parses as something else
// ("u:p@host" is an opaque URL of scheme "u"), must not slip through.
func redactURL(raw string) string {
	const hidden = "xxxxx"
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	rest := raw[start:]
	var tail string
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		tail = rest[i:i+1] + hidden
		rest = rest[:i]
	}
	// Everything up to the last @ goes, a path included: a token pasted
	// with a / in it would otherwise show its end.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = hidden + rest[at:]
	}
	return raw[:start] + rest + tail
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withScheme is host with the scheme it probably lacks: http for a
// loopback host (the sandbox), https for any other.
func withScheme(host string) string {
	host = strings.TrimPrefix(host, "//")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:] // never suggest credentials in a URL
	}
	name := host
	if i := strings.IndexAny(name, "/?#"); i >= 0 {
		name = name[:i]
	}
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	if isLoopback(strings.Trim(name, "[]")) {
		return "http://" + host
	}
	return "https://" + host
}
