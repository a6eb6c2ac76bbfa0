// Package ci holds example CI workflows for ninjaops (github/: GitHub
// Actions). It has no code: its test runs actionlint over the workflows,
// so they stay valid as ninjaops and GitHub Actions move on.
package ci
