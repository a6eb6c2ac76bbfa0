package ninjaone

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// A call whose every attempt fails to connect says so (ErrUnreachable),
// reads, writes and the token call alike; a server that answers, even
// with errors or by dropping the connection, is not unreachable.
func TestUnreachableIsMarked(t *testing.T) {
	s := newStub(t, okUsers)
	c := s.client(nil)
	ctx := context.Background()
	if err := c.Validate(ctx); err != nil { // the token is cached from here on
		t.Fatal(err)
	}
	s.srv.Close() // the server is gone: connections are refused

	var users []User
	if err := list(ctx, c, "/v2/user/technicians", nil, &users); !errors.Is(err, ErrUnreachable) {
		t.Errorf("read: err = %v, want ErrUnreachable", err)
	}
	if _, err := c.CreateTechnician(ctx, CreateTechnicianRequest{FirstName: "A", LastName: "B", Email: "a@example.com"}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("create: err = %v, want ErrUnreachable", err)
	}
	if err := c.AddRoleMembers(ctx, 1, []int32{2}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("add members: err = %v, want ErrUnreachable", err)
	}

	fresh, err := New(Config{BaseURL: s.srv.URL, ClientID: "id", ClientSecret: stubSecret, Retry: RetryPolicy{MaxAttempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	fresh.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	if err := fresh.Validate(ctx); !errors.Is(err, ErrUnreachable) {
		t.Errorf("token: err = %v, want ErrUnreachable", err)
	}

	for name, h := range map[string]http.HandlerFunc{
		"503": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, map[string]string{"resultCode": "UNAVAILABLE"})
		},
		"reset": func(w http.ResponseWriter, r *http.Request) { reset(w) },
	} {
		s := newStub(t, h)
		err := list(ctx, s.client(nil), "/v2/user/technicians", nil, &users)
		if err == nil || errors.Is(err, ErrUnreachable) {
			t.Errorf("%s: err = %v, want an error that is not ErrUnreachable", name, err)
		}
	}
}
