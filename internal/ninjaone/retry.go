package ninjaone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds how hard the client tries before giving up. The zero
// value means the defaults.
type RetryPolicy struct {
	// MaxAttempts is how many times one request is sent at most (default 8).
	MaxAttempts int
	// MaxElapsed bounds the time spent on one request, waits included
	// (default 2 minutes). The caller's context bounds it further.
	MaxElapsed time.Duration
	// BaseDelay is the first backoff step (default 250ms); each retry
	// doubles it, with jitter, up to MaxDelay (default 15s).
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 2 * time.Minute
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 15 * time.Second
	}
	return p
}

// retrier counts the attempts of one logical request and sleeps between
// them.
type retrier struct {
	c       *Client
	method  string
	path    string
	attempt int
	start   time.Time
	// reason is why the last attempt failed on the network, for the
	// notice of the first retry (notice.go).
	reason string
}

func (c *Client) newRetrier(method, path string) *retrier {
	return &retrier{c: c, method: method, path: path, attempt: 1, start: time.Now()}
}

// wait sleeps before the next attempt, honouring a Retry-After value when
// the server sent one, or returns cause when the attempts or the time are
// used up or ctx ends.
func (r *retrier) wait(ctx context.Context, retryAfter string, cause error) error {
	p := r.c.retry
	if r.attempt >= p.MaxAttempts {
		return giveUp(cause, r.attempt, "")
	}
	d := r.backoff()
	if ra, ok := parseRetryAfter(retryAfter, time.Now()); ok {
		d = ra + time.Duration(rand.Int64N(int64(100*time.Millisecond)))
	}
	if time.Since(r.start)+d > p.MaxElapsed {
		return giveUp(cause, r.attempt, fmt.Sprintf("the next attempt would exceed the retry budget of %s", p.MaxElapsed))
	}
	r.noticeRetry(cause, d)
	r.c.log.Debug("retrying", "method", r.method, "path", r.path, "attempt", r.attempt+1, "wait", d.Round(time.Millisecond).String(), "cause", cause.Error())
	if err := r.c.sleep(ctx, d); err != nil {
		return err
	}
	r.attempt++
	return nil
}

// backoff is exponential with "equal jitter": half the step plus a random
// part, so concurrent callers spread out but never retry at once.
func (r *retrier) backoff() time.Duration {
	p := r.c.retry
	step := p.BaseDelay << min(r.attempt-1, 20)
	if step > p.MaxDelay || step <= 0 {
		step = p.MaxDelay
	}
	half := step / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func giveUp(cause error, attempts int, why string) error {
	if e, ok := cause.(*APIError); ok {
		e.Attempts = attempts
		if why != "" && e.Hint == "" {
			e.Hint = why
		}
		return e
	}
	if why != "" {
		return fmt.Errorf("%w (after %d attempts; %s)", cause, attempts, why)
	}
	return fmt.Errorf("%w (after %d attempts)", cause, attempts)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// retryableStatus lists the statuses worth sending again: throttling and
// the gateway and server errors that are usually passing.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// maybeApplied says whether a write answered with code may nevertheless
// have been carried out. 429 and 503 are refusals before any work; a 500,
// 502 or 504 can come after the server did the work.
func maybeApplied(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
