package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// badInput is one malformed configuration and the diagnostic plan must give it.
type badInput struct {
	name string
	// config renders the whole configuration.
	config func(f *integrationFixture) string
	// summary is the diagnostic's summary, exactly.
	summary string
	// detail is the key part of the diagnostic's detail.
	detail string
	// attribute, when set, is the configuration line the diagnostic points at (its start).
	attribute string
}

// withWorkspace is a configuration whose resource has the given workspace id.
func withWorkspace(id string) func(f *integrationFixture) string {
	return withResource(fmt.Sprintf("workspace_id = %q", id))
}

// withResource is a configuration whose resource has the given body.
func withResource(body string) func(f *integrationFixture) string {
	return func(f *integrationFixture) string {
		return providerBlock(f.srv, f.info, secretAuth(f.info)) +
			"resource \"mcas_sentinel_integration\" \"test\" {\n" + indent(body) + "\n}\n"
	}
}

// withWorkspaceAnd is a configuration whose resource has the tenant's workspace and the given body.
func withWorkspaceAnd(body string) func(f *integrationFixture) string {
	return func(f *integrationFixture) string {
		return withResource(fmt.Sprintf("workspace_id = %q\n%s", f.info.WorkspaceID, body))(f)
	}
}

// withProvider is a configuration with the given provider block and the data source.
func withProvider(block string) func(f *integrationFixture) string {
	return func(*integrationFixture) string {
		return block + "\n" + allStreams
	}
}

// withProviderAuth is a configuration for the fake with the given authentication attributes and
// the given objects, by default the resource and the data source.
func withProviderAuth(auth, objects string) func(f *integrationFixture) string {
	return func(f *integrationFixture) string {
		if objects == "" {
			objects = allStreams + "\n" + fmt.Sprintf("resource \"mcas_sentinel_integration\" \"test\" {\n  workspace_id = %q\n}\n", f.info.WorkspaceID)
		}
		return providerBlock(f.srv, f.info, auth) + objects
	}
}

// diagnosticPattern matches Terraform's rendering of a diagnostic with the summary, the configuration
// line of the attribute (when not empty) and, further on and in order, the parts of the detail; spaces
// match any white space, as Terraform wraps long lines.
func diagnosticPattern(summary, attribute string, details ...string) *regexp.Regexp {
	flexible := func(s string) string { return strings.ReplaceAll(regexp.QuoteMeta(s), " ", `\s+`) }
	pattern := `(?s)Error: ` + flexible(summary) + `\s*\n`
	if attribute != "" {
		pattern += `.*\d+:\s+` + flexible(attribute)
	}
	for _, d := range details {
		pattern += `.*` + flexible(d)
	}
	return regexp.MustCompile(pattern)
}

const (
	badSubscription = "4c2dd80b-1ccb-4d86-bcc7-fb007341aad6"
	badWorkspaceIDs = "/subscriptions/" + badSubscription + "/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/"
)

