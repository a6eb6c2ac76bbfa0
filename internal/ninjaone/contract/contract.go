// Package contract checks HTTP traffic against NinjaOne's OpenAPI
// description (internal/ninjaone/testdata/openapi.yaml), for the tests of
// every package that speaks to NinjaOne or pretends to be it. A Validator
// wraps a client's transport (Transport, Client) or a server's handler
// (Handler) and records every request and response that breaks the
// contract; Check fails a test with them.
//
// What is checked (against the spec with the Nullable overlay, and with
// /api/v2/... taken as /v2/...):
//   - Requests: the operation exists in the spec, parameters and JSON bodies
//     match their schemas (the add/remove-members bodies are declared as
//     `*/*` but are decoded and validated as JSON when sent as JSON, and fail
//     when sent as anything else), a Bearer Authorization header is present.
//   - Responses below 400: the status is one the operation documents (or its
//     default) and the body matches its schema.
//   - 4xx responses: validated against the spec when it describes that
//     status with a body; otherwise (most error statuses have no body in the
//     spec, and the `default` responses of the older list calls describe
//     only success) the body must be one of NinjaOne's error shapes from
//     API-NOTES.md: app {resultCode, errorMessage, ...}, auth {error,
//     error_description, error_code} or billing {errorCode, message}.
//   - 5xx responses are violations: only injected faults may produce them.
//
// Not checked: the token endpoint (not in the spec), the sandbox's
// /_sandbox control endpoints, and responses marked with the sandbox's
// X-Sandbox-Fault header (injected 429, 500, 503, HTML pages and resets,
// which the spec cannot describe).
//
// The spec is found by walking up from the working directory to the
// module's go.mod (go test runs in the package directory, so this works
// for every package of the module), falling back to this source file's
// directory; it is parsed once per process. Embedding was the alternative,
// but go:embed cannot reach a parent directory and a second copy of an
// 18,000-line spec would drift.
package contract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

const modulePath = "github.com/ninjaops/ninjaops"

// specRel is the spec's place in the module.
var specRel = filepath.Join("internal", "ninjaone", "testdata", "openapi.yaml")

// faultHeader is sandbox.FaultHeader; this package does not import the
// sandbox so that the sandbox's own tests can use it.
const faultHeader = "X-Sandbox-Fault"

// SpecPath returns the path of the OpenAPI description.
func SpecPath() (string, error) {
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isModule(data) {
				return filepath.Join(dir, specRel), nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "testdata", "openapi.yaml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("contract: cannot find %s: run the tests inside the %s module", specRel, modulePath)
}

func isModule(gomod []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}

var (
	loadOnce  sync.Once
	theSpec   *openapi3.T
	theRouter routers.Router
	loadErr   error
)

// Spec returns the parsed spec and a router over it, loaded once.
func Spec() (*openapi3.T, routers.Router, error) {
	loadOnce.Do(func() { theSpec, theRouter, loadErr = load() })
	return theSpec, theRouter, loadErr
}

func load() (*openapi3.T, routers.Router, error) {
	path, err := SpecPath()
	if err != nil {
		return nil, nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("contract: %s: %w", path, err)
	}
	// NinjaOne's document has path templates that collide (e.g.
	// /v2/tag/{tagId} and /v2/tag/{assetType}), which kin-openapi refuses.
	// None is a call ninjaops makes: drop the later one of each pair.
	for range 50 {
		err = doc.Validate(context.Background())
		var cp *openapi3.ConflictingPathsError
		if err == nil || !errors.As(err, &cp) {
			break
		}
		doc.Paths.Delete(cp.Path2)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("contract: %s: %w", path, err)
	}
	if err := applyOverlay(doc); err != nil {
		return nil, nil, err
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("contract: %s: %w", path, err)
	}
	return doc, router, nil
}

// Violation is one breach of the contract.
type Violation struct {
	Method string
	Path   string
	// Status is the response's status, or 0 when the request broke the
	// contract.
	Status int
	Msg    string
}

func (v Violation) String() string {
	if v.Status == 0 {
		return fmt.Sprintf("request %s %s: %s", v.Method, v.Path, v.Msg)
	}
	return fmt.Sprintf("response %d to %s %s: %s", v.Status, v.Method, v.Path, v.Msg)
}

// Validator checks exchanges and collects violations. It is safe for
// concurrent use.
type Validator struct {
	// AllowUnknownRoutes stops requests for operations the spec lacks from
	// being violations, for tests of route-level 404s. Their answers must
	// still be app errors.
	AllowUnknownRoutes bool

	mu         sync.Mutex
	violations []Violation
	checked    int
	skipped    int
}

// New returns a Validator, loading the spec on first use.
func New() (*Validator, error) {
	if _, _, err := Spec(); err != nil {
		return nil, err
	}
	return &Validator{}, nil
}

// Violations returns the violations recorded so far.
func (v *Validator) Violations() []Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Violation(nil), v.violations...)
}

