package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// TestAccSentinelIntegration_halfWayFailure fails the second half's create: the agent exists, the
// connector does not. The state keeps track of the agent, and the next apply converges to exactly one
// agent and one connector.
func TestAccSentinelIntegration_halfWayFailure(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "northwind")
	cfg := f.config("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if _, err := f.srv.InjectFault(fakeapi.Fault{Method: "PUT", PathPattern: `/dataConnectors/`, Count: 100, Kind: fakeapi.FaultStatus, Status: 503}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg,
				ExpectError: errorPattern(`Creating the Defender for Cloud Apps - Microsoft Sentinel integration failed.*HTTP 503`),
			},
			{
				// The agent was created and the state knows it: the resource is tainted with its id.
				PreConfig: func() {
					if n := len(f.sentinelAgents()); n != 1 {
						t.Fatalf("after the failed create the server holds %d Sentinel agents, want 1", n)
					}
					if n := len(f.mcasConnectors()); n != 0 {
						t.Fatalf("after the failed create the server holds %d MCAS connectors, want 0", n)
					}
					f.srv.ClearFaults()
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: f.stateChecks(true, true),
				Check:             f.expectServer(true, true),
			},
		},
	})
}

// TestAccSentinelIntegration_updateHalfWayFailure fails the connector's restore during an update: the
// recreated agent is recorded, and the next apply finishes the job.
func TestAccSentinelIntegration_updateHalfWayFailure(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	cfg := f.config("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{Config: cfg, Check: f.expectServer(true, true)},
			{
				PreConfig: func() {
					// Someone deletes the agent and switches the connector's alerts off: the update must
					// write both halves, and the second write fails.
					for _, a := range f.sentinelAgents() {
						if err := f.srv.DeleteAgent("contoso", a.ID); err != nil {
							t.Fatal(err)
						}
					}
					if err := f.srv.PutDataConnector(f.connectorID(), json.RawMessage(fmt.Sprintf(
						`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Disabled"},"discoveryLogs":{"state":"Enabled"}}}}`,
						f.info.TenantID))); err != nil {
						t.Fatal(err)
					}
					if _, err := f.srv.InjectFault(fakeapi.Fault{Method: "PUT", PathPattern: `/dataConnectors/`, Count: 100, Kind: fakeapi.FaultStatus, Status: 500}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg,
				ExpectError: errorPattern(`integration failed.*HTTP 500`),
			},
			{
				// The recreated agent is in the state; the plan finishes the connector without a second agent.
				PreConfig: func() {
					if n := len(f.sentinelAgents()); n != 1 {
						t.Fatalf("after the failed update the server holds %d Sentinel agents, want 1", n)
					}
					f.srv.ClearFaults()
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: f.stateChecks(true, true),
				Check:             f.expectServer(true, true),
			},
		},
	})
}

// TestAccSentinelIntegration_agentCreatedMeanwhile creates a Sentinel SIEM agent in the portal after
// the prerequisite check has listed the agents and before the provider creates its own: Defender for
// Cloud Apps refuses the second agent with HTTP 409, the diagnostic is the prerequisite check's import
// instruction, and the provider leaves the other agent alone instead of taking it into the state.
func TestAccSentinelIntegration_agentCreatedMeanwhile(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "northwind")
	portalAgent := make(chan error, 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				f.srv.ResetRequests()
				// The check lists the data connectors right after the agents; slowing that listing down
				// leaves time to create an agent "in the portal" between the check and the create.
				if _, err := f.srv.InjectFault(fakeapi.Fault{Method: "GET", PathPattern: `/dataConnectors$`, Latency: 2 * time.Second}); err != nil {
					t.Fatal(err)
				}
				go func() {
					for deadline := time.Now().Add(time.Minute); f.srv.CountRequests("GET", `/api/v1/agents/siem/$`) == 0; time.Sleep(5 * time.Millisecond) {
						if time.Now().After(deadline) {
							portalAgent <- fmt.Errorf("the provider never listed the agents")
							return
						}
					}
					portalAgent <- f.srv.PutAgent("northwind", fakeapi.Agent{AgentType: "sentinel", DisplayName: "Microsoft Sentinel", Alerts: true})
				}()
			},
			Config:      f.config(""),
			ExpectError: errorPattern(`integration already exists.*HTTP 409.*created in Defender for Cloud Apps while this apply ran.*terraform import mcas_sentinel_integration.<name> ` + regexp.QuoteMeta(f.connectorID())),
		}},
		CheckDestroy: func(*terraform.State) error {
			if err := <-portalAgent; err != nil {
				return err
			}
			if agents, connectors := f.sentinelAgents(), f.mcasConnectors(); len(agents) != 1 || agents[0].DiscoveryLogsEnabled || len(connectors) != 0 {
				return fmt.Errorf("the server holds Sentinel agents %+v and %d MCAS connectors, want only the portal's agent, untouched", agents, len(connectors))
			}
			if n := f.srv.CountRequests("POST", `/api/v1/agents/siem/$`); n != 1 {
				return fmt.Errorf("the provider sent %d requests to create an agent, want 1", n)
			}
			return nil
		},
	})
}

