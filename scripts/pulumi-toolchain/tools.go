//go:build tools

// Package tools pins the Go packages that scripts/build-pulumi.sh builds, so
// that go.mod and go.sum record one version of each module they come from.
// It is never compiled itself: the "tools" build tag keeps it out of builds.
package tools

import (
	// The Pulumi CLI.
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	// The package whose Version variable build-pulumi.sh stamps with -ldflags -X.
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version"
)