var badInputs = []badInput{
	// Workspace ids: plan-time validation of workspace_id.
	{
		name:      "workspace id of another resource provider",
		config:    withWorkspace("/subscriptions/" + badSubscription + "/resourceGroups/rg-security/providers/Microsoft.Storage/storageAccounts/logs"),
		summary:   "Invalid workspace id",
		detail:    `is not a Log Analytics workspace ID: it is of the wrong resource type: got "Microsoft.Storage/storageAccounts", want "Microsoft.OperationalInsights/workspaces"`,
		attribute: "workspace_id =",
	},
	{
		name:    "workspace id without resource group",
		config:  withWorkspace("/subscriptions/" + badSubscription + "/providers/Microsoft.OperationalInsights/workspaces/law"),
		summary: "Invalid workspace id",
		detail:  `its "Microsoft.OperationalInsights/workspaces" resource has other parent resources than expected; expected /subscriptions/{subscription id}/resourceGroups/{resource group}/providers/Microsoft.OperationalInsights/workspaces/{workspace name}`,
	},
	{
		name:    "workspace id of a resource group",
		config:  withWorkspace("/subscriptions/" + badSubscription + "/resourceGroups/rg-security"),
		summary: "Invalid workspace id",
		detail:  `got "Microsoft.Resources/resourceGroups", want "Microsoft.OperationalInsights/workspaces"`,
	},
	{
		name:    "workspace id without workspace name",
		config:  withWorkspace(badWorkspaceIDs),
		summary: "Invalid workspace id",
		detail:  `invalid resource ID: it is incomplete at its end, "workspaces", which lacks the name (or type) that must follow it`,
	},
	{
		name:    "workspace name alone",
		config:  withWorkspace("law-sentinel-contoso"),
		summary: "Invalid workspace id",
		detail:  `"law-sentinel-contoso" is not a Log Analytics workspace ID: it must start with '/': use the full ID, as the Azure portal shows it on the resource's JSON View`,
	},
	{
		name:    "workspace id of a tenant-level resource",
		config:  withWorkspace("/providers/Microsoft.OperationalInsights/workspaces/law"),
		summary: "Invalid workspace id",
		detail:  `it must start with /subscriptions/{subscription id}, not with "/providers"`,
	},
	{
		name:    "empty workspace id",
		config:  withWorkspace(""),
		summary: "Invalid workspace id",
		detail:  `workspace_id: "" is not a Log Analytics workspace ID: the ID is empty`,
	},
	{
		name:    "subscription not a GUID",
		config:  withWorkspace("/subscriptions/my-subscription/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law"),
		summary: "Invalid workspace id",
		detail:  `subscription ID "my-subscription" is not a GUID`,
	},
	{
		name:    "workspace name with an underscore",
		config:  withWorkspace(badWorkspaceIDs + "law_sentinel"),
		summary: "Invalid workspace id",
		detail:  `workspace name "law_sentinel" must have 3 to 90 letters, digits and hyphens, and start and end with a letter or digit`,
	},
	{
		name:    "workspace name of 91 characters",
		config:  withWorkspace(badWorkspaceIDs + strings.Repeat("w", 91)),
		summary: "Invalid workspace id",
		detail:  `has 91 characters, but at most 90 are allowed`,
	},
	{
		name:    "resource group ending with a period",
		config:  withWorkspace("/subscriptions/" + badSubscription + "/resourceGroups/rg./providers/Microsoft.OperationalInsights/workspaces/law"),
		summary: "Invalid workspace id",
		detail:  `resource group name "rg." must be 1 to 90 characters, without '/', '?' or '#', and must not end with a period`,
	},
	{
		name:    "workspace id with an empty segment",
		config:  withWorkspace("/subscriptions/" + badSubscription + "//resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law"),
		summary: "Invalid workspace id",
		detail:  `it has an empty segment ("//")`,
	},
	{
		name:    "workspace id with a trailing space",
		config:  withWorkspace(badWorkspaceIDs + "law "),
		summary: "Invalid workspace id",
		detail:  `its segment "law " has spaces around it`,
	},
	{
		name:    "data connector id as workspace id",
		config:  withWorkspace(badWorkspaceIDs + "law/providers/Microsoft.SecurityInsights/dataConnectors/x"),
		summary: "Invalid workspace id",
		detail:  `got "Microsoft.SecurityInsights/dataConnectors", want "Microsoft.OperationalInsights/workspaces"`,
	},

	// The other resource attributes.
	{
		name:      "tenant id not a UUID",
		config:    withWorkspaceAnd(`tenant_id = "contoso.onmicrosoft.com"`),
		summary:   "Invalid UUID",
		detail:    `tenant_id: "contoso.onmicrosoft.com" is not a UUID; expected the form 00000000-0000-0000-0000-000000000000`,
		attribute: "tenant_id =",
	},
	{
		name:      "connector name with a slash",
		config:    withWorkspaceAnd(`connector_name = "mcas/contoso"`),
		summary:   "Invalid connector name",
		detail:    `connector_name: data connector id "mcas/contoso" must be non-empty, without surrounding spaces, '/', '?' or '#'`,
		attribute: "connector_name =",
	},
	{
		name:    "connector name with spaces around it",
		config:  withWorkspaceAnd(`connector_name = " mcas "`),
		summary: "Invalid connector name",
		detail:  `data connector id " mcas " must be non-empty, without surrounding spaces`,
	},
	{
		name:    "stream id not hexadecimal",
		config:  withWorkspaceAnd("discovery_logs = {\n  stream_ids = [\"zz71970898808dd3b257b647\"]\n}"),
		summary: "Invalid stream id",
		detail:  `"zz71970898808dd3b257b647" is not a discovery stream id; stream ids are 24 hexadecimal characters, as listed by the mcas_discovery_streams data source`,
	},
	{
		name:    "stream id too short",
		config:  withWorkspaceAnd("discovery_logs = {\n  stream_ids = [\"2b719708\"]\n}"),
		summary: "Invalid stream id",
		detail:  `"2b719708" is not a discovery stream id`,
	},
	{
		name:    "stream id in upper case",
		config:  withWorkspaceAnd("discovery_logs = {\n  stream_ids = [\"2B71970898808DD3B257B647\"]\n}"),
		summary: "Invalid stream id",
		detail:  `"2B71970898808DD3B257B647" has upper-case letters; the Cloud Apps API writes stream ids in lower case, so write it as "2b71970898808dd3b257b647"`,
	},
	{
		name:    "empty stream id set",
		config:  withWorkspaceAnd("discovery_logs = {\n  stream_ids = []\n}"),
		summary: "No streams selected",
		detail:  `discovery_logs.stream_ids is an empty set, which would forward the discovery logs of no stream. Leave it out (null) to forward the logs of all streams`,
	},
	{
		name:      "both data types off",
		config:    withWorkspaceAnd("alerts_enabled = false\ndiscovery_logs = {\n  enabled = false\n}"),
		summary:   "Nothing to forward",
		detail:    `alerts_enabled is false and discovery_logs.enabled is false, but the Microsoft Sentinel data connector needs at least one data type enabled`,
		attribute: "alerts_enabled =",
	},
	{
		name:    "US Government cloud",
		config:  inCloud("usgovernment"),
		summary: "Microsoft Sentinel integration not available in this cloud",
		detail:  `The provider is configured for the "usgovernment" environment, but the direct Defender for Cloud Apps - Microsoft Sentinel integration is available to commercial customers only. GCC, GCC High and DoD customers get Defender for Cloud Apps data in Microsoft Sentinel through the Microsoft Defender XDR connector instead`,
	},
	{
		name:    "China cloud",
		config:  inCloud("china"),
		summary: "Microsoft Sentinel integration not available in this cloud",
		detail:  `The provider is configured for the "china" environment`,
	},

	// The data source.
	{
		name:      "stream name pattern that does not compile",
		config:    withProviderAuth(`client_id = "8f859d2f-03a0-4c08-adcf-9b35b21c9b5b"`, `data "mcas_discovery_streams" "filtered" { name_regex = "([unclosed" }`),
		summary:   "Invalid regular expression",
		detail:    `name_regex: "([unclosed" does not compile`,
		attribute: `data "mcas_discovery_streams" "filtered" { name_regex =`,
	},

	// Provider attributes.
	{
		name:      "unknown environment",
		config:    withProvider(`provider "mcas" { environment = "moon" }`),
		summary:   "Invalid Attribute Value Match",
		detail:    `Attribute environment value must be one of: ["public" "usgovernment" "china" "custom"], got: "moon"`,
		attribute: `provider "mcas" { environment =`,
	},
	{
		name:    "custom environment without endpoints",
		config:  withProvider(`provider "mcas" { environment = "custom" }`),
		summary: "Missing custom endpoints",
		detail:  `environment is "custom", which needs the endpoints of that cloud, but these are not set: endpoint.active_directory_authority_host (ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST), endpoint.resource_manager_endpoint (ARM_RESOURCE_MANAGER_ENDPOINT), endpoint.resource_manager_audience (ARM_RESOURCE_MANAGER_AUDIENCE).`,
	},
	{
		name:    "endpoints without the custom environment",
		config:  withProvider(`provider "mcas" { endpoint = { resource_manager_endpoint = "https://management.example" } }`),
		summary: "Endpoints need the custom environment",
		detail:  `endpoint is set, but environment is "public", whose endpoints are built in. Set environment = "custom" to use your own endpoints, or remove the endpoint block.`,
	},
	{
		name:      "provider tenant id not a UUID",
		config:    withProvider(`provider "mcas" { tenant_id = "contoso.onmicrosoft.com" }`),
		summary:   "Invalid UUID",
		detail:    `tenant_id: "contoso.onmicrosoft.com" is not a UUID`,
		attribute: `provider "mcas" { tenant_id =`,
	},
	{
		name:    "client id not a UUID",
		config:  withProvider(`provider "mcas" { client_id = "terraform-app" }`),
		summary: "Invalid UUID",
		detail:  `client_id: "terraform-app" is not a UUID`,
	},
	{
		name:      "portal URL over http",
		config:    withProvider(`provider "mcas" { portal_url = "http://contoso.eu2.portal.cloudappsecurity.com" }`),
		summary:   "Invalid URL",
		detail:    `portal_url: "http://contoso.eu2.portal.cloudappsecurity.com" uses the scheme "http"; only https URLs are accepted`,
		attribute: `provider "mcas" { portal_url =`,
	},
	{
		name:    "relative portal URL",
		config:  withProvider(`provider "mcas" { portal_url = "contoso.eu2.portal.cloudappsecurity.com" }`),
		summary: "Invalid URL",
		detail:  `portal_url: "contoso.eu2.portal.cloudappsecurity.com" is not an absolute URL; expected https:// followed by a host name`,
	},
	{
		name:    "portal URL copied from the address bar",
		config:  withProvider(`provider "mcas" { portal_url = "https://contoso.eu2.portal.cloudappsecurity.com/#/dashboard" }`),
		summary: "Invalid URL",
		detail:  `portal_url: "https://contoso.eu2.portal.cloudappsecurity.com/#/dashboard" has a query or a fragment; give the base URL of the tenant's Defender for Cloud Apps API only`,
	},
	{
		name:    "garbage portal URL",
		config:  withProvider(`provider "mcas" { portal_url = "https://contoso eu2/%zz" }`),
		summary: "Invalid URL",
		detail:  `portal_url: "https://contoso eu2/%zz" is not a valid URL (invalid character " " in host name)`,
	},
	{
		name: "Resource Manager endpoint over http",
		config: withProvider(`provider "mcas" {
  environment = "custom"
  endpoint = {
    active_directory_authority_host = "https://login.example/"
    resource_manager_endpoint       = "http://management.example"
    resource_manager_audience       = "https://management.example/"
  }
}`),
		summary: "Invalid URL",
		detail:  `endpoint.resource_manager_endpoint: "http://management.example" uses the scheme "http"; only https URLs are accepted`,
	},
	{
		name:    "token request URL over http",
		config:  withProvider(`provider "mcas" { oidc_request_url = "http://token.actions.example/request" }`),
		summary: "Invalid URL",
		detail:  `oidc_request_url: "http://token.actions.example/request" uses the scheme "http"; only https URLs are accepted`,
	},
	{
		name:    "malformed API token",
		config:  withProvider(`provider "mcas" { api_token = "not-a-token" }`),
		summary: "Invalid API token",
		detail:  `api_token: the value (11 characters) is not a Defender for Cloud Apps API token, which has 64 to 192 characters of 0-9, a-z, A-Z and =`,
	},
	{
		name:      "certificate and certificate path",
		config:    withProvider("provider \"mcas\" {\n  client_certificate      = \"QUJD\"\n  client_certificate_path = \"/tmp/cert.pfx\"\n}"),
		summary:   "Invalid Attribute Combination",
		detail:    `Attribute "client_certificate_path" cannot be specified when "client_certificate" is specified`,
		attribute: "client_certificate =",
	},
	{
		name:    "client secret without client id",
		config:  withProviderAuth(`client_secret = "a-secret-value"`, ""),
		summary: "Invalid authentication settings",
		detail:  `client secret (client_secret / ARM_CLIENT_SECRET) is configured but client_id (ARM_CLIENT_ID) is not set; set it in the provider block or the environment`,
	},
	{
		name:    "federated token without client id",
		config:  withProviderAuth(`oidc_token = "a.b.c"`, ""),
		summary: "Invalid authentication settings",
		detail:  `federated token (oidc_token / ARM_OIDC_TOKEN) is configured but client_id (ARM_CLIENT_ID) is not set`,
	},
	{
		name:    "token request without URL",
		config:  withProviderAuth("client_id = \"8f859d2f-03a0-4c08-adcf-9b35b21c9b5b\"\nuse_oidc = true", ""),
		summary: "Invalid authentication settings",
		detail:  `use_oidc is true but no federated token is available: set oidc_token, oidc_token_file_path or oidc_request_url and oidc_request_token`,
	},
	{
		name:      "certificate neither PEM nor base64",
		config:    withProviderAuth("client_id = \"8f859d2f-03a0-4c08-adcf-9b35b21c9b5b\"\nclient_certificate = \"not base64!\"", ""),
		summary:   "Invalid client certificate",
		detail:    "client_certificate (ARM_CLIENT_CERTIFICATE) is neither PEM text nor base64; encode the PKCS#12 file with `base64 -w0 cert.pfx`, or use client_certificate_path.",
		attribute: "client_certificate =",
	},
	{
		name:    "certificate that is not a certificate",
		config:  withProviderAuth("client_id = \"8f859d2f-03a0-4c08-adcf-9b35b21c9b5b\"\nclient_certificate = \"QUJD\"", ""),
		summary: "Invalid authentication settings",
		detail:  `client certificate (client_certificate / client_certificate_path): the certificate could not be read (the data is neither a PKCS#12 archive nor PEM); it must be a PKCS#12 archive`,
	},
	{
		name:      "certificate file missing",
		config:    withProviderAuth("client_id = \"8f859d2f-03a0-4c08-adcf-9b35b21c9b5b\"\nclient_certificate_path = \"/nonexistent/client.pfx\"", ""),
		summary:   "Unreadable client certificate",
		detail:    `The client certificate file could not be read: open /nonexistent/client.pfx: no such file or directory. Check client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH).`,
		attribute: "client_certificate_path =",
	},

	// Provider attributes known only after apply.
	{
		name:      "provider portal URL known after apply",
		config:    knownAfterApply(func(f *integrationFixture) string { return fmt.Sprintf("portal_url = %q", f.info.PortalURL) }, `portal_url = "https://${terraform_data.later.output}.eu2.portal.cloudappsecurity.com"`),
		summary:   "Provider attribute not known at plan time",
		detail:    `portal_url depends on a value that is known only after apply (for example another resource's attribute), but the provider must be configured before Terraform can plan. Set it to a value known at plan time (a literal, a variable, a local), or leave it out and set the environment variable MCAS_PORTAL_URL instead.`,
		attribute: "portal_url =",
	},
	{
		name:    "provider tenant id known after apply",
		config:  knownAfterApply(func(f *integrationFixture) string { return fmt.Sprintf("tenant_id  = %q", f.info.TenantID) }, `tenant_id = terraform_data.later.output`),
		summary: "Provider attribute not known at plan time",
		detail:  `tenant_id depends on a value that is known only after apply`,
	},
	{
		name:    "provider client secret known after apply",
		config:  knownAfterApply(func(f *integrationFixture) string { return fmt.Sprintf("client_secret = %q", f.info.ClientSecret) }, `client_secret = terraform_data.later.output`),
		summary: "Provider attribute not known at plan time",
		detail:  `client_secret depends on a value that is known only after apply`,
	},
	{
		name: "provider endpoint known after apply",
		config: knownAfterApply(func(f *integrationFixture) string {
			return fmt.Sprintf("resource_manager_endpoint       = %q", f.srv.ResourceManagerEndpoint())
		}, `resource_manager_endpoint = terraform_data.later.output`),
		summary: "Provider attribute not known at plan time",
		detail:  `endpoint.resource_manager_endpoint depends on a value that is known only after apply`,
	},
}