// Checked returns how many exchanges were validated, and how many were
// skipped as injected faults (tests can assert the validator saw traffic).
func (v *Validator) Checked() (checked, skipped int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.checked, v.skipped
}

// Reset forgets the violations and counts.
func (v *Validator) Reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.violations, v.checked, v.skipped = nil, 0, 0
}

// Err returns the violations as one error, or nil.
func (v *Validator) Err() error {
	vs := v.Violations()
	if len(vs) == 0 {
		return nil
	}
	lines := make([]string, len(vs))
	for i, x := range vs {
		lines[i] = x.String()
	}
	return fmt.Errorf("%d contract violations:\n%s", len(vs), strings.Join(lines, "\n"))
}

func (v *Validator) add(x Violation) {
	v.mu.Lock()
	v.violations = append(v.violations, x)
	v.mu.Unlock()
}

// Check fails t with every violation v recorded.
func Check(t testing.TB, v *Validator) {
	t.Helper()
	vs := v.Violations()
	for i, x := range vs {
		if i == 20 {
			t.Errorf("contract: ... and %d more violations", len(vs)-i)
			break
		}
		t.Errorf("contract: %s", x)
	}
}

// Client returns a copy of c (nil: a default client) whose transport
// validates every exchange; the violations fail t when it ends.
func Client(t testing.TB, c *http.Client) (*http.Client, *Validator) {
	t.Helper()
	v := mustNew(t)
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	out.Transport = v.Transport(out.Transport)
	t.Cleanup(func() { Check(t, v) })
	return out, v
}

// Handler wraps h so that every exchange it serves is validated; the
// violations fail t when it ends.
func Handler(t testing.TB, h http.Handler) (http.Handler, *Validator) {
	t.Helper()
	v := mustNew(t)
	t.Cleanup(func() { Check(t, v) })
	return v.Handler(h), v
}

func mustNew(t testing.TB) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// skipPath reports calls outside the spec that are never checked.
func skipPath(p string) bool {
	return p == "/ws/oauth/token" || strings.HasPrefix(p, "/_sandbox/")
}

// Transport wraps next (nil: http.DefaultTransport) so that every exchange
// through it is validated.
func (v *Validator) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{v: v, next: next}
}

type transport struct {
	v    *Validator
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if skipPath(req.URL.Path) {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	// A RoundTripper must not change the caller's request: send a clone.
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		// A reset or a refused connection: nothing came back to check
		// but the request itself.
		t.v.exchange(req, body, 0, nil, nil, true)
		return nil, err
	}
	data, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rest io.Reader = bytes.NewReader(data)
	if rerr != nil {
		// Hand the client the same truncated body and error it would
		// have seen.
		rest = io.MultiReader(rest, errReader{rerr})
	}
	resp.Body = io.NopCloser(rest)
	t.v.exchange(req, body, resp.StatusCode, resp.Header, data, rerr != nil || resp.Header.Get(faultHeader) != "")
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Handler wraps next so that every exchange it serves is validated.
func (v *Validator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skipPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{w: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
			rec.header = w.Header().Clone()
		}
		skip := rec.hijacked || rec.header.Get(faultHeader) != ""
		v.exchange(r, body, rec.status, rec.header, rec.body.Bytes(), skip)
	})
}

