// Package ninjaone is the only package that speaks HTTP to NinjaOne.
//
// It owns the connection settings (base URL, region, credentials, scope),
// the OAuth2 client-credentials token, one Snapshot read of the whole tenant
// in a fixed number of requests, the write calls, and all resilience:
// retries, backoff, throttling, token refresh after a 401, and the re-read
// before re-sending a write whose outcome is unknown. Callers never retry.
//
// It believes only what the API guarantees. Every answer is bounded in
// bytes, time and work (body.go); redirects are never followed and
// credentials go only to the base URL (origin.go); a token's granted
// scopes are checked before work that needs them (scope.go); and a
// Snapshot whose lists disagree is refused (consistency.go), so nothing is
// planned, applied, exported or synced from a partial read.
//
// The JSON types mirror NinjaOne's public API v2 (testdata/openapi.yaml);
// the sandbox sub-package serves the same API for tests.
package ninjaone
