package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// The examples are used as they are shipped. The test harness copies the files of a step's
// ConfigDirectory into a working directory that it creates inside TestCase.WorkingDir;
// moduleWorkingDir puts a "modules" link to examples/modules there, so the example's module source
// "../modules/sentinel-integration" resolves, from the working directory, to the real module. The
// harness runs terraform init with a step's own configuration, which installs its modules, only when
// the step names its providers (factories, or provider blocks in its ConfigDirectory), so the steps
// here always do.
const (
	multiTenantExampleDir = "../../examples/multi-tenant"
	moduleExamplesDir     = "../../examples/modules"
	// providerNamespace makes the harness serve the in-process provider as mcas-terraform/mcas, the
	// source the examples require, instead of the default hashicorp/mcas.
	providerNamespace = "mcas-terraform"
	// mirrorVersion is the version under which the test's build of the provider is installed.
	mirrorVersion = "0.1.0"
)

// exampleTenants are the tenants of examples/multi-tenant, each with a provider alias and a module
// instance of its name.
var exampleTenants = []string{"contoso", "fabrikam", "northwind"}

// moduleWorkingDir returns a directory for TestCase.WorkingDir whose "modules" entry links to the
// repository's examples/modules.
func moduleWorkingDir(t *testing.T) string {
	t.Helper()
	modules, err := filepath.Abs(moduleExamplesDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "sentinel-integration", "main.tf")); err != nil {
		t.Fatalf("the example module is missing: %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(modules, filepath.Join(dir, "modules")); err != nil {
		t.Fatalf("linking the example modules into the working directory: %v", err)
	}
	return dir
}

