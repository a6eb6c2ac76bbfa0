// Package c1fake is a fake ConductorOne for tests and benchmarks: the
// service a baton connector in service mode talks to, the way the sandbox
// is a fake NinjaOne. It is built from the SDK's own generated
// BatonService server stubs and serves, on one TLS listener on loopback:
//
//   - POST /auth/v1/token, the OAuth2 client-credentials exchange the SDK
//     makes with a signed client assertion, which it verifies (EdDSA
//     signature with the credential's public key, issuer, subject,
//     audience, lifetime, no replay);
//   - the BatonService over gRPC: Hello, GetTask (a scripted queue, a None
//     task when it is empty), Heartbeat, UploadAsset (reassembled and
//     checked against its sha256) and FinishTask, each requiring a bearer
//     token it issued and each request validated with the SDK's own
//     protoc-gen-validate rules.
//
// The SDK dials ConductorOne with TLS and the system roots only, so the
// process under test must trust the fake's CA (on Linux, SSL_CERT_FILE
// pointing at CAFile) and find it with BATON_C1_API_HOST=Host(). Everything
// a client sent is kept in a transcript, so a test can check that no secret
// reached it.
package c1fake

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	sdkcrypto "github.com/conductorone/baton-sdk/pkg/crypto"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TokenPath is where the SDK posts its client assertion.
const TokenPath = "/auth/v1/token"

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Options configures a Fake.
type Options struct {
	// Dir holds the CA certificate and the uploaded assets; required.
	Dir string
	// IdlePoll is the next_poll GetTask answers with when the queue is
	// empty; default 200ms.
	IdlePoll time.Duration
	// NextHeartbeat is the interval Heartbeat asks for; default 1s, the
	// SDK's minimum.
	NextHeartbeat time.Duration
	// TokenTTL is the access tokens' expires_in; default one hour.
	TokenTTL time.Duration
}

// Upload is an asset a task uploaded, reassembled.
type Upload struct {
	TaskID string
	HostID string
	Path   string // the reassembled file, in Options.Dir
	Size   int64
	Chunks int
}

// Fake is a running fake ConductorOne.
type Fake struct {
	opts     Options
	caFile   string
	cert     tls.Certificate
	clientID string
	secret   string
	pub      ed25519.PublicKey
	audience string
	grpc     *grpc.Server

	mu         sync.Mutex
	addr       string
	srv        *http.Server
	down       net.Listener // while stopped: accepts and drops connections
	dropped    int
	outage     bool
	queue      []*v1.Task
	handed     []string
	times      map[string]TaskTimes
	getTasks   int
	hellos     []*v1.BatonServiceHelloRequest
	heartbeats map[string]int
	cancelled  map[string]bool
	uploads    map[string][]Upload
	finished   map[string]*v1.BatonServiceFinishTaskRequest
	hostIDs    map[string]bool
	tokens     map[string]time.Time
	nonces     map[string]bool
	exchanges  int
	refused    []string // why token requests or RPCs were refused
	transcript bytes.Buffer
	changed    chan struct{} // closed and replaced on every event
}

// Start generates a CA, a server certificate for 127.0.0.1 and a client
// credential, and serves on a free loopback port.
func Start(opts Options) (*Fake, error) {
	if opts.Dir == "" {
		return nil, errors.New("c1fake: Options.Dir is required")
	}
	if opts.IdlePoll <= 0 {
		opts.IdlePoll = 200 * time.Millisecond
	}
	if opts.NextHeartbeat <= 0 {
		opts.NextHeartbeat = time.Second
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	f := &Fake{
		opts:       opts,
		audience:   "fake-c1.invalid",
		heartbeats: map[string]int{},
		times:      map[string]TaskTimes{},
		cancelled:  map[string]bool{},
		uploads:    map[string][]Upload{},
		finished:   map[string]*v1.BatonServiceFinishTaskRequest{},
		hostIDs:    map[string]bool{},
		tokens:     map[string]time.Time{},
		nonces:     map[string]bool{},
		changed:    make(chan struct{}),
	}
	var err error
	if f.caFile, f.cert, err = newCertificates(opts.Dir); err != nil {
		return nil, err
	}
	if f.clientID, f.secret, f.pub, err = NewCredential("ninjaops-test", f.audience); err != nil {
		return nil, err
	}
	f.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(f.unaryInterceptor),
		grpc.ChainStreamInterceptor(f.streamInterceptor),
	)
	v1.RegisterBatonServiceServer(f.grpc, &service{f: f})
	if err := f.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return f, nil
}