// inCloud is a configuration of the resource with a provider for a built-in sovereign cloud.
func inCloud(environment string) func(f *integrationFixture) string {
	return func(f *integrationFixture) string {
		return fmt.Sprintf(`provider "mcas" {
  environment   = %q
  tenant_id     = %q
  client_id     = %q
  client_secret = "a-secret-value"
  use_cli       = false
}
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
}
`, environment, f.info.TenantID, f.info.ClientID, f.info.WorkspaceID)
	}
}

// knownAfterApply is the data source configuration with one line of the fake's provider block
// replaced by one that reads terraform_data.later, whose output is known only after apply.
func knownAfterApply(line func(f *integrationFixture) string, replacement string) func(f *integrationFixture) string {
	return func(f *integrationFixture) string {
		block := providerBlock(f.srv, f.info, secretAuth(f.info))
		if !strings.Contains(block, line(f)) {
			f.t.Fatalf("the provider block has no line %q to replace", line(f))
		}
		return "resource \"terraform_data\" \"later\" {\n  input = \"x\"\n}\n" + strings.Replace(block, line(f), replacement, 1) + allStreams
	}
}

// TestAccBadInput_planTimeDiagnostics plans malformed configurations: each fails at plan time (the
// steps only plan) with its own diagnostic, and nothing is written to the services.
func TestAccBadInput_planTimeDiagnostics(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, "contoso")}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(srv),
				Steps: []resource.TestStep{{
					Config:      tc.config(f),
					PlanOnly:    true,
					ExpectError: diagnosticPattern(tc.summary, tc.attribute, tc.detail),
				}},
			})
		})
	}
	t.Cleanup(func() {
		for _, write := range [][2]string{{"PUT", ""}, {"DELETE", ""}, {"PATCH", ""}, {"POST", "^/mcas/"}} {
			if n := srv.CountRequests(write[0], write[1]); n != 0 {
				t.Errorf("planning malformed configurations sent %d %s requests to the services", n, write[0])
			}
		}
	})
}

