package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// expectTenantIsolation checks every Resource Manager and Cloud Apps request the fake recorded since
// its last reset: each carried an access token of the tenant that owns the endpoint, none was refused
// for its credential, and each of the tenants saw requests of both services.
func expectTenantIsolation(srv *fakeapi.Server, tenants ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		seen := map[string]int{}
		for _, r := range srv.Requests() {
			if !serviceRequest.MatchString(r.Path) {
				continue
			}
			if r.Tenant == "" || r.TokenTenant != r.Tenant || r.Status == 401 || r.Status == 403 {
				return fmt.Errorf("%s %s of tenant %q (status %d) carried a token of tenant %q", r.Method, r.Path, r.Tenant, r.Status, r.TokenTenant)
			}
			service := "Resource Manager"
			if strings.HasPrefix(r.Path, "/mcas/") {
				service = "Cloud Apps"
			}
			seen[r.Tenant+" "+service]++
		}
		for _, tenant := range tenants {
			for _, service := range []string{"Resource Manager", "Cloud Apps"} {
				if seen[tenant+" "+service] == 0 {
					return fmt.Errorf("tenant %s saw no %s request; requests by tenant and service: %v", tenant, service, seen)
				}
			}
		}
		return nil
	}
}

// TestAccProviderAuth_tenantIsolation configures one provider alias per tenant of the fake, each with
// its own tenant, portal and kind of credential, reads each tenant's streams and applies an integration
// in each, and shows that every request to a tenant's Resource Manager subscription and Cloud Apps
// portal carried that tenant's token, through create, refresh, plan and destroy.
//
// Terraform runs one provider process per provider configuration, so each alias has its own
// credential and clients. The in-process test harness instead serves every alias from one provider
// server, which keeps only the configuration it received last; so this test installs a build of the
// provider, as users do, and sets TF_CLI_CONFIG_FILE and SSL_CERT_FILE for it, which keeps it from
// running in parallel.
func TestAccProviderAuth_tenantIsolation(t *testing.T) {
	srv := startFake(t, authFakeOptions)
	t.Setenv("TF_CLI_CONFIG_FILE", providerCLIConfig(t))
	t.Setenv("SSL_CERT_FILE", srv.CAFile())
	contoso, fabrikam, northwind := tenantInfo(t, srv, "contoso"), tenantInfo(t, srv, "fabrikam"), tenantInfo(t, srv, "northwind")
	const password = "pfx-Password-fabrikam"
	pfxFile := writePFX(t, fabrikam, password)
	token, err := srv.MintFederatedToken("northwind", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "northwind-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	tenants := []struct {
		info fakeapi.TenantInfo
		auth string
	}{
		{contoso, secretAuth(contoso)},
		{fabrikam, fmt.Sprintf("client_id = %q\nclient_certificate_path = %q\nclient_certificate_password = %q", fabrikam.ClientID, pfxFile, password)},
		{northwind, fmt.Sprintf("client_id = %q\noidc_token_file_path = %q", northwind.ClientID, tokenFile)},
	}
	var config strings.Builder
	var checks []statecheck.StateCheck
	var servers []resource.TestCheckFunc
	for _, tn := range tenants {
		name := tn.info.Name
		fmt.Fprintf(&config, "%s\n", authProviderBlock(srv, tn.info, fmt.Sprintf("alias = %q\n%s\nuse_cli = false", name, tn.auth)))
		fmt.Fprintf(&config, `
resource "mcas_sentinel_integration" %[1]q {
  provider     = mcas.%[1]s
  workspace_id = %[2]q
}

data "mcas_discovery_streams" %[1]q {
  provider = mcas.%[1]s
}
`, name, tn.info.WorkspaceID)
		checks = append(checks,
			statecheck.ExpectKnownValue("mcas_sentinel_integration."+name, tfjsonpath.New("tenant_id"), knownvalue.StringExact(tn.info.TenantID)),
			statecheck.ExpectKnownValue("data.mcas_discovery_streams."+name, streamsPath(), knownvalue.ListSizeExact(len(srv.Streams(name)))))
		f := &integrationFixture{t: t, srv: srv, info: tn.info}
		servers = append(servers, f.expectServer(true, true))
	}
	resource.Test(t, resource.TestCase{
		ExternalProviders: map[string]resource.ExternalProvider{"mcas": {Source: "mcas-terraform/mcas", VersionConstraint: mirrorVersion}},
		Steps: []resource.TestStep{{
			PreConfig:         srv.ResetRequests,
			Config:            config.String(),
			ConfigStateChecks: checks,
			Check:             resource.ComposeAggregateTestCheckFunc(append(servers, expectTenantIsolation(srv, "contoso", "fabrikam", "northwind"))...),
		}},
		// The request log now also holds the refresh, plan and destroy that followed the step.
		CheckDestroy: expectTenantIsolation(srv, "contoso", "fabrikam", "northwind"),
	})
}