// NewCredential makes a ConductorOne client id and secret in the SDK's
// formats: the id "name@host/pcc", whose host is the assertion's audience,
// and the secret "secret-token:conductorone.com:v1:" followed by an
// Ed25519 private JWK, base64url-encoded. The secret is checked with the
// SDK's own parser.
func NewCredential(name, host string) (clientID, secret string, pub ed25519.PublicKey, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	jwk, err := jose.JSONWebKey{Key: priv, Algorithm: string(jose.EdDSA), Use: "sig"}.MarshalJSON()
	if err != nil {
		return "", "", nil, err
	}
	secret = "secret-token:conductorone.com:v1:" + base64.RawURLEncoding.EncodeToString(jwk)
	if _, err := sdkcrypto.ParseClientSecret([]byte(secret), false); err != nil {
		return "", "", nil, fmt.Errorf("c1fake: the SDK refuses the generated secret: %w", err)
	}
	return name + "@" + host + "/pcc", secret, pub, nil
}

func (f *Fake) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("c1fake: %w", err)
	}
	srv := &http.Server{
		Handler:           f,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{f.cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12},
		ErrorLog:          nil,
	}
	f.mu.Lock()
	f.addr, f.srv = ln.Addr().String(), srv
	f.mu.Unlock()
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return nil
}

// Host is the address to give the process under test as BATON_C1_API_HOST.
func (f *Fake) Host() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addr
}

// CAFile is the PEM file of the CA that signed the fake's certificate.
func (f *Fake) CAFile() string { return f.caFile }

// ClientID and ClientSecret are the one credential the fake accepts.
func (f *Fake) ClientID() string     { return f.clientID }
func (f *Fake) ClientSecret() string { return f.secret }

// Env is the environment a process in service mode needs to reach the
// fake: the credential, the host and the CA.
func (f *Fake) Env() []string {
	return []string{
		"BATON_CLIENT_ID=" + f.clientID,
		"BATON_CLIENT_SECRET=" + f.secret,
		"BATON_C1_API_HOST=" + f.Host(),
		"SSL_CERT_FILE=" + f.caFile,
	}
}

// Stop takes the fake off the network, as when the service behind an
// address is gone: every connection is closed, and until Restart new ones
// are accepted and closed at once, unanswered (State.Dropped counts them,
// so a test can see a client keep trying). Its state (queue, tokens,
// uploads) is kept for Restart.
func (f *Fake) Stop() {
	f.mu.Lock()
	srv, addr := f.srv, f.addr
	f.srv = nil
	f.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// Hold the port meanwhile, so that Restart gets it back.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.down = ln
	f.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
			f.mu.Lock()
			f.dropped++
			f.mu.Unlock()
			f.event()
		}
	}()
}

// Restart serves again on the address it had.
func (f *Fake) Restart() error {
	f.mu.Lock()
	addr, up, down := f.addr, f.srv != nil, f.down
	f.down = nil
	f.mu.Unlock()
	if up {
		return errors.New("c1fake: already serving")
	}
	if down != nil {
		_ = down.Close()
	}
	if err := f.listen(addr); err != nil {
		return fmt.Errorf("c1fake: restarting on %s: %w", addr, err)
	}
	f.event()
	return nil
}

// SetOutage makes every request answer 503 Service Unavailable (true), as
// ConductorOne's load balancer does while the service behind it is down,
// or serve normally again (false).
func (f *Fake) SetOutage(on bool) {
	f.mu.Lock()
	f.outage = on
	f.mu.Unlock()
}

// Close stops the fake for good.
func (f *Fake) Close() {
	f.Stop()
	f.mu.Lock()
	if f.down != nil {
		_ = f.down.Close()
		f.down = nil
	}
	f.mu.Unlock()
	f.grpc.Stop()
}

// Enqueue appends tasks to the queue GetTask hands out. It panics on a
// task id ConductorOne would never make (see ID): the SDK's own checks
// refuse them.
func (f *Fake) Enqueue(tasks ...*v1.Task) {
	for _, t := range tasks {
		if !idPattern.MatchString(t.GetId()) {
			panic(fmt.Sprintf("c1fake: task id %q is not of ConductorOne's form; use c1fake.ID", t.GetId()))
		}
	}
	f.mu.Lock()
	f.queue = append(f.queue, tasks...)
	f.mu.Unlock()
	f.event()
}

// Cancel makes the next heartbeat of task id answer "cancelled".
func (f *Fake) Cancel(id string) {
	f.mu.Lock()
	f.cancelled[id] = true
	f.mu.Unlock()
}

// TaskTimes says when a task was handed out and when it was finished.
type TaskTimes struct {
	Handed, Finished time.Time
}

