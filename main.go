// Command terraform-provider-mcas is the Terraform provider for the Microsoft Defender for Cloud Apps
// and Microsoft Sentinel integration.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider"
)

// version is set by the release build (goreleaser passes -ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if err := quietLogs(os.Getenv, os.Setenv); err != nil {
		log.Fatal(err.Error())
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/mcas-terraform/mcas",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// loggerLevels are the environment variables that set the levels of the provider's loggers: the
// plugin SDK's (terraform-plugin-go and terraform-plugin-framework) and the provider's own
// (TF_LOG_PROVIDER_ and the provider's name).
var loggerLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_MCAS"}

// quietLogs turns the provider's loggers off when Terraform shows none of their lines, that is when
// neither TF_LOG nor TF_LOG_PROVIDER is set. The loggers default to TRACE, so every request of a plan
// was otherwise written as JSON by the provider and read back by Terraform only to be dropped: in a
// plan of 500 resources (make bench-tenants), a quarter of the CPU time. A level set for one of the
// loggers is kept.
func quietLogs(getenv func(string) string, setenv func(string, string) error) error {
	if getenv("TF_LOG") != "" || getenv("TF_LOG_PROVIDER") != "" {
		return nil
	}
	for _, name := range loggerLevels {
		if getenv(name) != "" {
			continue
		}
		if err := setenv(name, "OFF"); err != nil {
			return err
		}
	}
	return nil
}