// TestAccBadInput_unknownResourceValues configures every resource attribute from values known only
// after apply: plan must accept them, and apply must create the integration with the values they take.
func TestAccBadInput_unknownResourceValues(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	stream := f.streamID("Palo Alto - HQ firewall")
	cfg := providerBlock(f.srv, f.info, secretAuth(f.info)) + fmt.Sprintf(`
resource "terraform_data" "later" {
  input = {
    workspace_id = %q
    tenant_id    = %q
    stream_id    = %q
    alerts       = true
  }
}

resource "mcas_sentinel_integration" "test" {
  workspace_id   = terraform_data.later.output.workspace_id
  tenant_id      = terraform_data.later.output.tenant_id
  connector_name = terraform_data.later.output.tenant_id
  alerts_enabled = terraform_data.later.output.alerts
  discovery_logs = {
    stream_ids = [terraform_data.later.output.stream_id]
  }
}
`, f.info.WorkspaceID, f.info.TenantID, stream)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(integrationAddr, tfjsonpath.New("workspace_id")),
					plancheck.ExpectUnknownValue(integrationAddr, tfjsonpath.New("tenant_id")),
					plancheck.ExpectUnknownValue(integrationAddr, tfjsonpath.New("connector_name")),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: f.stateChecks(true, true, stream),
			Check:             f.expectServer(true, true, stream),
		}},
	})
}