// State is a copy of what the fake has seen.
type State struct {
	Exchanges  int      // successful token exchanges
	Dropped    int      // connections dropped while stopped
	Refused    []string // refused token requests and RPCs, with the reason
	Hellos     []*v1.BatonServiceHelloRequest
	GetTasks   int      // GetTask calls answered (outage answers excluded)
	Handed     []string // task ids handed out, in order
	Times      map[string]TaskTimes
	Queued     int // tasks not handed out yet
	Heartbeats map[string]int
	Uploads    map[string][]Upload
	Finished   map[string]*v1.BatonServiceFinishTaskRequest
	HostIDs    []string // every host id a request carried
}

// State returns a copy of what the fake has seen so far.
func (f *Fake) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := State{
		Exchanges:  f.exchanges,
		Dropped:    f.dropped,
		Refused:    slices.Clone(f.refused),
		GetTasks:   f.getTasks,
		Handed:     slices.Clone(f.handed),
		Queued:     len(f.queue),
		Heartbeats: map[string]int{},
		Times:      map[string]TaskTimes{},
		Uploads:    map[string][]Upload{},
		Finished:   map[string]*v1.BatonServiceFinishTaskRequest{},
	}
	for k, v := range f.times {
		st.Times[k] = v
	}
	for _, h := range f.hellos {
		st.Hellos = append(st.Hellos, proto.CloneOf(h))
	}
	for k, v := range f.heartbeats {
		st.Heartbeats[k] = v
	}
	for k, v := range f.uploads {
		st.Uploads[k] = slices.Clone(v)
	}
	for k, v := range f.finished {
		st.Finished[k] = proto.CloneOf(v)
	}
	for h := range f.hostIDs {
		st.HostIDs = append(st.HostIDs, h)
	}
	slices.Sort(st.HostIDs)
	return st
}

// Transcript is everything clients sent: every request's method, path
// and headers, token request bodies, and every gRPC message in its
// protobuf and text forms.
func (f *Fake) Transcript() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.transcript.Bytes())
}

// Await waits until cond, evaluated on a fresh State after every event,
// holds, or ctx ends; what names the condition in the error.
func (f *Fake) Await(ctx context.Context, what string, cond func(State) bool) (State, error) {
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		st := f.State()
		if cond(st) {
			return st, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return st, fmt.Errorf("c1fake: waiting for %s: %w", what, ctx.Err())
		}
	}
}

// AwaitFinished waits for task id's FinishTask.
func (f *Fake) AwaitFinished(ctx context.Context, id string) (*v1.BatonServiceFinishTaskRequest, error) {
	st, err := f.Await(ctx, "FinishTask of "+id, func(st State) bool { return st.Finished[id] != nil })
	if err != nil {
		return nil, err
	}
	return st.Finished[id], nil
}

func (f *Fake) event() {
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *Fake) refuse(why string) {
	f.mu.Lock()
	f.refused = append(f.refused, why)
	f.mu.Unlock()
	f.event()
}

func (f *Fake) record(format string, args ...any) {
	f.mu.Lock()
	fmt.Fprintf(&f.transcript, format, args...)
	f.transcript.WriteByte('\n')
	f.mu.Unlock()
}

// ServeHTTP routes gRPC to the BatonService and everything else to the
// token endpoint.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var hdr strings.Builder
	_ = r.Header.Write(&hdr)
	f.record("%s %s %s\n%s", r.Method, r.URL.RequestURI(), r.Proto, hdr.String())
	f.mu.Lock()
	outage := f.outage
	f.mu.Unlock()
	if outage {
		http.Error(w, "upstream connect error or disconnect/reset before headers", http.StatusServiceUnavailable)
		f.event()
		return
	}
	if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		f.grpc.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == TokenPath {
		f.serveToken(w, r)
		return
	}
	http.NotFound(w, r)
}

func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	f.record("%s", body)
	fail := func(code int, why string) {
		f.refuse("token: " + why)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": why})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "method "+r.Method)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		fail(http.StatusBadRequest, "content type "+ct)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "form: "+err.Error())
		return
	}
	// Decoded too, so that a search of the transcript finds a value
	// whatever its encoding.
	for k, vs := range r.PostForm {
		f.record("form %s = %q", k, vs)
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		fail(http.StatusBadRequest, "grant_type "+r.PostForm.Get("grant_type"))
		return
	case r.PostForm.Get("client_assertion_type") != assertionType:
		fail(http.StatusBadRequest, "client_assertion_type "+r.PostForm.Get("client_assertion_type"))
		return
	case r.PostForm.Get("client_id") != f.clientID:
		fail(http.StatusUnauthorized, "unknown client id")
		return
	case r.PostForm.Has("client_secret"):
		fail(http.StatusBadRequest, "a client_secret was sent: the secret must never leave the client")
		return
	}
	if why := f.verifyAssertion(r.PostForm.Get("client_assertion")); why != "" {
		fail(http.StatusUnauthorized, why)
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "c1-access-" + hex.EncodeToString(b[:])
	f.mu.Lock()
	f.tokens[tok] = time.Now().Add(f.opts.TokenTTL)
	f.exchanges++
	f.mu.Unlock()
	f.event()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(f.opts.TokenTTL / time.Second)})
}

