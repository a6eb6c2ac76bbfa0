package ninjaone

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A secret with characters every encoding changes.
const oddSecret = "p@ss/w+rd&x y<z>"

func TestRedactSecretsCoversEncodings(t *testing.T) {
	q := url.QueryEscape(oddSecret)
	for _, form := range []string{
		oddSecret,
		q,                                 // form and query encoding
		strings.ReplaceAll(q, "+", "%20"), // a space as %20
		url.PathEscape(oddSecret),
		strings.ToLower(q),                // lower-case hex (and letters: still no secret left)
		`p@ss/w+rd\u0026x y\u003cz\u003e`, // JSON as Go escapes it
		`p@ss\/w+rd&x y<z>`,               // JSON as PHP escapes it
	} {
		text := "before " + form + " after"
		if got := redactSecrets(text, oddSecret); got != "before [REDACTED] after" {
			t.Errorf("%q redacted to %q", text, got)
		}
	}
	if got := redactSecrets("nothing here", "", ""); got != "nothing here" {
		t.Errorf("empty secrets changed the text: %q", got)
	}
}

// A server that reflects what it was sent, URL-encoded, in its error
// answers: neither the client secret (sent form-encoded to the token
// endpoint) nor the bearer token may reach the error text.
func TestReflectedSecretsAreRedacted(t *testing.T) {
	const token = "tok/en+with=odd&chars"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == tokenPath {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(r.URL.RawQuery, "fail") || strings.Contains(string(body), "bad") {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"invalid_request","error_description":"cannot parse `+string(body)+`"}`)
				return
			}
			io.WriteString(w, `{"access_token":"`+token+`","token_type":"Bearer","expires_in":3600}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"resultCode":"BAD","errorMessage":"rejected `+url.QueryEscape(r.Header.Get("Authorization"))+`"}`)
	}))
	defer srv.Close()

	newClient := func(scope string) *Client {
		c, err := New(Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: oddSecret, Scope: scope,
			Retry: RetryPolicy{MaxAttempts: 1, BaseDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leaks := func(s string) bool {
		for _, f := range append(secretForms(oddSecret), secretForms(token)...) {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}

	err := newClient("monitoring bad").Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot parse") {
		t.Fatalf("token call: err = %v, want the server's reflection (redacted)", err)
	}
	if leaks(err.Error()) {
		t.Errorf("token error leaks the client secret: %v", err)
	}

	var users []User
	err = list(context.Background(), newClient("monitoring"), "/v2/user/technicians", nil, &users)
	if err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("API call: err = %v, want the server's reflection (redacted)", err)
	}
	if leaks(err.Error()) {
		t.Errorf("API error leaks the token: %v", err)
	}
}

// A base URL that carries a token, in its user part or its query, is
// refused without repeating the token, whatever else is wrong with it.
func TestBaseURLErrorsHideCredentials(t *testing.T) {
	const tok = "T0KEN"
	for _, tt := range []struct{ base, region string }{
		{"https://" + tok + "@app.ninjarmm.com", ""},
		{"https://" + tok + ":@app.ninjarmm.com", ""},
		{"https://user:" + tok + "@app.ninjarmm.com", ""},
		{"https://app.ninjarmm.com/?token=" + tok, ""},
		{"https://app.ninjarmm.com/?" + tok, ""},
		{"https://app.ninjarmm.com/#" + tok, ""},
		{"https://app.ninjarmm.com/%zz?" + tok, ""},
		{"https://" + tok + "@app.ninjarmm.com/%zz", ""},
		{"htps://" + tok + "@app.ninjarmm.com", ""},
		{tok + "@app.ninjarmm.com", ""},
		{"http://" + tok + "@app.ninjarmm.com/?x=" + tok, ""},
		{"https://" + tok + "@app.ninjarmm.com", "eu"},
		{"https://app.ninjarmm.com/?t=" + tok, "eu"},
	} {
		_, err := ResolveBaseURL(tt.base, tt.region)
		if err == nil {
			t.Errorf("ResolveBaseURL(%q, %q) accepted it", tt.base, tt.region)
			continue
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("ResolveBaseURL(%q, %q): error repeats the token: %v", tt.base, tt.region, err)
		}
	}
}
