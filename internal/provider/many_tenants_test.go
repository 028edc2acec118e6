package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

const (
	manyTenantsExampleDir = "../../examples/many-tenants"
	// msspClientID is the multi-tenant app registration of the managing tenant "mssp".
	msspClientID = "6f1b0c3e-5d7a-4f36-9a51-0c4e8b2d7a91"
)

// msspWorld is the default world with a managing tenant "mssp", whose multi-tenant app trusts the
// pipeline's federated subject, and a fourth customer, "adatum"; every customer consented to the app.
func msspWorld() *fakeapi.World {
	w := fakeapi.DefaultWorld()
	consent := []fakeapi.ConsentSpec{{ClientID: msspClientID}}
	for i := range w.Tenants {
		w.Tenants[i].ConsentedApps = consent
	}
	w.Tenants = append(w.Tenants,
		fakeapi.TenantSpec{Name: "mssp", Apps: []fakeapi.AppSpec{{
			ClientID: msspClientID, MultiTenant: true,
			FederatedCredentials: []fakeapi.FederatedCredential{{Subject: fakeapi.DefaultFederatedSubject}},
		}}},
		fakeapi.TenantSpec{Name: "adatum", ConsentedApps: consent},
	)
	return w
}

// countingProviderCLIConfig is providerCLIConfig whose provider binary is a script that appends the
// process id of the Terraform command that started it to a log, then runs the provider. It returns
// the CLI configuration and the log.
func countingProviderCLIConfig(t *testing.T) (cliConfig, starts string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the provider wrapper is a shell script")
	}
	cliConfig = providerCLIConfig(t)
	binary := filepath.Join(filepath.Dir(cliConfig), "mirror", "registry.terraform.io", "mcas-terraform", "mcas", mirrorVersion,
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-mcas_v"+mirrorVersion)
	built := filepath.Join(filepath.Dir(cliConfig), "terraform-provider-mcas")
	if err := os.Rename(binary, built); err != nil {
		t.Fatal(err)
	}
	starts = filepath.Join(filepath.Dir(cliConfig), "provider-starts")
	script := fmt.Sprintf("#!/bin/sh\necho \"$PPID\" >> '%s'\nexec '%s' \"$@\"\n", starts, built)
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil { //nolint:gosec // The provider must be executable.
		t.Fatal(err)
	}
	return cliConfig, starts
}

// providerStarts returns how many provider processes each Terraform command of the log started,
// keyed by the command's process id.
func providerStarts(path string) (map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	perCommand := map[string]int{}
	for _, line := range strings.Fields(string(data)) {
		perCommand[line]++
	}
	return perCommand, nil
}