// verifyAssertion checks the signed client assertion and says what is
// wrong with it, or "".
func (f *Fake) verifyAssertion(s string) string {
	tok, err := jwt.ParseSigned(s, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return "assertion: " + err.Error()
	}
	if len(tok.Headers) != 1 {
		return "assertion: want one signature"
	}
	var claims jwt.Claims
	if err := tok.Claims(f.pub, &claims); err != nil {
		return "assertion signature: " + err.Error()
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{
		Issuer: f.clientID, Subject: f.clientID, AnyAudience: jwt.Audience{f.audience}, Time: time.Now(),
	}, 5*time.Second); err != nil {
		return "assertion claims: " + err.Error()
	}
	if claims.Expiry == nil || claims.Expiry.Time().Sub(time.Now()) > 10*time.Minute {
		return "assertion: no expiry, or one too far away"
	}
	nonce := tok.Headers[0].Nonce
	f.mu.Lock()
	defer f.mu.Unlock()
	if nonce == "" || f.nonces[nonce] {
		return "assertion: missing or replayed nonce"
	}
	f.nonces[nonce] = true
	return ""
}

// authorize checks the bearer token of an RPC.
func (f *Fake) authorize(ctx context.Context, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md.Get("authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") {
		f.refuse(method + ": no bearer token")
		return status.Error(codes.Unauthenticated, "missing bearer token")
	}
	f.mu.Lock()
	exp, ok := f.tokens[strings.TrimPrefix(auth[0], "Bearer ")]
	f.mu.Unlock()
	if !ok || time.Now().After(exp) {
		f.refuse(method + ": unknown or expired token")
		return status.Error(codes.Unauthenticated, "invalid or expired token")
	}
	return nil
}

type validator interface{ ValidateAll() error }

func (f *Fake) message(method string, m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil
	}
	raw, _ := proto.Marshal(pm)
	f.record("%s message %q\n%v", method, raw, pm)
	if v, ok := m.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			f.refuse(method + ": invalid request: " + err.Error())
			return status.Error(codes.InvalidArgument, err.Error())
		}
	}
	return nil
}

func (f *Fake) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := f.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	if err := f.message(info.FullMethod, req); err != nil {
		return nil, err
	}
	resp, err := h(ctx, req)
	f.event()
	return resp, err
}

func (f *Fake) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := f.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	err := h(srv, &recordingStream{ServerStream: ss, f: f, method: info.FullMethod})
	f.event()
	return err
}

type recordingStream struct {
	grpc.ServerStream
	f      *Fake
	method string
}

func (s *recordingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.f.message(s.method, m)
}

func (f *Fake) noteHost(id string) {
	f.mu.Lock()
	f.hostIDs[id] = true
	f.mu.Unlock()
}

func (f *Fake) knownTask(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.handed, id)
}

// service is the BatonService.
type service struct {
	v1.UnimplementedBatonServiceServer
	f *Fake
}

func (s *service) Hello(_ context.Context, req *v1.BatonServiceHelloRequest) (*v1.BatonServiceHelloResponse, error) {
	s.f.noteHost(req.GetHostId())
	s.f.mu.Lock()
	s.f.hellos = append(s.f.hellos, proto.CloneOf(req))
	s.f.mu.Unlock()
	return v1.BatonServiceHelloResponse_builder{}.Build(), nil
}

func (s *service) GetTask(_ context.Context, req *v1.BatonServiceGetTaskRequest) (*v1.BatonServiceGetTaskResponse, error) {
	s.f.noteHost(req.GetHostId())
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.getTasks++
	if len(s.f.queue) == 0 {
		return v1.BatonServiceGetTaskResponse_builder{
			Task:     v1.Task_builder{None: &v1.Task_NoneTask{}}.Build(),
			NextPoll: durationpb.New(s.f.opts.IdlePoll),
		}.Build(), nil
	}
	t := s.f.queue[0]
	s.f.queue = s.f.queue[1:]
	s.f.handed = append(s.f.handed, t.GetId())
	s.f.times[t.GetId()] = TaskTimes{Handed: time.Now()}
	return v1.BatonServiceGetTaskResponse_builder{
		Task:          t,
		NextPoll:      durationpb.New(0),
		NextHeartbeat: durationpb.New(s.f.opts.NextHeartbeat),
	}.Build(), nil
}

