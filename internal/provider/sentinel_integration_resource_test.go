package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

const integrationAddr = "mcas_sentinel_integration.test"

// integrationFixture is one fake server and one of its tenants, with helpers to look at and edit what
// the server holds.
type integrationFixture struct {
	t    *testing.T
	srv  *fakeapi.Server
	info fakeapi.TenantInfo
}

func newIntegrationFixture(t *testing.T, tenant string) *integrationFixture {
	// Many steps in a row outrun the real 30 requests per minute; the throttle has tests of its own.
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
	return &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, tenant)}
}

// connectorID is the ARM id of the data connector with the default name (the tenant id).
func (f *integrationFixture) connectorID() string {
	return f.info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + f.info.TenantID
}

// config renders the provider block and a mcas_sentinel_integration with the given body. The
// provider's own Cloud Apps budget is raised like the fake's: the throttle has tests of its own.
func (f *integrationFixture) config(body string) string {
	return providerBlock(f.srv, f.info, secretAuth(f.info)+"\ncloud_apps_requests_per_minute = 1000") + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
%s
}
`, f.info.WorkspaceID, indent(body))
}

// sentinelAgents returns the tenant's Sentinel SIEM agents on the server.
func (f *integrationFixture) sentinelAgents() []fakeapi.Agent {
	var out []fakeapi.Agent
	for _, a := range f.srv.Agents(f.info.Name) {
		if a.AgentType == "sentinel" {
			out = append(out, a)
		}
	}
	return out
}

// mcasConnectors returns the MicrosoftCloudAppSecurity connectors of the tenant's workspace.
func (f *integrationFixture) mcasConnectors() []map[string]any {
	var out []map[string]any
	for _, raw := range f.srv.DataConnectors(f.info.WorkspaceID) {
		var dc map[string]any
		if err := json.Unmarshal(raw, &dc); err != nil {
			f.t.Fatalf("decoding a stored connector: %v", err)
		}
		if dc["kind"] == "MicrosoftCloudAppSecurity" {
			out = append(out, dc)
		}
	}
	return out
}

// connectorStates returns the alerts and discoveryLogs states of the stored MCAS connector.
func connectorStates(dc map[string]any) (alerts, discovery string) {
	props, _ := dc["properties"].(map[string]any)
	types, _ := props["dataTypes"].(map[string]any)
	state := func(name string) string {
		dt, _ := types[name].(map[string]any)
		s, _ := dt["state"].(string)
		return s
	}
	return state("alerts"), state("discoveryLogs")
}

// expectServer checks that the server holds exactly one Sentinel agent and one MCAS connector, in the
// given configuration.
func (f *integrationFixture) expectServer(alerts, discovery bool, streams ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		agents := f.sentinelAgents()
		connectors := f.mcasConnectors()
		if len(agents) != 1 || len(connectors) != 1 {
			return fmt.Errorf("server holds %d Sentinel agents and %d MCAS connectors, want exactly one of each", len(agents), len(connectors))
		}
		a := agents[0]
		got := append([]string(nil), a.Streams...)
		sort.Strings(got)
		want := append([]string(nil), streams...)
		sort.Strings(want)
		if !a.Alerts || a.DiscoveryLogsEnabled != discovery || strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("agent = alerts %v, discovery %v, streams %v; want alerts true, discovery %v, streams %v", a.Alerts, a.DiscoveryLogsEnabled, got, discovery, want)
		}
		gotAlerts, gotDiscovery := connectorStates(connectors[0])
		if !strings.EqualFold(gotAlerts, stateName(alerts)) || !strings.EqualFold(orDisabled(gotDiscovery), stateName(discovery)) {
			return fmt.Errorf("connector = alerts %q, discoveryLogs %q; want %s, %s", gotAlerts, gotDiscovery, stateName(alerts), stateName(discovery))
		}
		if id := connectors[0]["id"]; !strings.EqualFold(fmt.Sprint(id), f.connectorID()) {
			return fmt.Errorf("connector id = %v, want %s", id, f.connectorID())
		}
		return nil
	}
}

// othersSnapshot renders what the tenant holds besides the integration: generic SIEM agents and data
// connectors of other kinds (with their etags, which change on every write).
func (f *integrationFixture) othersSnapshot() string {
	var b strings.Builder
	for _, a := range f.srv.Agents(f.info.Name) {
		if a.AgentType != "sentinel" {
			fmt.Fprintf(&b, "agent %+v\n", a)
		}
	}
	for _, raw := range f.srv.DataConnectors(f.info.WorkspaceID) {
		if !strings.Contains(string(raw), `"MicrosoftCloudAppSecurity"`) {
			fmt.Fprintf(&b, "connector %s\n", raw)
		}
	}
	return b.String()
}

// expectNothingLeft returns a check that neither half is left on the server and that the tenant's
// other objects (generic agents, connectors of other kinds) are exactly as they were when it was called.
func (f *integrationFixture) expectNothingLeft() resource.TestCheckFunc {
	before := f.othersSnapshot()
	return func(*terraform.State) error {
		if n := len(f.sentinelAgents()); n != 0 {
			return fmt.Errorf("%d Sentinel agents left on the server", n)
		}
		if n := len(f.mcasConnectors()); n != 0 {
			return fmt.Errorf("%d MCAS connectors left on the server", n)
		}
		if after := f.othersSnapshot(); after != before {
			return fmt.Errorf("objects that do not belong to the integration changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		return nil
	}
}

func stateName(on bool) string {
	if on {
		return "Enabled"
	}
	return "Disabled"
}

func orDisabled(s string) string {
	if s == "" {
		return "Disabled"
	}
	return s
}

func (f *integrationFixture) streamID(name string) string {
	for _, s := range f.srv.Streams(f.info.Name) {
		if s.DisplayName == name {
			return s.ID
		}
	}
	f.t.Fatalf("tenant %s has no stream %q", f.info.Name, name)
	return ""
}

// stateChecks asserts every attribute of the resource.
func (f *integrationFixture) stateChecks(alerts, discovery bool, streams ...string) []statecheck.StateCheck {
	var streamCheck knownvalue.Check = knownvalue.Null()
	if len(streams) > 0 {
		checks := make([]knownvalue.Check, len(streams))
		for i, s := range streams {
			checks[i] = knownvalue.StringExact(s)
		}
		streamCheck = knownvalue.SetExact(checks)
	}
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("id"), knownvalue.StringExact(f.connectorID())),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("workspace_id"), knownvalue.StringExact(f.info.WorkspaceID)),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("connector_name"), knownvalue.StringExact(f.info.TenantID)),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("tenant_id"), knownvalue.StringExact(f.info.TenantID)),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("alerts_enabled"), knownvalue.Bool(alerts)),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("discovery_logs"), knownvalue.ObjectExact(map[string]knownvalue.Check{
			"enabled":    knownvalue.Bool(discovery),
			"stream_ids": streamCheck,
		})),
		statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("cloud_apps_agent_id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{24}$`))),
	}
}

