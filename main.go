// Command terraform-provider-mcas is the Terraform provider for the Microsoft Defender for Cloud Apps
// and Microsoft Sentinel integration.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider"
)

// version is set by the release build (goreleaser passes -ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/mcas-terraform/mcas",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
