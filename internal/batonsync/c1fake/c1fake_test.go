package c1fake

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	sdkcrypto "github.com/conductorone/baton-sdk/pkg/crypto"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// The fake's own checks must be able to refuse: a test against it proves
// nothing about a client if the fake accepts anything.

func start(t *testing.T) (*Fake, *http.Client, *x509.CertPool) {
	t.Helper()
	f, err := Start(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	pem, err := os.ReadFile(f.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA in", f.CAFile())
	}
	return f, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, pool
}

// assertion signs claims as the SDK does (EdDSA, a random nonce).
func assertion(t *testing.T, key ed25519.PrivateKey, claims jwt.Claims, nonce string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithHeader("nonce", nonce))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func privateKey(t *testing.T, secret string) ed25519.PrivateKey {
	t.Helper()
	jwk, err := sdkcrypto.ParseClientSecret([]byte(secret), false)
	if err != nil {
		t.Fatal(err)
	}
	return jwk.Key.(ed25519.PrivateKey)
}

func TestTokenEndpoint(t *testing.T) {
	f, hc, _ := start(t)
	key := privateKey(t, f.ClientSecret())
	_, otherSecret, _, err := NewCredential("x", "fake-c1.invalid")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := privateKey(t, otherSecret)
	now := time.Now()
	good := jwt.Claims{Issuer: f.ClientID(), Subject: f.ClientID(), Audience: jwt.Audience{"fake-c1.invalid"},
		Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-2 * time.Minute))}
	with := func(edit func(*jwt.Claims)) jwt.Claims {
		c := good
		edit(&c)
		return c
	}
	form := func(a string) url.Values {
		return url.Values{"client_id": {f.ClientID()}, "grant_type": {"client_credentials"}, "client_assertion_type": {assertionType}, "client_assertion": {a}}
	}
	replayed := assertion(t, key, good, "nonce-replayed")
	for _, tc := range []struct {
		name string
		form url.Values
		want int
	}{
		{"valid", form(replayed), http.StatusOK},
		{"replayed", form(replayed), http.StatusUnauthorized},
		{"signed with another key", form(assertion(t, otherKey, good, "n2")), http.StatusUnauthorized},
		{"another audience", form(assertion(t, key, with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"127.0.0.1"} }), "n3")), http.StatusUnauthorized},
		{"expired", form(assertion(t, key, with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute)) }), "n4")), http.StatusUnauthorized},
		{"another subject", form(assertion(t, key, with(func(c *jwt.Claims) { c.Subject = "someone" }), "n5")), http.StatusUnauthorized},
		{"no nonce", form(assertion(t, key, good, "")), http.StatusUnauthorized},
		{"the secret itself", func() url.Values {
			v := form(assertion(t, key, good, "n6"))
			v.Set("client_secret", f.ClientSecret())
			return v
		}(), http.StatusBadRequest},
		{"unknown client", func() url.Values { v := form(assertion(t, key, good, "n7")); v.Set("client_id", "x@y/z"); return v }(), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := hc.PostForm("https://"+f.Host()+TokenPath, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.want, body)
			}
			if tc.want == http.StatusOK && (body["access_token"] == "" || body["token_type"] != "Bearer") {
				t.Errorf("token answer %v", body)
			}
		})
	}
	if st := f.State(); st.Exchanges != 1 || len(st.Refused) != 8 {
		t.Errorf("exchanges %d, refusals %q", st.Exchanges, st.Refused)
	}
}

type bearerCreds string

func (b bearerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearerCreds) RequireTransportSecurity() bool { return true }

