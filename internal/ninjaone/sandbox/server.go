// Package sandbox is a NinjaOne-compatible HTTP server for tests, the
// quickstart and benchmarks, the way net/http/httptest sits beside
// net/http. It answers the calls listed in API-NOTES.md (OAuth2 client
// credentials, the user, role and organization reads, the user and role
// membership writes), under /v2 and /api/v2, with the objects, status codes
// and error bodies of NinjaOne's OpenAPI description and of recorded real
// answers, checks the client id and secret, and enforces scopes: reads
// need `monitoring`, writes `management`. Objects are written by the
// sandbox's own wire encoder (wire.go) in one of four shapes (Shape); by
// default exactly the spec's keys, every one present.
//
// Switches (switches.go) model what real tenants may do: a capped
// organizations page, silently truncated user lists, roles without
// members, partially granted scopes, writes that need a user's
// authorisation, redirects and dripped bodies.
//
// It can also be hostile on purpose: latency, and faults injected at a
// given rate (429 with Retry-After, 500, 503, HTML throttling pages and
// connection resets), reproducible from a random seed. A 500 or a reset on
// a write sometimes comes after the write was applied, the ambiguous case a
// client must survive without creating a user twice.
//
// State lives in memory; with Options.StatePath it is kept in a state file
// (the seed format, JSON) plus an append-only journal beside it, so every
// answered write survives a kill and persisting stays cheap on a tenant of
// 100,000 users.
//
// Three control endpoints need no token and are not counted:
// GET /_sandbox/stats, POST /_sandbox/stats/reset and GET /_sandbox/state.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault kinds, for Options.FaultKinds.
const (
	Fault429   = "429"   // 429 with a Retry-After header of 0 or 1 second
	Fault500   = "500"   // 500 with an app error body; on writes sometimes after applying
	Fault503   = "503"   // 503 with a plain text body
	FaultHTML  = "html"  // an HTML throttling page, with status 200 or 429
	FaultReset = "reset" // the connection is closed without an answer; on writes sometimes after applying
)

// Options.DuplicateEmails values.
const (
	DuplicatesAccept = "accept"
	DuplicatesRefuse = "refuse"
)

// FaultKinds lists every fault kind, the default of Options.FaultKinds.
var FaultKinds = []string{Fault429, Fault500, Fault503, FaultHTML, FaultReset}

// FaultHeader marks every response whose fault was injected; its value is
// the fault kind, with "+applied" when a write was applied first. Contract
// validators skip such responses: the spec does not describe them.
const FaultHeader = "X-Sandbox-Fault"

// RequestIDHeader is set on every response, as NinjaOne does.
const RequestIDHeader = "x-nj-request-id"