// TestAccManyTenantsExample applies examples/many-tenants, the module for every tenant of a map with
// for_each under one provider block, to three customer tenants of the fake, from the managing
// tenant's multi-tenant app with a pipeline's federated token. A fourth tenant is added by changing
// the variable only; a portal edit in one tenant shows in the plan of that tenant only; an empty map
// destroys every integration. All along, each Terraform command runs as many provider processes as
// a configuration of one tenant does, and every request to a tenant's subscription or portal
// carries that tenant's token of the managing tenant's app.
//
// The test installs a build of the provider and sets process environment variables, as a pipeline
// does, so it does not run in parallel.
func TestAccManyTenantsExample(t *testing.T) {
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000, World: msspWorld()})
	mssp := tenantInfo(t, srv, "mssp")
	customers := []string{"contoso", "fabrikam", "northwind", "adatum"}
	fixtures := map[string]*integrationFixture{}
	for _, name := range customers {
		fixtures[name] = &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, name)}
	}
	cliConfig, starts := countingProviderCLIConfig(t)
	for _, kv := range [][2]string{
		{"TF_CLI_CONFIG_FILE", cliConfig},
		{"SSL_CERT_FILE", srv.CAFile()},
		{"ARM_ENVIRONMENT", "custom"},
		{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", srv.AuthorityHost()},
		{"ARM_RESOURCE_MANAGER_ENDPOINT", srv.ResourceManagerEndpoint()},
		{"ARM_RESOURCE_MANAGER_AUDIENCE", fakeapi.ResourceManagerAudience},
		{"ARM_USE_OIDC", "true"},
		{"ARM_USE_CLI", "false"},
		{"ACTIONS_ID_TOKEN_REQUEST_URL", srv.GitHubRequestURL("mssp")},
		{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", srv.GitHubRequestToken()},
	} {
		t.Setenv(kv[0], kv[1])
	}

	variables := func(names ...string) config.Variables {
		tenants := map[string]config.Variable{}
		for _, name := range names {
			info := fixtures[name].info
			attrs := map[string]config.Variable{
				"tenant_id":    config.StringVariable(info.TenantID),
				"portal_url":   config.StringVariable(info.PortalURL),
				"workspace_id": config.StringVariable(info.WorkspaceID),
			}
			if name == "contoso" {
				attrs["stream_names"] = config.SetVariable(config.StringVariable("Palo Alto - HQ firewall"))
			}
			tenants[name] = config.ObjectVariable(attrs)
		}
		return config.Variables{
			"managing_tenant_id": config.StringVariable(mssp.TenantID),
			"app_client_id":      config.StringVariable(msspClientID),
			"tenants":            config.MapVariable(tenants),
		}
	}
	example := config.StaticDirectory(manyTenantsExampleDir)
	address := func(name string) string { return fmt.Sprintf("module.tenant[%q].mcas_sentinel_integration.this", name) }
	actions := func(tenants []string, action plancheck.ResourceActionType, changed ...string) []plancheck.PlanCheck {
		var checks []plancheck.PlanCheck
		for _, name := range tenants {
			want := plancheck.ResourceActionNoop
			for _, c := range changed {
				if c == name {
					want = action
				}
			}
			checks = append(checks, plancheck.ExpectResourceAction(address(name), want))
		}
		return checks
	}
	contosoStream := fixtures["contoso"].streamID("Palo Alto - HQ firewall")
	asConfigured := func(names ...string) serverCheck {
		var checks serverCheck
		for _, name := range names {
			if name == "contoso" {
				checks = append(checks, fixtures[name].expectServer(true, true, contosoStream))
			} else {
				checks = append(checks, fixtures[name].expectServer(true, true))
			}
		}
		return checks
	}
	outputs := func(names ...string) statecheck.StateCheck {
		entries := map[string]knownvalue.Check{}
		for _, name := range names {
			entries[name] = knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"integration_id":       knownvalue.StringExact(fixtures[name].connectorID()),
				"forwards_all_streams": knownvalue.Bool(name != "contoso"),
			})
		}
		return statecheck.ExpectKnownOutputValue("integrations", knownvalue.ObjectExact(entries))
	}
	// Every request of the step to a tenant's subscription or portal carried a token of that tenant,
	// of the managing tenant's app; each tenant got its tokens in its own token endpoint; and no
	// Terraform command started more provider processes than one provider configuration needs, at most
	// three (Terraform 1.11 starts them to read the schema, to validate and to plan or apply), whatever
	// the number of tenants. A provider alias per tenant makes Terraform start two more per alias.
	oneProcessPerCommand := func(names ...string) serverCheck {
		return serverCheck{
			expectTenantIsolation(srv, names...),
			func(*terraform.State) error {
				for _, r := range srv.Requests() {
					if serviceRequest.MatchString(r.Path) && r.TokenAppID != msspClientID {
						return fmt.Errorf("%s %s carried a token of app %q, want the managing tenant's app %s", r.Method, r.Path, r.TokenAppID, msspClientID)
					}
				}
				for _, name := range names {
					if n := srv.CountRequests("POST", "^/"+fixtures[name].info.TenantID+`/oauth2/v2\.0/token$`); n == 0 {
						return fmt.Errorf("no token was requested in tenant %s", name)
					}
				}
				perCommand, err := providerStarts(starts)
				if err != nil {
					return err
				}
				if len(perCommand) == 0 {
					return errors.New("no provider process was started")
				}
				for command, n := range perCommand {
					if n > 3 {
						return fmt.Errorf("the Terraform command %s started %d provider processes for %d tenants, want at most 3, as for one provider configuration", command, n, len(names))
					}
				}
				return nil
			},
		}
	}
	reset := func() {
		srv.ResetRequests()
		if err := os.Remove(starts); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	three, four := customers[:3], customers
	nothingLeft := serverCheck{}
	for _, name := range customers {
		nothingLeft = append(nothingLeft, fixtures[name].expectNothingLeft())
	}

	resource.Test(t, resource.TestCase{
		WorkingDir: moduleWorkingDir(t),
		Steps: []resource.TestStep{
			{
				PreConfig:         reset,
				ConfigDirectory:   example,
				ConfigVariables:   variables(three...),
				ConfigStateChecks: []statecheck.StateCheck{outputs(three...), asConfigured(three...), oneProcessPerCommand(three...)},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             actions(three, plancheck.ResourceActionCreate, three...),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A fourth tenant: one more entry in the map, nothing else.
				PreConfig:         reset,
				ConfigDirectory:   example,
				ConfigVariables:   variables(four...),
				ConfigStateChecks: []statecheck.StateCheck{outputs(four...), asConfigured(four...), oneProcessPerCommand(four...)},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             actions(four, plancheck.ResourceActionCreate, "adatum"),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Someone turns discovery logs off on fabrikam's Sentinel agent in the portal: only
				// fabrikam's integration is updated.
				PreConfig: func() {
					reset()
					agent := sentinelAgent(t, fixtures["fabrikam"])
					agent.DiscoveryLogsEnabled = false
					if err := srv.PutAgent("fabrikam", agent); err != nil {
						t.Fatalf("editing fabrikam's Sentinel agent: %v", err)
					}
				},
				ConfigDirectory:   example,
				ConfigVariables:   variables(four...),
				ConfigStateChecks: []statecheck.StateCheck{asConfigured(four...), oneProcessPerCommand(four...)},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             actions(four, plancheck.ResourceActionUpdate, "fabrikam"),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// An empty map destroys every integration, and leaves the harness a state without
				// module instances for its final destroy.
				PreConfig:         reset,
				ConfigDirectory:   example,
				ConfigVariables:   variables(),
				ConfigStateChecks: []statecheck.StateCheck{nothingLeft},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             actions(four, plancheck.ResourceActionDestroy, four...),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccOtherTenant shows the plan-time refusals of resources and data sources that name a tenant
// or portal the provider cannot reach, none of which sends a request to a customer tenant; then an
// integration of a customer tenant made by the managing tenant's provider, imported by an id that
// names its tenant and portal, and with the import block, which plans no change.
func TestAccOtherTenant(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000, World: msspWorld()})
	mssp, contoso, fabrikam := tenantInfo(t, srv, "mssp"), tenantInfo(t, srv, "contoso"), tenantInfo(t, srv, "fabrikam")
	token, err := srv.MintFederatedToken("mssp", 0)
	if err != nil {
		t.Fatal(err)
	}
	msspAuth := fmt.Sprintf("client_id = %q\noidc_token = %q", msspClientID, token)
	provider := func(extra string) string {
		return providerBlock(srv, mssp, msspAuth+"\n"+extra)
	}
	integration := func(tenant fakeapi.TenantInfo, portal bool) string {
		portalLine := ""
		if portal {
			portalLine = fmt.Sprintf("portal_url   = %q", tenant.PortalURL)
		}
		return fmt.Sprintf(`
resource "mcas_sentinel_integration" "customer" {
  tenant_id    = %q
  workspace_id = %q
  %s
}
`, tenant.TenantID, tenant.WorkspaceID, portalLine)
	}
	streams := func(tenant fakeapi.TenantInfo) string {
		return fmt.Sprintf(`
data "mcas_discovery_streams" "customer" {
  tenant_id  = %q
  portal_url = %q
}
`, tenant.TenantID, tenant.PortalURL)
	}
	allowContoso := fmt.Sprintf("additional_tenant_ids = [%q]", contoso.TenantID)
	const customer = "mcas_sentinel_integration.customer"
	fixture := &integrationFixture{t: t, srv: srv, info: contoso}
	importID := fmt.Sprintf("%s?tenant_id=%s&portal_url=%s", fixture.connectorID(), contoso.TenantID, contoso.PortalURL)
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{ProtoV6ProviderFactories: factories(srv), Config: config, PlanOnly: true, ExpectError: errorPattern(want)}
	}
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{
			step(provider(allowContoso)+integration(fabrikam, true),
				`Tenant out of the provider's reach.*tenant `+fabrikam.TenantID+` is neither the provider's tenant_id \(`+mssp.TenantID+`\) nor one of its additional_tenant_ids`),
			step(provider(allowContoso)+streams(fabrikam), `Tenant out of the provider's reach.*additional_tenant_ids`),
			step(provider(allowContoso)+integration(contoso, false), `Portal URL needed for another tenant.*set portal_url to the tenant's Defender for Cloud Apps API URL`),
			step(provider(allowContoso+fmt.Sprintf("\napi_token = %q", mssp.APIToken))+integration(contoso, true),
				`provider calls Defender for Cloud Apps with api_token \(MCAS_API_TOKEN\), a legacy token that belongs to the provider's own tenant`),
			step(strings.Replace(providerBlock(srv, mssp, `additional_tenant_ids = ["*"]`), "use_cli    = false", "use_cli    = true", 1)+integration(contoso, true),
				`no configured authentication method can get tokens for the tenant `+contoso.TenantID+`.*Azure CLI \(use_cli / ARM_USE_CLI\): the provider uses the Azure CLI only in the tenant it is logged in to`),
			step(provider(`additional_tenant_ids = ["contoso"]`)+integration(contoso, true), `Invalid tenant id.*"contoso" is neither a tenant id nor "\*"`),
			step(provider(allowContoso)+fmt.Sprintf(`
import {
  to = mcas_sentinel_integration.customer
  id = "%s?tenant_id=%s&portal_url=bad"
}
`, fixture.connectorID(), contoso.TenantID)+integration(contoso, true), `Invalid import id.*the import id's portal_url`),
			{
				ProtoV6ProviderFactories: factories(srv),
				PreConfig: func() {
					var customerRequests []string
					for _, r := range srv.Requests() {
						if r.Tenant != "" && r.Tenant != "mssp" {
							customerRequests = append(customerRequests, r.Method+" "+r.Path)
						}
					}
					sort.Strings(customerRequests)
					if len(customerRequests) > 0 {
						t.Errorf("refused configurations sent requests to customer tenants:\n%s", strings.Join(customerRequests, "\n"))
					}
				},
				Config: provider(allowContoso) + integration(contoso, true),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(customer, tfjsonpath.New("tenant_id"), knownvalue.StringExact(contoso.TenantID)),
					statecheck.ExpectKnownValue(customer, tfjsonpath.New("portal_url"), knownvalue.StringExact(contoso.PortalURL)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(fixture.expectServer(true, true), expectTenantIsolation(srv, "contoso")),
			},
			{
				ProtoV6ProviderFactories: factories(srv),
				Config:                   provider(allowContoso) + integration(contoso, true),
				ResourceName:             customer,
				ImportState:              true,
				ImportStateId:            importID,
				ImportStateVerify:        true,
				ImportStateVerifyIgnore:  []string{"timeouts"},
			},
			{
				ProtoV6ProviderFactories: factories(srv),
				Config:                   provider(allowContoso) + integration(contoso, true),
				ResourceName:             customer,
				ImportState:              true,
				ImportStateKind:          resource.ImportBlockWithID,
				ImportStateId:            importID,
			},
			{
				// The harness destroys with the configuration of the last step.
				ProtoV6ProviderFactories: factories(srv),
				Config:                   provider(allowContoso) + integration(contoso, true),
				PlanOnly:                 true,
			},
		},
		CheckDestroy: fixture.expectNothingLeft(),
	})
}
