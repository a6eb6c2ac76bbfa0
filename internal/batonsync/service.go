package batonsync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	"github.com/conductorone/baton-sdk/pkg/healthcheck"
	"github.com/conductorone/baton-sdk/pkg/tasks"
	"github.com/conductorone/baton-sdk/pkg/tasks/c1api"
	"github.com/conductorone/baton-sdk/pkg/types"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Service mode: the connector as a long-lived process that ConductorOne
// drives. It uses the SDK's own task manager (pkg/tasks/c1api: the Hello,
// the GetTask / Heartbeat / UploadAsset / FinishTask calls and a handler
// per task type) over the in-process connector client, with a loop of its
// own instead of the SDK's connectorrunner, which re-executes the binary,
// may exit the process and ignores SIGTERM.

// ServiceOptions configures Serve.
type ServiceOptions struct {
	// ClientID and ClientSecret are the ConductorOne credential. The
	// secret is a private key: the SDK signs a client assertion with it
	// and never sends it anywhere.
	ClientID, ClientSecret string
	// Engine is the c1z engine of the syncs uploaded; "" lets each task
	// choose, and the SDK's default (Pebble) otherwise.
	Engine Engine
	// Grace is how long the task in flight may run once ctx is done
	// before it is cancelled; its outcome is reported to ConductorOne
	// either way.
	Grace time.Duration
	// ReportWait bounds the wait for a cancelled task's report; default
	// 5s. Grace + ReportWait should stay under the pod's termination
	// grace period (30s by default).
	ReportWait time.Duration
	// Health, when set, serves the SDK's health endpoints (/health,
	// /ready, /live) on a port of its own.
	Health *HealthOptions
	// SkipFullSync makes full-sync tasks skip the sync, as the SDK's own
	// runner does with --skip-full-sync.
	SkipFullSync bool
}

// HealthOptions places the health endpoints.
type HealthOptions struct {
	BindAddress string
	Port        int
}

// Backoff is the wait before asking ConductorOne again after n failed
// calls in a row: 1s, 2s, 4s ... capped at a minute, with a tenth of
// jitter so that many connectors recovering together do not all call at
// once.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := time.Minute
	if n <= 6 {
		d = time.Second << (n - 1)
	}
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}

// Serve runs the connector in service mode until ctx is done: a Hello to
// ConductorOne, then one task at a time. When ctx ends it claims no new
// task, lets the one in flight finish for up to opts.Grace, cancels it
// then, and returns nil once its outcome has been reported (or
// opts.ReportWait later). It returns an error only when it cannot start:
// a credential the SDK refuses, a Hello ConductorOne rejects for good, a
// health port in use.
func (s *Server) Serve(ctx context.Context, conn *Connector, opts ServiceOptions) error {
	ctx = s.ctx(ctx)
	log := s.logger
	if opts.ReportWait <= 0 {
		opts.ReportWait = 5 * time.Second
	}
	tm, err := c1api.NewC1TaskManager(ctx, opts.ClientID, opts.ClientSecret, s.tmpDir,
		opts.SkipFullSync, "", "", nil, nil, nil, 1, opts.Engine, 1, false)
	if err != nil {
		return fmt.Errorf("the ConductorOne credential: %w", err)
	}

	// Tasks run on a context that outlives ctx, so the one in flight can
	// finish and report; it ends Grace after ctx does. giveUp closes
	// ReportWait after that, when the loop stops waiting for the task.
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()
	giveUp := make(chan struct{})
	loopDone := make(chan struct{})
	defer close(loopDone)
	go func() {
		select {
		case <-loopDone:
			return
		case <-ctx.Done():
		}
		log.Info("stopping: no new tasks will be claimed", zap.Duration("grace_period", opts.Grace))
		select {
		case <-loopDone:
			return
		case <-time.After(opts.Grace):
		}
		log.Warn("stopping: the grace period is over; cancelling the task in flight")
		cancelTasks()
		select {
		case <-loopDone:
		case <-time.After(opts.ReportWait):
			close(giveUp)
		}
	}()

	var ready atomic.Bool
	if opts.Health != nil {
		hs := healthcheck.NewServer(healthcheck.Config{Enabled: true, BindAddress: opts.Health.BindAddress, Port: opts.Health.Port},
			func(context.Context) (types.ConnectorClient, error) {
				if !ready.Load() {
					return nil, errors.New("not connected to ConductorOne")
				}
				return healthClient{ConnectorClient: s.client, validate: conn.client.Validate}, nil
			})
		if err := hs.Start(ctx); err != nil {
			return fmt.Errorf("health check on %s: %w", net.JoinHostPort(opts.Health.BindAddress, strconv.Itoa(opts.Health.Port)), err)
		}
		defer func() { _ = hs.Stop(context.WithoutCancel(ctx)) }()
	}

	if err := s.hello(ctx, tm); err != nil {
		if ctx.Err() != nil {
			log.Info("stopped before ConductorOne answered the Hello")
			return nil
		}
		return fmt.Errorf("ConductorOne refused the connector's Hello: %w", err)
	}
	ready.Store(true)
	defer ready.Store(false)
	log.Info("connected to ConductorOne; waiting for tasks")

	failures := 0
	var wait time.Duration
	for {
		if !sleep(ctx, wait) {
			return nil
		}
		task, next, err := tm.Next(taskCtx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			wait = Backoff(failures)
			log.Warn("ConductorOne: asking for the next task failed; retrying",
				zap.Error(err), zap.Int("failures", failures), zap.Duration("retry_in", wait))
			continue
		}
		if failures > 0 {
			log.Info("ConductorOne answers again", zap.Int("failures", failures))
		}
		failures, wait = 0, next
		if task == nil {
			continue
		}
		if !s.process(taskCtx, tm, task, giveUp) {
			return nil
		}
		// Provisioning reads NinjaOne afresh; the sync's Snapshot is done
		// with, and must not be the next sync's.
		conn.dropSnapshot()
		if ctx.Err() != nil {
			return nil
		}
	}
}