// Options configures a Server. The zero value serves an empty tenant to
// client id "sandbox" with secret "sandbox", without latency or faults.
type Options struct {
	// ClientID and ClientSecret are the one client app's credentials;
	// both default to "sandbox".
	ClientID, ClientSecret string
	// Scopes are the scopes the client app was granted; default
	// monitoring, management and control. Asking for another one fails
	// the token call with invalid_scope.
	Scopes []string
	// TokenTTL is how long an access token lives (expires_in); default
	// one hour.
	TokenTTL time.Duration

	// Seed is the initial tenant when StatePath does not exist yet; nil
	// means an empty tenant. It is validated and not modified.
	Seed *Tenant
	// StatePath is the state file; "" keeps the state in memory only.
	// The journal lives beside it, at StatePath + ".journal". A state
	// file holds JSON: one that holds YAML, or is named .yaml or .yml, is
	// refused (ErrStateYAML) and left as it is.
	StatePath string
	// SeedName and SeedDigest say which seed Seed is (a path, and a
	// digest of its content); a new state file records them, so that a
	// later start can tell which seed its tenant came from (Origin).
	SeedName, SeedDigest string
	// CheckSeed refuses an existing state file that was not built from
	// the seed SeedDigest names (a *SeedMismatchError): a caller that
	// names a seed explicitly is not silently served another tenant.
	CheckSeed bool

	// Latency is slept before answering each /v2 and token request.
	Latency time.Duration
	// FaultRate is the probability, from 0 to 1, that a /v2 request fails
	// with a fault chosen at random from FaultKinds (default: all).
	FaultRate  float64
	FaultKinds []string
	// RandomSeed seeds the one random source behind faults, so a run with
	// the same requests in the same order sees the same faults.
	RandomSeed int64

	// UnsupportedPrefixes are path prefixes (e.g. "/v2/user/") this
	// instance answers with a route-level 404, as the fed host did for
	// every /v2/user route in 2026.
	UnsupportedPrefixes []string
	// NotAdministrator makes the client app act as a technician who is not
	// a System Administrator: technician writes answer 403 "Must be a
	// System Administrator".
	NotAdministrator bool
	// DuplicateEmails is what a POST of a user whose email a live user
	// already has (compared case-insensitively) does: DuplicatesAccept
	// (the default) creates a second user with it, DuplicatesRefuse
	// answers 400. Whether NinjaOne refuses is undocumented, so a client
	// must survive both.
	DuplicateEmails string

	// The switches below model what real tenants may do; each is off by
	// default. See switches.go and the README's sandbox section.

	// OrgPageCap caps the organizations list: a page holds at most this
	// many, whatever pageSize asks (and without pageSize); 0 is no cap.
	OrgPageCap int
	// Truncate leaves a fraction of the technicians or end users out of
	// their list while the roles still name them.
	Truncate Truncation
	// RolesWithoutMembers lists roles without their members:
	// MembersMissing (no members key) or MembersNull ("members": null),
	// in lists and write answers alike; "" lists them.
	// RolesWithoutMembersIDs limits it to these roles (nil: every role).
	RolesWithoutMembers    string
	RolesWithoutMembersIDs []int32
	// PartialScopes grants the asked scopes the app has and drops the
	// others, instead of refusing the token call with invalid_scope (CA
	// was seen to); the token answer's scope lists what was granted, and
	// that is what the sandbox then allows.
	PartialScopes bool
	// TokenWithoutScope leaves scope out of the token answer.
	TokenWithoutScope bool
	// UserContextRequired: writes whose path template starts with one of
	// these prefixes ("/v2/user/role/", or "/" for every write) answer 403
	// user_context_required, as calls that need a user-authorised token do.
	UserContextRequired []string
	// Redirect answers the token call or the API calls with a redirect.
	Redirect *Redirect
	// Drip writes list answers a few bytes at a time.
	Drip *Drip

	// Shape is how objects are written: ShapeSpec (the default: exactly
	// the spec's keys, all of them), ShapeAllKeys, ShapeLegacy or
	// ShapeSparse. See Shapes.
	Shape Shape

	// Logger receives one debug line per request and warnings about the
	// state; nil discards them. It never sees a secret or a token.
	Logger *slog.Logger
}

// Stats counts the requests answered, keyed by method and the spec's path
// template ("PATCH /v2/user/role/{roleId}/add-members"); the token call is
// "POST /ws/oauth/token". Requests answered with an injected fault count.
type Stats struct {
	Total    int64            `json:"total"`
	Requests map[string]int64 `json:"requests"`
}

// Server is a NinjaOne-compatible API server over one tenant. It is an
// http.Handler; Start also serves it on a listener of its own.
type Server struct {
	opts   Options
	log    *slog.Logger
	routes []*route
	wire   *wire

	mu     sync.RWMutex // guards st, jr and closed
	st     *store
	jr     *journal // nil in memory-only mode
	closed bool

	tokMu  sync.Mutex
	tokens map[string]token

	statsMu sync.Mutex
	stats   Stats

	rngMu sync.Mutex
	rng   *mrand.Rand

	srvMu sync.Mutex
	srv   *http.Server
	// connMu guards fresh: connections that have not sent a request yet.
	connMu sync.Mutex
	fresh  map[net.Conn]struct{}
}

