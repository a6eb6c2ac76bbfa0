package main

import (
	"strings"
	"testing"
)

// A plan names its tenant by host and a digest of host and client id;
// apply refuses any other, a plan of an older ninjaops (the host alone,
// which cannot tell the tenants of one regional host apart) included.
func TestCheckTarget(t *testing.T) {
	here := tenant{host: "eu.ninjarmm.com", key: tenantDigest("eu.ninjarmm.com", "client-a")}
	other := tenant{host: "eu.ninjarmm.com", key: tenantDigest("eu.ninjarmm.com", "client-b")}
	us := tenant{host: "app.ninjarmm.com", key: tenantDigest("app.ninjarmm.com", "client-a")}
	sb := tenant{host: "sandbox", key: tenantDigest("sandbox", "/x/state.json"), sandbox: true}
	for _, tt := range []struct {
		saved string
		want  string
	}{
		{here.target(), ""},
		{other.target(), "plan.json was made for another tenant or API client on eu.ninjarmm.com"},
		{us.target(), "plan.json was made for app.ninjarmm.com, but this apply talks to eu.ninjarmm.com"},
		{sb.target(), "plan.json was made for sandbox, but this apply talks to eu.ninjarmm.com"},
		{"eu.ninjarmm.com", "records only the host eu.ninjarmm.com (it was made by an older ninjaops)"},
		{"", "plan.json records no tenant"},
	} {
		err := checkTarget("plan.json", tt.saved, here)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("saved %q: %v, want %q", tt.saved, err, tt.want)
		}
	}
	if strings.Contains(here.target(), "client-a") || here.key == other.key || here.key == us.key {
		t.Errorf("targets %q %q %q: the client id must not show, and each tenant must differ", here.target(), other.target(), us.target())
	}
	if sb.target() != "sandbox state:"+sb.key {
		t.Errorf("sandbox target %q", sb.target())
	}
	otherState := tenant{host: "sandbox", key: tenantDigest("sandbox", "/y/state.json"), sandbox: true}
	if err := checkTarget("plan.json", otherState.target(), sb); err == nil || !strings.Contains(err.Error(), "made for the built-in sandbox with another --sandbox-state") {
		t.Errorf("another sandbox state: %v", err)
	}
}