// hello says hello to ConductorOne. The SDK's Bootstrap retries a Hello
// that fails for a passing reason (up to five minutes apart) and gives up
// on a refusal, but it takes a token endpoint answering 5xx (an outage)
// for a refusal of the credential: the SDK reports both as Unauthenticated
// "failed to get token: <status>". Those are retried here, with Backoff.
func (s *Server) hello(ctx context.Context, tm c1api.BootstrappingTaskManager) error {
	for n := 1; ; n++ {
		err := tm.Bootstrap(ctx, s.client)
		if err == nil || ctx.Err() != nil || !tokenOutage(err) {
			return err
		}
		wait := Backoff(n)
		s.logger.Warn("ConductorOne's token endpoint is unavailable; retrying the Hello", zap.Error(err), zap.Int("failures", n), zap.Duration("retry_in", wait))
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

var tokenStatus5xx = regexp.MustCompile(`failed to get token: 5\d\d\b`)

func tokenOutage(err error) bool {
	return status.Code(err) == codes.Unauthenticated && tokenStatus5xx.MatchString(err.Error())
}

// process runs one task and reports false when the loop must stop
// without waiting for it any longer.
func (s *Server) process(ctx context.Context, tm c1api.BootstrappingTaskManager, task *v1.Task, giveUp <-chan struct{}) bool {
	log := s.logger.With(zap.String("task_id", task.GetId()), zap.Stringer("task_type", tasks.GetType(task)))
	start := time.Now()
	log.Info("task started")
	done := make(chan error, 1)
	go func() { done <- tm.Process(ctx, task, s.client) }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("task could not be carried out or reported", zap.Error(err), zap.Duration("duration", time.Since(start)))
		} else {
			log.Info("task done and reported", zap.Duration("duration", time.Since(start)))
		}
		return true
	case <-giveUp:
		log.Error("task did not stop after it was cancelled; exiting without waiting for its report")
		return false
	}
}

// sleep waits d, or less when ctx ends first; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropSnapshot forgets the current sync's Snapshot, so that the next sync
// reads NinjaOne again and a large tenant is not held in memory between
// syncs.
func (c *Connector) dropSnapshot() {
	c.mu.Lock()
	c.cur, c.curSync, c.claimed = nil, "", false
	c.mu.Unlock()
}

// healthClient is the connector client the health endpoint sees: its
// Validate makes the cheap NinjaOne check (a token and one small read),
// never a sync's Snapshot, and leaves the sync's state alone.
type healthClient struct {
	types.ConnectorClient
	validate func(context.Context) error
}

func (h healthClient) Validate(ctx context.Context, _ *v2.ConnectorServiceValidateRequest, _ ...grpc.CallOption) (*v2.ConnectorServiceValidateResponse, error) {
	if err := h.validate(ctx); err != nil {
		return nil, explain(err)
	}
	return &v2.ConnectorServiceValidateResponse{}, nil
}