func (s *service) Heartbeat(_ context.Context, req *v1.BatonServiceHeartbeatRequest) (*v1.BatonServiceHeartbeatResponse, error) {
	s.f.noteHost(req.GetHostId())
	if !s.f.knownTask(req.GetTaskId()) {
		s.f.refuse("Heartbeat: task " + req.GetTaskId() + " was never handed out")
		return nil, status.Errorf(codes.NotFound, "no task %q", req.GetTaskId())
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.heartbeats[req.GetTaskId()]++
	return v1.BatonServiceHeartbeatResponse_builder{
		NextHeartbeat: durationpb.New(s.f.opts.NextHeartbeat),
		Cancelled:     s.f.cancelled[req.GetTaskId()],
	}.Build(), nil
}

func (s *service) FinishTask(_ context.Context, req *v1.BatonServiceFinishTaskRequest) (*v1.BatonServiceFinishTaskResponse, error) {
	s.f.noteHost(req.GetHostId())
	id := req.GetTaskId()
	if !s.f.knownTask(id) {
		s.f.refuse("FinishTask: task " + id + " was never handed out")
		return nil, status.Errorf(codes.NotFound, "no task %q", id)
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.finished[id] != nil {
		s.f.refused = append(s.f.refused, "FinishTask: task "+id+" finished twice")
		return nil, status.Errorf(codes.FailedPrecondition, "task %q is already finished", id)
	}
	s.f.finished[id] = proto.CloneOf(req)
	tt := s.f.times[id]
	tt.Finished = time.Now()
	s.f.times[id] = tt
	return v1.BatonServiceFinishTaskResponse_builder{}.Build(), nil
}

// UploadAsset reassembles an upload: metadata first, then data chunks,
// then EOF with the sha256 of the whole, which must match.
func (s *service) UploadAsset(stream grpc.ClientStreamingServer[v1.BatonServiceUploadAssetRequest, v1.BatonServiceUploadAssetResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	md := first.GetMetadata()
	if md == nil {
		s.f.refuse("UploadAsset: the first message is not metadata")
		return status.Error(codes.InvalidArgument, "the first message must be the upload's metadata")
	}
	s.f.noteHost(md.GetHostId())
	if !s.f.knownTask(md.GetTaskId()) {
		s.f.refuse("UploadAsset: task " + md.GetTaskId() + " was never handed out")
		return status.Errorf(codes.NotFound, "no task %q", md.GetTaskId())
	}
	out, err := os.CreateTemp(s.f.opts.Dir, "upload-"+md.GetTaskId()+"-*.c1z")
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	defer out.Close()
	h := sha256.New()
	up := Upload{TaskID: md.GetTaskId(), HostID: md.GetHostId(), Path: out.Name()}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			s.f.refuse("UploadAsset: the stream ended without EOF")
			return status.Error(codes.InvalidArgument, "the stream ended without an EOF message")
		}
		if err != nil {
			return err
		}
		switch {
		case msg.GetData() != nil:
			data := msg.GetData().GetData()
			if _, err := out.Write(data); err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			h.Write(data)
			up.Size += int64(len(data))
			up.Chunks++
		case msg.GetEof() != nil:
			if sum := h.Sum(nil); !bytes.Equal(sum, msg.GetEof().GetSha256Checksum()) {
				s.f.refuse(fmt.Sprintf("UploadAsset: sha256 %x, EOF says %x", sum, msg.GetEof().GetSha256Checksum()))
				return status.Error(codes.DataLoss, "sha256 mismatch")
			}
			if err := out.Close(); err != nil {
				return status.Error(codes.Internal, err.Error())
			}
			s.f.mu.Lock()
			s.f.uploads[up.TaskID] = append(s.f.uploads[up.TaskID], up)
			s.f.mu.Unlock()
			return stream.SendAndClose(v1.BatonServiceUploadAssetResponse_builder{}.Build())
		default:
			s.f.refuse("UploadAsset: a second metadata message")
			return status.Error(codes.InvalidArgument, "unexpected message after the metadata")
		}
	}
}

// newCertificates makes a CA, writes it to dir/ca.pem, and a server
// certificate for 127.0.0.1 and localhost signed by it.
func newCertificates(dir string) (string, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ninjaops test CA (fake ConductorOne)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	caFile := filepath.Join(dir, "c1fake-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return "", tls.Certificate{}, err
	}
	return caFile, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, nil
}