type token struct {
	expires time.Time
	scopes  []string
}

// New builds a server from opts: from the state file when it exists, else
// from opts.Seed.
func New(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = "sandbox"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "sandbox"
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{"monitoring", "management", "control"}
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("sandbox: latency %v is negative", opts.Latency)
	}
	if math.IsNaN(opts.FaultRate) || opts.FaultRate < 0 || opts.FaultRate > 1 {
		return nil, fmt.Errorf("sandbox: fault rate %v must be between 0 and 1", opts.FaultRate)
	}
	if len(opts.FaultKinds) == 0 {
		opts.FaultKinds = FaultKinds
	}
	for _, k := range opts.FaultKinds {
		if !slices.Contains(FaultKinds, k) {
			return nil, fmt.Errorf("sandbox: unknown fault kind %q (kinds: %s)", k, strings.Join(FaultKinds, ", "))
		}
	}
	opts.FaultKinds = slices.Clone(opts.FaultKinds)
	if opts.Shape == "" {
		opts.Shape = ShapeSpec
	}
	if err := checkShape(opts.Shape); err != nil {
		return nil, err
	}
	if err := checkSwitches(&opts); err != nil {
		return nil, err
	}
	switch opts.DuplicateEmails {
	case "":
		opts.DuplicateEmails = DuplicatesAccept
	case DuplicatesAccept, DuplicatesRefuse:
	default:
		return nil, fmt.Errorf("sandbox: duplicate emails %q: want %s or %s", opts.DuplicateEmails, DuplicatesAccept, DuplicatesRefuse)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := uint64(opts.RandomSeed)
	s := &Server{
		opts:   opts,
		log:    log,
		tokens: make(map[string]token),
		stats:  Stats{Requests: make(map[string]int64)},
		rng:    mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	s.routes = s.buildRoutes()
	s.wire = newWire(opts.Shape, s.membersOf)
	st, jr, err := open(opts, log)
	if err != nil {
		return nil, err
	}
	s.st, s.jr = st, jr
	return s, nil
}

// Origin says where the tenant served came from: a state file that
// existed, and the seed it was built from, as far as is known.
func (s *Server) Origin() Origin {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := Origin{State: s.opts.StatePath}
	switch {
	case s.jr != nil:
		o.Existed = s.jr.existed
		if s.jr.seed != nil {
			seed := *s.jr.seed
			o.Seed = &seed
		}
	case s.opts.SeedName != "":
		o.Seed = &SeedInfo{Name: s.opts.SeedName, Digest: s.opts.SeedDigest}
	}
	return o
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (string, error) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return "", errors.New("sandbox: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         s.trackConn,
	}
	srv := s.srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox: serving stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// trackConn remembers the connections that have not sent a request yet.
func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st == http.StateNew {
		if s.fresh == nil {
			s.fresh = map[net.Conn]struct{}{}
		}
		s.fresh[c] = struct{}{}
	} else {
		delete(s.fresh, c)
	}
}

// Close stops serving (if Start was called), then compacts the journal into
// the state file. Requests after Close answer 503.
func (s *Server) Close() error {
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	var errs []error
	if srv != nil {
		// Shutdown waits up to 5s for connections that were opened but
		// never used (an HTTP client racing to dial spare connections
		// leaves some): close those now, they carry no request.
		s.connMu.Lock()
		for c := range s.fresh {
			c.Close()
		}
		s.connMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
		cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.Join(errs...)
	}
	s.closed = true
	if s.jr != nil {
		errs = append(errs, s.jr.compact(s.st), s.jr.close())
	}
	return errors.Join(errs...)
}

// Tenant returns a deep copy of the current state.
func (s *Server) Tenant() *Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.tenant()
}

