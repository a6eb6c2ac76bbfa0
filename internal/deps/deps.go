//go:build tools

// Package deps pins modules that the project is about to use, so that
// `go mod tidy` keeps them while the packages that import them are being
// written. It is never built.
package deps

import (
	_ "github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	_ "github.com/conductorone/baton-sdk/pkg/connectorclient"
	_ "github.com/conductorone/baton-sdk/pkg/dotc1z"
	_ "github.com/conductorone/baton-sdk/pkg/provisioner"
	_ "github.com/conductorone/baton-sdk/pkg/sync"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/invopop/jsonschema"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/oauth2/clientcredentials"
	_ "golang.org/x/term"
	_ "google.golang.org/grpc/test/bufconn"
	_ "gopkg.in/yaml.v3"
)
