// Package batonsync is ninjaops' baton-sdk connector: NinjaOne users and
// user roles as baton resources, role membership as grants, System
// Administrators as read-only access, and the provisioning ConductorOne
// drives (grant, revoke, create account, delete).
//
// Every syncer is a view over one ninjaone.Snapshot, read once per sync, so
// a sync makes the same fixed number of requests as `ninjaops plan` whatever
// the tenant's size. The package also runs the SDK's syncer and one-shot
// provisioner in process (Run, in runner.go) over an in-memory gRPC
// connection, which is what the `ninjaops baton` commands use.
package batonsync