func TestAccSentinelIntegration_diagnostics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tenant string
		setup  func(t *testing.T, f *integrationFixture)
		config func(f *integrationFixture) string
		want   string
	}{
		{
			name:   "sentinel not enabled",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return providerBlock(f.srv, f.info, secretAuth(f.info)) + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
}`, f.info.NoSentinelWorkspaceID)
			},
			want: `Microsoft Sentinel is not enabled on the workspace.*azurerm_sentinel_log_analytics_workspace_onboarding`,
		},
		{
			name:   "workspace not found",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return providerBlock(f.srv, f.info, secretAuth(f.info)) + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = "/subscriptions/%s/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-missing"
}`, f.info.SubscriptionID)
			},
			want: `Log Analytics workspace not found.*law-missing.*Check workspace_id`,
		},
		{
			name:   "invalid license on the Sentinel side",
			tenant: "contoso",
			setup: func(t *testing.T, f *integrationFixture) {
				if _, err := f.srv.InjectFault(fakeapi.Fault{Method: "PUT", PathPattern: `/dataConnectors/`, Count: 1, Kind: fakeapi.FaultStatus, Status: 401,
					Body: `{"error":{"code":"InvalidLicense","message":"License is invalid"}}`}); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			want:   `Defender for Cloud Apps license missing.*InvalidLicense.*Microsoft Defender for Cloud Apps license`,
		},
		{
			// The service principal's write meets 401 InvalidLicense "Missing consent": not a licence problem.
			name:   "admin consent missing",
			tenant: "northwind",
			setup: func(t *testing.T, f *integrationFixture) {
				if err := f.srv.SetAdminConsent("northwind", false); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			want: `integration failed: consent missing.*HTTP 401 InvalidLicense: Missing consent.*not a license problem.*` +
				`signed-in user.*use_cli = true.*terraform import`,
		},
		{
			name:   "no read access to Sentinel",
			tenant: "fabrikam",
			setup: func(t *testing.T, f *integrationFixture) {
				if err := f.srv.SetReadAccess("fabrikam", false); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			want: `Checking that Microsoft Sentinel is enabled on the workspace failed: read permission missing.*HTTP 403 AuthorizationFailed.*` +
				`Microsoft.SecurityInsights/onboardingStates/read.*at least the Microsoft Sentinel Reader role`,
		},
		{
			name:   "license switched off for the tenant",
			tenant: "contoso",
			setup: func(t *testing.T, f *integrationFixture) {
				if err := f.srv.SetLicenseValid("contoso", false); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			want:   `Defender for Cloud Apps denied access.*license`,
		},
		{
			name:   "missing role",
			tenant: "fabrikam",
			setup: func(t *testing.T, f *integrationFixture) {
				if err := f.srv.SetRolePresent("fabrikam", false); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			// The agent's POST is refused first: the advice says what is known of its permissions, and no more.
			want: `Defender for Cloud Apps denied access.*at least the Security Administrator role.*documents no permission for the SIEM agents.*` +
				`only call of their route with public evidence is the list.*not confirmed.*siem_agent = "observe"`,
		},
		{
			name:   "unknown stream id",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return f.config(`discovery_logs = { stream_ids = ["0123456789abcdef01234567"] }`)
			},
			want: `Unknown discovery stream.*0123456789abcdef01234567.*mcas_discovery_streams`,
		},
		{
			name:   "agent already exists",
			tenant: "northwind",
			setup: func(t *testing.T, f *integrationFixture) {
				if err := f.srv.PutAgent("northwind", fakeapi.Agent{AgentType: "sentinel", DisplayName: "Microsoft Sentinel", Alerts: true, DiscoveryLogsEnabled: true}); err != nil {
					t.Fatal(err)
				}
			},
			config: func(f *integrationFixture) string { return f.config("") },
			want:   `integration already exists.*terraform import mcas_sentinel_integration.<name> /subscriptions/.*dataConnectors/`,
		},
		{
			name:   "usgovernment",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return fmt.Sprintf(`
provider "mcas" {
  environment = "usgovernment"
  use_cli     = false
}
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
  tenant_id    = %q
}`, f.info.WorkspaceID, f.info.TenantID)
			},
			want: `not available in this cloud.*commercial customers only.*Microsoft Defender XDR connector`,
		},
		{
			name:   "china",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return fmt.Sprintf(`
provider "mcas" {
  environment = "china"
  use_cli     = false
}
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
  tenant_id    = %q
}`, f.info.WorkspaceID, f.info.TenantID)
			},
			want: `not available in this cloud.*"china".*Microsoft Defender XDR connector`,
		},
		{
			name:   "both data types off",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return f.config("alerts_enabled = false\ndiscovery_logs = { enabled = false }")
			},
			want: `Nothing to forward.*at least one`,
		},
		{
			name:   "malformed workspace id",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return providerBlock(f.srv, f.info, secretAuth(f.info)) + `
resource "mcas_sentinel_integration" "test" {
  workspace_id = "law-sentinel-contoso"
}`
			},
			want: `Invalid workspace id.*law-sentinel-contoso`,
		},
		{
			name:   "empty stream set",
			tenant: "contoso",
			config: func(f *integrationFixture) string { return f.config(`discovery_logs = { stream_ids = [] }`) },
			want:   `No streams selected.*stream_ids is an empty set`,
		},
		{
			name:   "stream id in upper case",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return f.config(`discovery_logs = { stream_ids = ["2B71970898808DD3B257B647"] }`)
			},
			want: `Invalid stream id.*upper-case.*"2b71970898808dd3b257b647"`,
		},
		{
			name:   "stream id not hex",
			tenant: "contoso",
			config: func(f *integrationFixture) string {
				return f.config(`discovery_logs = { stream_ids = ["Global View"] }`)
			},
			want: `Invalid stream id.*24 hexadecimal`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newIntegrationFixture(t, tc.tenant)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(f.srv),
				Steps: []resource.TestStep{{
					PreConfig: func() {
						if tc.setup != nil {
							tc.setup(t, f)
						}
					},
					Config:      tc.config(f),
					ExpectError: errorPattern(`` + tc.want),
				}},
				CheckDestroy: func(*terraform.State) error {
					if n := len(f.mcasConnectors()); n != 0 {
						return fmt.Errorf("a failed create left %d MCAS connectors", n)
					}
					return nil
				},
			})
		})
	}
}

