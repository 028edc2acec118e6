// Package tools pins the development tools of terraform-provider-mcas (documentation generation) in
// a module of their own, so that they never enter the provider's dependencies. Run them with
// `go tool` from this directory, as the GNUmakefile does.
package tools