func TestAccSentinelIntegration_lifecycle(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "fabrikam")
	palo, finance := f.streamID("Palo Alto - Datacenter"), f.streamID("Finance Department")
	everyAttribute := fmt.Sprintf(`
connector_name = %q
tenant_id      = %q
alerts_enabled = false
discovery_logs = {
  enabled    = true
  stream_ids = [%q, %q]
}
timeouts {
  create = "10m"
  update = "10m"
}`, f.info.TenantID, f.info.TenantID, palo, finance)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{
				Config:            f.config(""),
				ConfigStateChecks: f.stateChecks(true, true),
				Check:             f.expectServer(true, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				ResourceName:            integrationAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				ResourceName:    integrationAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				Config:            f.config(everyAttribute),
				ConfigStateChecks: f.stateChecks(false, true, palo, finance),
				Check:             f.expectServer(false, true, palo, finance),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config:            f.config("discovery_logs = { enabled = false }"),
				ConfigStateChecks: f.stateChecks(true, false),
				Check:             f.expectServer(true, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A new connector name replaces the integration: the old connector goes, one agent stays.
				Config: f.config(`connector_name = "mcas-terraform"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("connector_name"), knownvalue.StringExact("mcas-terraform")),
					statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("id"), knownvalue.StringExact(f.info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors/mcas-terraform")),
				},
				Check: func(*terraform.State) error {
					connectors := f.mcasConnectors()
					if len(connectors) != 1 || !strings.HasSuffix(fmt.Sprint(connectors[0]["id"]), "/mcas-terraform") || len(f.sentinelAgents()) != 1 {
						return fmt.Errorf("after the replacement the server holds connectors %v and %d Sentinel agents", connectors, len(f.sentinelAgents()))
					}
					return nil
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},

			{
				ResourceName:            integrationAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// TestAccSentinelIntegration_drift edits the server out of band between steps, as someone in the portal
// would: each time plan shows the change, apply restores it, and the next plan is empty.
func TestAccSentinelIntegration_drift(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	palo, zscaler := f.streamID("Palo Alto - HQ firewall"), f.streamID("Zscaler - Branch offices")
	cfg := f.config(fmt.Sprintf("discovery_logs = { stream_ids = [%q, %q] }", palo, zscaler))
	agent := func() fakeapi.Agent {
		agents := f.sentinelAgents()
		if len(agents) != 1 {
			t.Fatalf("server holds %d Sentinel agents, want 1", len(agents))
		}
		return agents[0]
	}
	drift := func(name string, action plancheck.ResourceActionType, edit func()) resource.TestStep {
		return resource.TestStep{
			PreConfig: func() {
				t.Logf("drift: %s", name)
				edit()
			},
			Config:            cfg,
			ConfigStateChecks: f.stateChecks(true, true, palo, zscaler),
			Check:             f.expectServer(true, true, palo, zscaler),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, action)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{Config: cfg, Check: f.expectServer(true, true, palo, zscaler)},
			drift("agent deleted", plancheck.ResourceActionUpdate, func() { must(f.srv.DeleteAgent("contoso", agent().ID)) }),
			drift("connector deleted", plancheck.ResourceActionUpdate, func() { must(f.srv.DeleteDataConnector(f.connectorID())) }),
			drift("both deleted", plancheck.ResourceActionCreate, func() {
				must(f.srv.DeleteAgent("contoso", agent().ID))
				must(f.srv.DeleteDataConnector(f.connectorID()))
			}),
			drift("discovery logs switched off in the portal", plancheck.ResourceActionUpdate, func() {
				a := agent()
				a.DiscoveryLogsEnabled = false
				must(f.srv.PutAgent("contoso", a))
			}),
			drift("stream filter edited", plancheck.ResourceActionUpdate, func() {
				a := agent()
				a.Streams = []string{f.streamID("Marketing Department")}
				must(f.srv.PutAgent("contoso", a))
			}),
			drift("stream filter cleared (all streams)", plancheck.ResourceActionUpdate, func() {
				a := agent()
				a.Streams = nil
				must(f.srv.PutAgent("contoso", a))
			}),
			func() resource.TestStep {
				// Restoring the connector leaves the stream filter as it was, so the update does not list
				// the tenant's streams again (Cloud Apps allows few requests per minute).
				step := drift("alerts switched off on the connector (streams not listed again)", plancheck.ResourceActionUpdate, func() {
					f.srv.ResetRequests()
					must(f.srv.PutDataConnector(f.connectorID(), json.RawMessage(fmt.Sprintf(
						`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Disabled"},"discoveryLogs":{"state":"Enabled"}}}}`,
						f.info.TenantID))))
				})
				step.Check = resource.ComposeAggregateTestCheckFunc(step.Check, func(*terraform.State) error {
					if n := f.srv.CountRequests("GET", `/api/discovery/streams/?$`); n != 0 {
						return fmt.Errorf("an update that kept the stream filter listed the streams %d times", n)
					}
					return nil
				})
				return step
			}(),
			drift("alerts switched off on the connector", plancheck.ResourceActionUpdate, func() {
				must(f.srv.PutDataConnector(f.connectorID(), json.RawMessage(fmt.Sprintf(
					`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Disabled"},"discoveryLogs":{"state":"Enabled"}}}}`,
					f.info.TenantID))))
			}),
		},
	})
}

// TestAccSentinelIntegration_spelling keeps the configuration's spelling of ids that Azure compares
// case-insensitively, so that no perpetual diff (or replacement) appears.
func TestAccSentinelIntegration_spelling(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	workspace := strings.NewReplacer("resourceGroups", "resourcegroups", "Microsoft.OperationalInsights", "microsoft.operationalinsights").Replace(f.info.WorkspaceID)
	stream := f.streamID("Palo Alto - HQ firewall")
	cfg := providerBlock(f.srv, f.info, secretAuth(f.info)) + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id   = %q
  discovery_logs = { stream_ids = [%q] }
}
`, workspace, stream)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("workspace_id"), knownvalue.StringExact(workspace)),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}
