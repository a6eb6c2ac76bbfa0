package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// session is what plan and apply work from: the desired state, the client
// and the live tenant, read once.
type session struct {
	desired *plan.Desired
	client  *ninjaone.Client
	live    *ninjaone.Snapshot
	close   func()
}

// readBoth loads the desired state (with load) and reads the tenant at the
// same time: on a large tenant the two take about as long, so overlapping
// them nearly halves the wait. The organizations are read only when the
// file names one by name, which is known once it is loaded: from then on,
// alongside the lists. An invalid file is reported before any connection
// problem.
func readBoth(c *cli.Context, e *env, load func() (*plan.Desired, error)) (*session, error) {
	if c.Bool(flagSandbox) {
		// The in-process sandbox writes its state file as it starts: an
		// invalid desired file must leave none behind, so it is loaded
		// first (the sandbox starts in a moment; there is no read to
		// overlap with).
		d, err := load()
		if err != nil {
			return nil, desiredError(e, err)
		}
		load = func() (*plan.Desired, error) { return d, nil }
	}
	client, closeFn, connErr := connect(c, e)
	if connErr != nil {
		if _, err := load(); err != nil {
			return nil, desiredError(e, err)
		}
		return nil, connErr
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	type read struct {
		live *ninjaone.Snapshot
		err  error
	}
	done := make(chan read, 1)
	go func() {
		live, err := client.Snapshot(ctx, ninjaone.SnapshotOptions{})
		done <- read{live, err}
	}()
	d, err := load()
	if err != nil {
		cancel()
		<-done
		closeFn()
		return nil, desiredError(e, err)
	}
	var orgs chan orgRead
	if plan.NeedsOrganizations(d) {
		// Known once the file is loaded, which on a large tenant is well
		// before the lists are read: page through the organizations
		// meanwhile rather than after.
		orgs = make(chan orgRead, 1)
		go func() {
			var o orgRead
			o.orgs, o.err = client.Organizations(ctx)
			orgs <- o
		}()
	}
	r := <-done
	if orgs != nil {
		if r.err != nil {
			cancel()
		}
		if o := <-orgs; r.err == nil {
			r.live.Organizations, r.err = o.orgs, o.err
		}
	}
	if r.err != nil {
		closeFn()
		return nil, fmt.Errorf("reading NinjaOne: %w", r.err)
	}
	return &session{desired: d, client: client, live: r.live, close: closeFn}, nil
}

// orgRead is the outcome of reading the organizations.
type orgRead struct {
	orgs []ninjaone.Organization
	err  error
}