// Stats returns a copy of the request counts.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	c := Stats{Total: s.stats.Total, Requests: make(map[string]int64, len(s.stats.Requests))}
	for k, v := range s.stats.Requests {
		c.Requests[k] = v
	}
	return c
}

// ResetStats zeroes the request counts.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats = Stats{Requests: make(map[string]int64)}
}

// ExpireTokens makes every access token issued so far expired, so a test
// can see a client get a 401 and fetch a new token.
func (s *Server) ExpireTokens() {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	clear(s.tokens)
}

func (s *Server) count(key string) {
	s.statsMu.Lock()
	s.stats.Total++
	s.stats.Requests[key]++
	s.statsMu.Unlock()
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(RequestIDHeader, newID())
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/_sandbox/"):
		s.serveControl(w, r)
	case path == tokenPath:
		s.count(r.Method + " " + tokenPath)
		if !s.sleep(r) || s.redirect(w, r, true) {
			return
		}
		s.serveToken(w, r)
	case path == "/v2" || strings.HasPrefix(path, "/v2/"):
		s.serveV2(w, r, path)
	case path == apiPrefix+"/v2" || strings.HasPrefix(path, apiPrefix+"/v2/"):
		// NinjaOne serves /api/v2/... as /v2/... (API-NOTES.md).
		s.serveV2(w, r, strings.TrimPrefix(path, apiPrefix))
	default:
		routeNotFound(w)
	}
}