// recorder passes a response through and keeps a copy to check.
type recorder struct {
	w        http.ResponseWriter
	status   int
	header   http.Header
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
		r.header = r.w.Header().Clone()
	}
	r.w.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.w.Write(b)
}

func (r *recorder) Flush() { http.NewResponseController(r.w).Flush() }

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return http.NewResponseController(r.w).Hijack()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// bearer is the spec's oauth2 security scheme, an HTTP bearer token: the
// header must be there; whether the token is good is the server's call.
func bearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "oauth2" {
		return fmt.Errorf("ninjaops authenticates with oauth2 bearer tokens, not %s", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errors.New(`no "Authorization: Bearer <token>" header`)
	}
	return nil
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		SkipSettingDefaults:               true, // never rewrite what is checked
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		AuthenticationFunc:                bearer,
	}
}

// exchange checks one request and its response (status 0: none came).
func (v *Validator) exchange(req *http.Request, body []byte, status int, header http.Header, respBody []byte, skipResponse bool) {
	_, router, err := Spec()
	if err != nil {
		v.add(Violation{Method: req.Method, Path: req.URL.Path, Msg: err.Error()})
		return
	}
	v.mu.Lock()
	if skipResponse {
		v.skipped++
	} else {
		v.checked++
	}
	v.mu.Unlock()

	r := req.Clone(context.Background())
	r.URL.Path, r.URL.RawPath = specPath(r.URL.Path), ""
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	route, params, err := router.FindRoute(r)
	if err != nil {
		if !v.AllowUnknownRoutes {
			v.add(Violation{Method: req.Method, Path: req.URL.Path, Msg: "the spec has no such operation (" + err.Error() + ")"})
		}
		if !skipResponse && status != 0 {
			if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
				v.add(Violation{Method: req.Method, Path: req.URL.Path, Status: status, Msg: "an unknown route must answer 404 or 405"})
			} else if msg := errorShape(header, respBody); msg != "" {
				v.add(Violation{Method: req.Method, Path: req.URL.Path, Status: status, Msg: msg})
			}
		}
		return
	}
	opts := options()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		v.add(Violation{Method: req.Method, Path: req.URL.Path, Msg: oneLine(err)})
	}
	if skipResponse || status == 0 {
		return
	}
	bad := func(msg string) {
		v.add(Violation{Method: req.Method, Path: req.URL.Path, Status: status, Msg: msg})
	}
	switch {
	case status >= 500:
		bad("a server error that was not an injected fault")
	case status >= 400:
		if resp := route.Operation.Responses.Status(status); resp != nil && resp.Value != nil && len(resp.Value.Content) > 0 {
			v.validateResponse(in, status, header, respBody, bad)
		} else if msg := errorShape(header, respBody); msg != "" {
			bad(msg)
		}
	default:
		v.validateResponse(in, status, header, respBody, bad)
	}
}

func (v *Validator) validateResponse(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte, bad func(string)) {
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: in.Options}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		bad(oneLine(err))
	}
}

// errorShape checks an error body against NinjaOne's three error shapes;
// it returns "" when the body is one of them.
func errorShape(header http.Header, body []byte) string {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		return fmt.Sprintf("error body has Content-Type %q, want application/json", header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Sprintf("error body is not a JSON object: %v", err)
	}
	str := func(k string, required bool) bool {
		x, ok := m[k]
		if !ok {
			return !required
		}
		s, isStr := x.(string)
		return isStr && (!required || s != "")
	}
	num := func(k string) bool {
		x, ok := m[k]
		if !ok {
			return true
		}
		_, isNum := x.(float64)
		return isNum
	}
	switch {
	case m["resultCode"] != nil:
		if str("resultCode", true) && str("errorMessage", false) && str("incidentId", false) {
			return ""
		}
		return "app error body: resultCode, errorMessage and incidentId must be strings"
	case m["error"] != nil:
		if str("error", true) && str("error_description", false) && num("error_code") {
			return ""
		}
		return "auth error body: error and error_description must be strings, error_code a number"
	case m["errorCode"] != nil:
		if str("message", false) {
			return ""
		}
		return "billing error body: message must be a string"
	}
	return "error body is none of NinjaOne's error shapes (app: resultCode; auth: error; billing: errorCode)"
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