// TestAccBadInput_importIDs imports by malformed ids: each is refused before any request, with the
// reason and the form of a valid import id.
func TestAccBadInput_importIDs(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	const howTo = "Import mcas_sentinel_integration by the ARM id of its MicrosoftCloudAppSecurity data connector"
	cases := []struct {
		name, id, detail string
	}{
		{"workspace id", f.info.WorkspaceID, `got "Microsoft.OperationalInsights/workspaces", want "Microsoft.SecurityInsights/dataConnectors"`},
		{"connector name alone", f.info.TenantID, `it must start with '/'`},
		{"connector id without name", f.info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors", `it is incomplete at its end, "dataConnectors"`},
		{"connector id with a bad workspace name", strings.Replace(f.connectorID(), "law-sentinel-contoso", "law_sentinel", 1), `workspace name "law_sentinel" must have 3 to 90 letters`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{
			Config:        f.config(""),
			ResourceName:  integrationAddr,
			ImportState:   true,
			ImportStateId: tc.id,
			ExpectError:   diagnosticPattern("Invalid import id", "", tc.detail, howTo),
		})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories(f.srv), Steps: steps})
	if n := f.srv.CountRequests("", "^/subscriptions/"); n != 0 {
		t.Errorf("importing malformed ids sent %d Resource Manager requests, want none", n)
	}
}