func TestServiceChecks(t *testing.T) {
	f, hc, pool := start(t)
	dial := func(tok string) v1.BatonServiceClient {
		opts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, ""))}
		if tok != "" {
			opts = append(opts, grpc.WithPerRPCCredentials(bearerCreds(tok)))
		}
		cc, err := grpc.NewClient(f.Host(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return v1.NewBatonServiceClient(cc)
	}
	ctx := context.Background()
	get := v1.BatonServiceGetTaskRequest_builder{HostId: "h"}.Build()

	if _, err := dial("").GetTask(ctx, get); status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetTask without a token: %v, want Unauthenticated", err)
	}
	if _, err := dial("made-up").GetTask(ctx, get); status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetTask with a token never issued: %v, want Unauthenticated", err)
	}

	key := privateKey(t, f.ClientSecret())
	now := time.Now()
	a := assertion(t, key, jwt.Claims{Issuer: f.ClientID(), Subject: f.ClientID(), Audience: jwt.Audience{"fake-c1.invalid"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute))}, "n")
	resp, err := hc.PostForm("https://"+f.Host()+TokenPath, url.Values{"client_id": {f.ClientID()}, "grant_type": {"client_credentials"},
		"client_assertion_type": {assertionType}, "client_assertion": {a}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	c := dial(tok.AccessToken)

	r, err := c.GetTask(ctx, get)
	if err != nil || r.GetTask().GetNone() == nil {
		t.Fatalf("GetTask on an empty queue: %v, %v; want a None task", r, err)
	}
	// The SDK's validation rules apply to what clients send.
	if _, err := c.Heartbeat(ctx, v1.BatonServiceHeartbeatRequest_builder{HostId: "h", TaskId: "short"}.Build()); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Heartbeat with a malformed task id: %v, want InvalidArgument", err)
	}
	if _, err := c.Heartbeat(ctx, v1.BatonServiceHeartbeatRequest_builder{HostId: "h", TaskId: ID("never")}.Build()); status.Code(err) != codes.NotFound {
		t.Errorf("Heartbeat of a task never handed out: %v, want NotFound", err)
	}

	id := ID("upload")
	f.Enqueue(SyncTask(id, ""))
	if r, err := c.GetTask(ctx, get); err != nil || r.GetTask().GetId() != id {
		t.Fatalf("GetTask: %v, %v", r, err)
	}
	upload := func(sum []byte) error {
		s, err := c.UploadAsset(ctx)
		if err != nil {
			return err
		}
		for _, m := range []*v1.BatonServiceUploadAssetRequest{
			v1.BatonServiceUploadAssetRequest_builder{Metadata: v1.BatonServiceUploadAssetRequest_UploadMetadata_builder{HostId: "h", TaskId: id}.Build()}.Build(),
			v1.BatonServiceUploadAssetRequest_builder{Data: v1.BatonServiceUploadAssetRequest_UploadData_builder{Data: []byte("c1z bytes")}.Build()}.Build(),
			v1.BatonServiceUploadAssetRequest_builder{Eof: v1.BatonServiceUploadAssetRequest_UploadEOF_builder{Sha256Checksum: sum}.Build()}.Build(),
		} {
			if err := s.Send(m); err != nil {
				return err
			}
		}
		_, err = s.CloseAndRecv()
		return err
	}
	right := sha256.Sum256([]byte("c1z bytes"))
	wrong := sha256.Sum256([]byte("other bytes"))
	if err := upload(wrong[:]); status.Code(err) != codes.DataLoss {
		t.Errorf("upload with a wrong sha256: %v, want DataLoss", err)
	}
	if err := upload(right[:]); err != nil {
		t.Fatalf("upload: %v", err)
	}
	ups := f.State().Uploads[id]
	if len(ups) != 1 || ups[0].Size != 9 {
		t.Fatalf("uploads %+v", ups)
	}
	if data, _ := os.ReadFile(ups[0].Path); string(data) != "c1z bytes" {
		t.Errorf("reassembled %q", data)
	}

	finish := v1.BatonServiceFinishTaskRequest_builder{HostId: "h", TaskId: id, Success: v1.BatonServiceFinishTaskRequest_Success_builder{}.Build()}.Build()
	if _, err := c.FinishTask(ctx, finish); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FinishTask(ctx, finish); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("a second FinishTask: %v, want FailedPrecondition", err)
	}
	if !strings.Contains(string(f.Transcript()), "c1z bytes") {
		t.Error("the transcript lacks what was uploaded")
	}
}

func TestEnqueueRefusesMalformedIDs(t *testing.T) {
	f, _, _ := start(t)
	defer func() {
		if recover() == nil {
			t.Error("a task id of the wrong form was queued")
		}
	}()
	f.Enqueue(SyncTask("sync-1", ""))
}

func TestID(t *testing.T) {
	if got := ID("sync-1"); got != "sync10000000000000000000000" || !idPattern.MatchString(got) {
		t.Errorf("ID(sync-1) = %q", got)
	}
}