// providerCLIConfig builds the provider into a filesystem mirror and returns a Terraform CLI
// configuration file that installs mcas-terraform/mcas from that mirror, as scripts/demo.sh does.
func providerCLIConfig(t *testing.T) string {
	t.Helper()
	goCommand, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the provider for this test: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	binary := filepath.Join(mirror, "registry.terraform.io", "mcas-terraform", "mcas", mirrorVersion,
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-mcas_v"+mirrorVersion)
	build := exec.Command(goCommand, "build", "-ldflags", "-X main.version="+mirrorVersion, "-o", binary, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	rc := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/mcas-terraform/*"]
  }
  direct {
    exclude = ["registry.terraform.io/mcas-terraform/*"]
  }
}
`, mirror)
	if err := os.WriteFile(cliConfig, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	return cliConfig
}

// serverCheck runs checks of what the fake server holds as a state check. The harness cannot run
// TestStep.Check on a state with module instances (its legacy state shim refuses child modules), so
// the server checks ride on ConfigStateChecks, which see the JSON state.
type serverCheck []resource.TestCheckFunc

func (c serverCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var errs []error
	for _, check := range c {
		if err := check(nil); err != nil {
			errs = append(errs, err)
		}
	}
	resp.Error = errors.Join(errs...)
}

// integrationAddrIn is the address of the module's integration in the module instance of a tenant.
func integrationAddrIn(tenant string) string {
	return "module." + tenant + ".mcas_sentinel_integration.this"
}

// planActions expects the given action on the integration of every tenant listed in changed, and no
// change to the others.
func planActions(action plancheck.ResourceActionType, changed ...string) []plancheck.PlanCheck {
	checks := make([]plancheck.PlanCheck, 0, len(exampleTenants))
	for _, name := range exampleTenants {
		want := plancheck.ResourceActionNoop
		for _, c := range changed {
			if c == name {
				want = action
			}
		}
		checks = append(checks, plancheck.ExpectResourceAction(integrationAddrIn(name), want))
	}
	return checks
}

// integrationOutput is the expected entry of one tenant in the example's "integrations" output.
func integrationOutput(f *integrationFixture, allStreams bool, streamNames ...string) knownvalue.Check {
	names := make([]knownvalue.Check, len(streamNames))
	for i, n := range streamNames {
		names[i] = knownvalue.StringExact(n)
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"integration_id":         knownvalue.StringExact(f.connectorID()),
		"cloud_apps_agent_id":    knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{24}$`)),
		"forwards_all_streams":   knownvalue.Bool(allStreams),
		"forwarded_stream_names": knownvalue.ListExact(names),
	})
}

// sentinelAgent returns the tenant's only Sentinel SIEM agent.
func sentinelAgent(t *testing.T, f *integrationFixture) fakeapi.Agent {
	t.Helper()
	agents := f.sentinelAgents()
	if len(agents) != 1 {
		t.Fatalf("tenant %s holds %d Sentinel agents, want 1", f.info.Name, len(agents))
	}
	return agents[0]
}

// TestAccModuleMultiTenant applies examples/multi-tenant, the module examples/modules/sentinel-integration
// used for three tenants through provider aliases, to the three tenants of one fake server. Every alias
// signs in to its own tenant with its own app registration, exchanging the federated token of a
// GitHub-Actions-style pipeline. Then the portal changes one tenant at a time: plan shows an update of
// that tenant's module instance only, and apply restores it.
//
// Terraform runs the provider as users do, from a build of it: a plugin process for every provider
// configuration. The in-process provider of the other tests cannot serve aliases, because Terraform
// sends every provider configuration to the one process it is attached to, where the last one wins.
//
// The test sets process environment variables, as a pipeline does, so it does not run in parallel.
func TestAccModuleMultiTenant(t *testing.T) {
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
	fixtures := map[string]*integrationFixture{}
	for _, name := range exampleTenants {
		fixtures[name] = &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, name)}
	}
	contoso, fabrikam, northwind := fixtures["contoso"], fixtures["fabrikam"], fixtures["northwind"]
	// One pipeline token serves every tenant because each tenant's app trusts the same subject.
	for _, f := range fixtures {
		if f.info.FederatedSubject != contoso.info.FederatedSubject {
			t.Fatalf("tenant %s trusts the federated subject %q, want %q as every other tenant", f.info.Name, f.info.FederatedSubject, contoso.info.FederatedSubject)
		}
	}

	// Terraform installs the provider build, which trusts the fake server through SSL_CERT_FILE. Every
	// tenant shares the cloud (the fake server's endpoints) and the pipeline's federated token; the
	// per-tenant settings are in the configuration.
	for _, kv := range [][2]string{
		{"TF_CLI_CONFIG_FILE", providerCLIConfig(t)},
		{"SSL_CERT_FILE", srv.CAFile()},
		{"ARM_ENVIRONMENT", "custom"},
		{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", srv.AuthorityHost()},
		{"ARM_RESOURCE_MANAGER_ENDPOINT", srv.ResourceManagerEndpoint()},
		{"ARM_RESOURCE_MANAGER_AUDIENCE", fakeapi.ResourceManagerAudience},
		{"ARM_USE_OIDC", "true"},
		{"ARM_USE_CLI", "false"},
		{"ACTIONS_ID_TOKEN_REQUEST_URL", srv.GitHubRequestURL("contoso")},
		{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", srv.GitHubRequestToken()},
	} {
		t.Setenv(kv[0], kv[1])
	}

	tenant := func(f *integrationFixture, extra map[string]config.Variable) config.Variable {
		attrs := map[string]config.Variable{
			"tenant_id":    config.StringVariable(f.info.TenantID),
			"client_id":    config.StringVariable(f.info.ClientID),
			"portal_url":   config.StringVariable(f.info.PortalURL),
			"workspace_id": config.StringVariable(f.info.WorkspaceID),
		}
		for k, v := range extra {
			attrs[k] = v
		}
		return config.ObjectVariable(attrs)
	}
	variables := func(northwindExtra map[string]config.Variable) config.Variables {
		return config.Variables{"tenants": config.MapVariable(map[string]config.Variable{
			// The logs of two streams chosen by name.
			"contoso": tenant(contoso, map[string]config.Variable{
				"stream_names": config.SetVariable(config.StringVariable("Palo Alto - HQ firewall"), config.StringVariable("Zscaler - Branch offices")),
			}),
			// The logs of the firewall streams chosen by pattern.
			"fabrikam": tenant(fabrikam, map[string]config.Variable{
				"stream_name_regex": config.StringVariable("^(Palo Alto|Zscaler) "),
			}),
			// No filter: the logs of all streams.
			"northwind": tenant(northwind, northwindExtra),
		})}
	}
	initial := variables(nil)
	example := config.StaticDirectory(multiTenantExampleDir)

	contosoStreams := []string{contoso.streamID("Palo Alto - HQ firewall"), contoso.streamID("Zscaler - Branch offices")}
	fabrikamStreams := []string{fabrikam.streamID("Palo Alto - Datacenter"), fabrikam.streamID("Zscaler - Remote workforce")}
	var northwindStreamNames []string
	for _, s := range srv.Streams("northwind") {
		northwindStreamNames = append(northwindStreamNames, s.DisplayName)
	}
	sort.Strings(northwindStreamNames)
	contosoOutput := integrationOutput(contoso, false, "Palo Alto - HQ firewall", "Zscaler - Branch offices")
	fabrikamOutput := integrationOutput(fabrikam, false, "Palo Alto - Datacenter", "Zscaler - Remote workforce")
	northwindOutput := integrationOutput(northwind, true, northwindStreamNames...)
	integrations := func(contosoEntry, fabrikamEntry, northwindEntry knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownOutputValue("integrations", knownvalue.ObjectExact(map[string]knownvalue.Check{
			"contoso": contosoEntry, "fabrikam": fabrikamEntry, "northwind": northwindEntry,
		}))
	}
	asConfigured := serverCheck{
		contoso.expectServer(true, true, contosoStreams...),
		fabrikam.expectServer(true, true, fabrikamStreams...),
		northwind.expectServer(true, true),
	}
	emptyPlanAfterApply := []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}
	var contosoAgentBefore string
	// Taken before the first step: generic agents and other connectors must stay as they are.
	nothingLeft := serverCheck{contoso.expectNothingLeft(), fabrikam.expectNothingLeft(), northwind.expectNothingLeft()}

	resource.Test(t, resource.TestCase{
		WorkingDir: moduleWorkingDir(t),
		Steps: []resource.TestStep{
			{
				ConfigDirectory: example,
				ConfigVariables: initial,
				ConfigStateChecks: []statecheck.StateCheck{
					integrations(contosoOutput, fabrikamOutput, northwindOutput),
					asConfigured,
					serverCheck{func(_ *terraform.State) error {
						// Each alias exchanged the pipeline's token in its own tenant.
						if n := srv.CountRequests("GET", `^/oidc/github/token$`); n == 0 {
							return errors.New("no federated token was requested from the pipeline's token endpoint")
						}
						for _, name := range exampleTenants {
							f := fixtures[name]
							if n := srv.CountRequests("POST", `^/`+f.info.TenantID+`/oauth2/v2\.0/token$`); n == 0 {
								return fmt.Errorf("no token was requested in tenant %s", name)
							}
						}
						return nil
					}},
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             planActions(plancheck.ResourceActionCreate, exampleTenants...),
					PostApplyPostRefresh: emptyPlanAfterApply,
				},
			},
			{
				// Someone narrows fabrikam's "Apply to" filter in the portal to one stream.
				PreConfig: func() {
					agent := sentinelAgent(t, fabrikam)
					agent.Streams = []string{fabrikam.streamID("Palo Alto - Datacenter")}
					if err := srv.PutAgent("fabrikam", agent); err != nil {
						t.Fatalf("editing fabrikam's Sentinel agent: %v", err)
					}
				},
				ConfigDirectory:   example,
				ConfigVariables:   initial,
				ConfigStateChecks: []statecheck.StateCheck{integrations(contosoOutput, fabrikamOutput, northwindOutput), asConfigured},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             planActions(plancheck.ResourceActionUpdate, "fabrikam"),
					PostApplyPostRefresh: emptyPlanAfterApply,
				},
			},
			{
				// Someone deletes contoso's Sentinel SIEM agent in the portal; apply creates a new one.
				PreConfig: func() {
					contosoAgentBefore = sentinelAgent(t, contoso).ID
					if err := srv.DeleteAgent("contoso", contosoAgentBefore); err != nil {
						t.Fatalf("deleting contoso's Sentinel agent: %v", err)
					}
				},
				ConfigDirectory: example,
				ConfigVariables: initial,
				ConfigStateChecks: []statecheck.StateCheck{
					integrations(contosoOutput, fabrikamOutput, northwindOutput),
					asConfigured,
					serverCheck{func(_ *terraform.State) error {
						if id := sentinelAgent(t, contoso).ID; id == contosoAgentBefore {
							return fmt.Errorf("contoso's Sentinel agent still has the deleted agent's id %s", id)
						}
						return nil
					}},
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             planActions(plancheck.ResourceActionUpdate, "contoso"),
					PostApplyPostRefresh: emptyPlanAfterApply,
				},
			},
			{
				// A change to one tenant's configuration: northwind forwards alerts only.
				ConfigDirectory: example,
				ConfigVariables: variables(map[string]config.Variable{"discovery_logs_enabled": config.BoolVariable(false)}),
				ConfigStateChecks: []statecheck.StateCheck{
					integrations(contosoOutput, fabrikamOutput, integrationOutput(northwind, false)),
					serverCheck{
						contoso.expectServer(true, true, contosoStreams...),
						fabrikam.expectServer(true, true, fabrikamStreams...),
						northwind.expectServer(true, false),
					},
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             planActions(plancheck.ResourceActionUpdate, "northwind"),
					PostApplyPostRefresh: emptyPlanAfterApply,
				},
			},
			{
				// The module instances are removed, which destroys every integration. The harness
				// cannot read a state with module instances after the last step, so the test ends
				// with an empty one instead of relying on its final destroy. (When an earlier step
				// fails, the harness adds "Modules are not supported" to the failure for that reason;
				// what is left behind lives only in the test's fake server.)
				ConfigDirectory:   config.StaticDirectory(providersOnlyConfig(t, fixtures)),
				ConfigStateChecks: []statecheck.StateCheck{nothingLeft},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             planActions(plancheck.ResourceActionDestroy, exampleTenants...),
					PostApplyPostRefresh: emptyPlanAfterApply,
				},
			},
		},
	})
}

// providersOnlyConfig writes a configuration with the provider blocks of examples/multi-tenant and
// no module, and returns its directory.
func providersOnlyConfig(t *testing.T, fixtures map[string]*integrationFixture) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("terraform {\n  required_providers {\n    mcas = {\n      source = \"mcas-terraform/mcas\"\n    }\n  }\n}\n")
	for _, name := range exampleTenants {
		info := fixtures[name].info
		fmt.Fprintf(&b, "\nprovider \"mcas\" {\n  alias      = %q\n  tenant_id  = %q\n  client_id  = %q\n  portal_url = %q\n}\n",
			name, info.TenantID, info.ClientID, info.PortalURL)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAccModuleValidation shows the plan-time errors of the example module's input checks, for a
// root module that calls it with a single provider.
//
// The test sets TF_ACC_PROVIDER_NAMESPACE, so it does not run in parallel.
func TestAccModuleValidation(t *testing.T) {
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
	info := tenantInfo(t, srv, "contoso")
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", providerNamespace)

	moduleConfig := func(workspaceID, inputs string) string {
		return `
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}
` + providerBlock(srv, info, secretAuth(info)) + fmt.Sprintf(`
module "integration" {
  source       = "../modules/sentinel-integration"
  workspace_id = %q
%s
}
`, workspaceID, indent(inputs))
	}
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{
			name:   "malformed workspace id",
			config: moduleConfig("/subscriptions/"+info.SubscriptionID+"/resourceGroups/rg-security/providers/Microsoft.Storage/storageAccounts/logs", ""),
			want:   `workspace_id must be the ARM id of a Log Analytics workspace`,
		},
		{
			name:   "empty stream names",
			config: moduleConfig(info.WorkspaceID, `stream_names = []`),
			want:   `stream_names must be null .* or a non-empty set`,
		},
		{
			name:   "invalid regular expression",
			config: moduleConfig(info.WorkspaceID, `stream_name_regex = "(Palo Alto"`),
			want:   `stream_name_regex is not a valid regular expression`,
		},
		{
			name:   "nothing to forward",
			config: moduleConfig(info.WorkspaceID, "alerts_enabled = false\ndiscovery_logs_enabled = false"),
			want:   `alerts_enabled and discovery_logs_enabled are false`,
		},
		{
			name:   "unknown stream name",
			config: moduleConfig(info.WorkspaceID, `stream_names = ["Palo Alto - HQ firewall", "Palo Alto - HQ firewal"]`),
			want:   `The stream_names \["Palo Alto - HQ firewal"\] match no discovery stream of the tenant.*"Palo Alto - HQ firewall"`,
		},
		{
			name:   "ingestion check in another tenant",
			config: moduleConfig(info.WorkspaceID, "ingestion_check_enabled = true\ndiscovery_logs_enabled = false\ntenant_id = \"c50d5e64-456e-44eb-a8b2-4badb6380e06\"\nportal_url = \"https://fabrikam.eu2.portal.cloudappsecurity.com\""),
			want:   `The ingestion check queries the workspace with the provider's own tenant`,
		},
		{
			name:   "filter without match",
			config: moduleConfig(info.WorkspaceID, `stream_name_regex = "^Check Point "`),
			want:   `stream_name_regex "\^Check Point "\) matches none of the tenant's discovery streams`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The configuration goes into a directory of its own: terraform init installs the modules
			// of a ConfigDirectory step, but not those of an inline Config.
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			resource.Test(t, resource.TestCase{
				WorkingDir: moduleWorkingDir(t),
				Steps: []resource.TestStep{{
					ProtoV6ProviderFactories: factories(srv),
					ConfigDirectory:          config.StaticDirectory(dir),
					ExpectError:              errorPattern(tc.want),
				}},
			})
		})
	}
	for _, a := range srv.Agents("contoso") {
		if a.AgentType == fakeapi.AgentTypeSentinel {
			t.Errorf("a refused configuration left the Sentinel agent %s in contoso", a.ID)
		}
	}
}

// TestExamplesModuleFormatted checks that the module and the many-tenant examples are in the canonical
// format of terraform fmt.
func TestExamplesModuleFormatted(t *testing.T) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		t.Skip("TF_ACC_TERRAFORM_PATH is not set; set it to a terraform binary to check the examples' formatting")
	}
	for _, dir := range []string{multiTenantExampleDir, manyTenantsExampleDir, moduleExamplesDir} {
		out, err := exec.Command(tf, "fmt", "-check", "-recursive", "-diff", dir).CombinedOutput()
		if err != nil {
			t.Errorf("terraform fmt -check %s: %v; run terraform fmt -recursive examples to fix:\n%s", dir, err, out)
		}
	}
}