func TestAccSentinelIntegration_importOtherKind(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	var otherID string
	for _, raw := range f.srv.DataConnectors(f.info.WorkspaceID) {
		var dc struct{ ID, Kind string }
		if err := json.Unmarshal(raw, &dc); err != nil {
			t.Fatal(err)
		}
		if dc.Kind == "AzureActiveDirectory" {
			otherID = dc.ID
		}
	}
	if otherID == "" {
		t.Fatal("the fake workspace has no AzureActiveDirectory connector")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		Steps: []resource.TestStep{
			{
				Config:        f.config(""),
				ResourceName:  integrationAddr,
				ImportState:   true,
				ImportStateId: otherID,
				ExpectError:   errorPattern(`Not a Defender for Cloud Apps data connector.*"AzureActiveDirectory"`),
			},
			{
				Config:        f.config(""),
				ResourceName:  integrationAddr,
				ImportState:   true,
				ImportStateId: f.info.WorkspaceID,
				ExpectError:   errorPattern(`Invalid import id.*data connector`),
			},
		},
	})
}

// TestAccSentinelIntegration_importAgentOnly imports a half-done portal integration: the Sentinel agent
// exists but the wizard was left before its Sentinel step. The create refuses it and names the import
// id; the import takes the agent, and the next apply creates the connector.
func TestAccSentinelIntegration_importAgentOnly(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "northwind")
	if err := f.srv.PutAgent("northwind", fakeapi.Agent{AgentType: "sentinel", DisplayName: "Microsoft Sentinel", Alerts: true, DiscoveryLogsEnabled: true}); err != nil {
		t.Fatal(err)
	}
	cfg := f.config("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{
				Config:      cfg,
				ExpectError: errorPattern(`integration already exists.*terraform import mcas_sentinel_integration.<name> ` + regexp.QuoteMeta(f.connectorID())),
			},
			{
				Config:             cfg,
				ResourceName:       integrationAddr,
				ImportState:        true,
				ImportStateId:      f.connectorID(),
				ImportStatePersist: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: f.stateChecks(true, true),
				Check:             f.expectServer(true, true),
			},
		},
	})
}
