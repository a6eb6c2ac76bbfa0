// Package ci holds example CI workflows for ninjaops (github/: GitHub
// Actions). It has no code: its tests run actionlint over the workflows,
// and the drift check's script against a sandbox with the real ninjaops,
// so they stay valid as ninjaops and GitHub Actions move on.
package ci
