// Package tools pins tfplugindocs for terraform-provider-mcas in a module of its own, so that its
// dependencies never mix with the provider's or with the other tools'. Run it with `go tool` from this
// directory, as the GNUmakefile does.
package tools