// sleep waits out the configured latency; it reports false when the
// client went away meanwhile.
func (s *Server) sleep(r *http.Request) bool {
	if s.opts.Latency <= 0 {
		return true
	}
	t := time.NewTimer(s.opts.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// apiPrefix is the second base path of the API: /api/v2/... is /v2/....
const apiPrefix = "/api"

// serveV2 answers an API call; path is the request's path under /v2.
func (s *Server) serveV2(w http.ResponseWriter, r *http.Request, path string) {
	rt, arg, pathKnown := s.match(r.Method, path)
	for _, p := range s.opts.UnsupportedPrefixes {
		if strings.HasPrefix(path, p) {
			rt, pathKnown = nil, false
		}
	}
	key := r.Method + " " + path
	if rt != nil {
		key = rt.method + " " + rt.path
	}
	s.count(key)
	if !s.sleep(r) || s.redirect(w, r, false) {
		return
	}
	fault, after := s.drawFault(rt != nil && rt.write)
	if fault != "" && !after {
		s.log.Debug("sandbox: injected fault", "request", key, "fault", fault)
		s.answerFault(w, fault, false)
		return
	}
	var rep reply
	switch {
	case rt != nil:
		rep = s.dispatch(rt, arg, r)
	case pathKnown:
		rep = appError(http.StatusMethodNotAllowed, "FAILURE", "HTTP 405 Method Not Allowed")
	default:
		rep = appError(http.StatusNotFound, "FAILURE", "HTTP 404 Not Found")
	}
	if fault != "" {
		// The write (if it passed its checks) was applied and persisted;
		// the client only learns that something went wrong.
		rep.release()
		s.log.Debug("sandbox: injected fault after applying", "request", key, "fault", fault, "status", rep.status)
		s.answerFault(w, fault, true)
		return
	}
	if rep.stream != nil && s.opts.Drip != nil {
		rep.stream = s.dripped(r.Context(), rep.stream)
	}
	s.log.Debug("sandbox: request", "request", key, "status", rep.status)
	rep.write(w)
}

// drawFault decides, from the seeded source, whether this request fails
// and how. Only 500 and reset on writes may come after applying.
func (s *Server) drawFault(write bool) (kind string, after bool) {
	if s.opts.FaultRate <= 0 {
		return "", false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	if s.rng.Float64() >= s.opts.FaultRate {
		return "", false
	}
	kind = s.opts.FaultKinds[s.rng.IntN(len(s.opts.FaultKinds))]
	if write && (kind == Fault500 || kind == FaultReset) {
		after = s.rng.IntN(2) == 0
	}
	return kind, after
}

func (s *Server) coin() bool {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(2) == 0
}

const throttlePage = `<!DOCTYPE html>
<html><head><title>Too Many Requests</title></head>
<body><h1>Too Many Requests</h1><p>You have sent too many requests in a given amount of time. Please try again later.</p></body></html>
`

func (s *Server) answerFault(w http.ResponseWriter, kind string, applied bool) {
	mark := kind
	if applied {
		mark += "+applied"
	}
	w.Header().Set(FaultHeader, mark)
	switch kind {
	case Fault429:
		secs := "0"
		if s.coin() {
			secs = "1"
		}
		w.Header().Set("Retry-After", secs)
		appError(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "Rate limit exceeded").write(w)
	case Fault500:
		appError(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal server error").write(w)
	case Fault503:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "Service Unavailable\n")
	case FaultHTML:
		status := http.StatusOK
		if s.coin() {
			status = http.StatusTooManyRequests
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, throttlePage)
	case FaultReset:
		resetConn(w)
	}
}

// resetConn closes the client's connection without an answer, with a TCP
// RST where possible, as a dropped connection looks to a client.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// dispatch authenticates the request, checks its scope and runs the route.
func (s *Server) dispatch(rt *route, arg string, r *http.Request) reply {
	if rep, ok := s.authenticate(r, rt.scope); !ok {
		return rep
	}
	if s.userContextRequired(rt) {
		return userContextRequired()
	}
	if rt.write && s.opts.NotAdministrator && strings.HasPrefix(rt.path, "/v2/user/technician") {
		return appError(http.StatusForbidden, "FORBIDDEN", "Must be a System Administrator")
	}
	return rt.h(r, arg)
}

// The auth error codes NinjaOne was seen to answer (API-NOTES.md, us2,
// 2026; error_code 10 also in a public client's issue of 2025).
const (
	codeInvalidHeader    = 1  // 400 invalid_header: a malformed Authorization header
	codeMissingHeader    = 2  // 400 missing_header: no Authorization header
	codeNotAuthenticated = 10 // 401 not_authenticated "Invalid credentials": a bad or expired token
)

// authenticate checks the bearer token and its scope.
func (s *Server) authenticate(r *http.Request, scope string) (reply, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return authError(http.StatusBadRequest, "missing_header", "Request is missing a required header: Authorization", codeMissingHeader), false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return authError(http.StatusBadRequest, "invalid_header", "A syntactically incorrect Authorization header was found: expected \"Bearer <token>\"", codeInvalidHeader), false
	}
	s.tokMu.Lock()
	t, found := s.tokens[tok]
	s.tokMu.Unlock()
	if !found || !time.Now().Before(t.expires) {
		rep := authError(http.StatusUnauthorized, "not_authenticated", "Invalid credentials", codeNotAuthenticated)
		rep.header = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return rep, false
	}
	if !slices.Contains(t.scopes, scope) {
		// No answer to a token without the scope was recorded; this is
		// RFC 6750's, without an error_code (none is known).
		return authError(http.StatusForbidden, "insufficient_scope", fmt.Sprintf("The access token lacks the %q scope", scope), 0), false
	}
	return reply{}, true
}

// newID returns a random UUID (version 4) for request and incident ids.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /_sandbox/stats":
		rep := jsonReply(http.StatusOK, s.Stats())
		rep.write(w)
	case "POST /_sandbox/stats/reset":
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sandbox/state":
		reply{status: http.StatusOK, stream: func(w io.Writer) error {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return writeTenant(w, s.st, nil)
		}}.write(w)
	default:
		routeNotFound(w)
	}
}

func routeNotFound(w http.ResponseWriter) {
	appError(http.StatusNotFound, "FAILURE", "HTTP 404 Not Found").write(w)
}
