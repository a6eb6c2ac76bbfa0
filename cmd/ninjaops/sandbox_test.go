package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
)

// TestInProcessSandbox is --sandbox end to end without a command: the
// client reads the quickstart tenant, writes, and a second start on the
// same state sees the write. All traffic is checked against the spec.
func TestInProcessSandbox(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), ".ninjaops", "sandbox.json")
	hc, v := contract.Client(t, nil)

	seed, info, err := builtinSeed()
	if err != nil {
		t.Fatal(err)
	}
	open := func() (*ninjaone.Client, func()) {
		cfg, stop, err := startInProcessSandbox(ctx, sandboxSetup{state: state, seed: seed, info: info}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.HTTPClient = hc
		c, err := ninjaone.New(cfg)
		if err != nil {
			stop()
			t.Fatal(err)
		}
		return c, stop
	}
	helpdesk := func(s *ninjaone.Snapshot) []int32 {
		for _, r := range s.Roles {
			if r.Name == "Helpdesk" {
				var ids []int32
				for _, m := range r.Members {
					ids = append(ids, m.ID)
				}
				return ids
			}
		}
		t.Fatal("no Helpdesk role")
		return nil
	}

	c, stop := open()
	snap, err := c.Snapshot(ctx, ninjaone.SnapshotOptions{Organizations: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Technicians) != 8 || len(snap.EndUsers) != 8 || len(snap.Roles) != 5 || len(snap.Organizations) != 3 {
		t.Errorf("quickstart snapshot: %d technicians, %d end users, %d roles, %d organizations",
			len(snap.Technicians), len(snap.EndUsers), len(snap.Roles), len(snap.Organizations))
	}
	if got := helpdesk(snap); !slices.Equal(got, []int32{2, 3, 6}) {
		t.Errorf("Helpdesk members %v", got)
	}
	if err := c.AddRoleMembers(ctx, 1, []int32{4}); err != nil {
		t.Fatal(err)
	}
	stop()

	c, stop = open()
	defer stop()
	snap, err = c.Snapshot(ctx, ninjaone.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := helpdesk(snap); !slices.Equal(got, []int32{2, 3, 4, 6}) {
		t.Errorf("after a restart, Helpdesk members %v", got)
	}
	if checked, _ := v.Checked(); checked == 0 {
		t.Error("the contract validator saw no traffic")
	}
}
