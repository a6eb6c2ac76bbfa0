// Package deploy holds no code: its tests check what ninjaops is deployed
// and released with, as the tools that use them read them. The Dockerfile
// and goreleaser.Dockerfile through BuildKit's parser, the Kubernetes
// example (examples/kubernetes) through the Kubernetes API's own types
// (both in lint/, a module of its own), and .goreleaser.yaml through
// goreleaser itself (check, and a snapshot build). They also check that
// the README, the CI workflows and the Kubernetes example name a release
// the configuration will make.
package deploy
