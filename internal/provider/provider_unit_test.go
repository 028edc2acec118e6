package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// TestProviderSchemas validates every schema the provider serves, as Terraform would when it starts
// the provider, without needing Terraform.
func TestProviderSchemas(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	if _, ok := resp.ResourceSchemas["mcas_sentinel_integration"]; !ok {
		t.Error("mcas_sentinel_integration is not served")
	}
	if _, ok := resp.DataSourceSchemas["mcas_discovery_streams"]; !ok {
		t.Error("mcas_discovery_streams is not served")
	}
	for name, s := range resp.ResourceSchemas {
		for _, a := range s.Block.Attributes {
			if a.Description == "" {
				t.Errorf("%s.%s has no description", name, a.Name)
			}
		}
	}
}
