package provider

import (
	"fmt"
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

// agentRoutePattern matches every path of the SIEM agent route; writes are counted by method.
const agentRoutePattern = `/api/v1/agents/siem/`

// agentWrites counts the POST, PUT and DELETE requests the server got on the SIEM agent route.
func (f *integrationFixture) agentWrites() int {
	return f.srv.CountRequests("POST", agentRoutePattern) + f.srv.CountRequests("PUT", agentRoutePattern) + f.srv.CountRequests("DELETE", agentRoutePattern)
}

func (f *integrationFixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// TestAccSentinelIntegration_observe is the observe mode's lifecycle on a tenant whose SIEM agent route
// only answers the list: a create before the agent is added in the portal fails with the portal steps
// and writes nothing; once added, the create converges; drift of the agent's streams shows in plan and
// the apply error gives the steps; destroy leaves the agent. No request writes to the agent route.
func TestAccSentinelIntegration_observe(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	f.must(f.srv.SetSIEMRoute("contoso", fakeapi.SIEMRouteReadOnly))
	palo, zscaler := f.streamID("Palo Alto - HQ firewall"), f.streamID("Zscaler - Branch offices")
	cfg := f.config(fmt.Sprintf("siem_agent = \"observe\"\ndiscovery_logs = { stream_ids = [%q] }", palo))
	portalAgent := func(streams ...string) fakeapi.Agent {
		a := fakeapi.Agent{ID: "64b7f1e2a3c4d5e6f7a8b9c0", AgentType: "sentinel", DisplayName: "Microsoft Sentinel", Alerts: true, DiscoveryLogsEnabled: true, Streams: streams}
		f.must(f.srv.PutAgent("contoso", a))
		return a
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy: func(*terraform.State) error {
			if n := len(f.mcasConnectors()); n != 0 {
				return fmt.Errorf("%d MCAS connectors left after destroy", n)
			}
			if n := len(f.sentinelAgents()); n != 1 {
				return fmt.Errorf("destroy in observe mode left %d Sentinel agents, want the portal's one", n)
			}
			if n := f.agentWrites(); n != 0 {
				return fmt.Errorf("observe mode sent %d POST, PUT or DELETE requests to the SIEM agent route", n)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ExpectError: errorPattern(`Add the Sentinel SIEM agent in the Defender for Cloud Apps portal.*Nothing was created.*` +
					`Settings > Cloud Apps > System > SIEM agents and select Add SIEM agent > Sentinel.*` +
					`choose exactly these streams: "Palo Alto - HQ firewall" \(` + palo + `\).*run terraform apply again`),
			},
			{
				PreConfig: func() {
					if n := len(f.mcasConnectors()); n != 0 {
						t.Fatalf("the refused create wrote %d connectors", n)
					}
					portalAgent(palo)
				},
				Config:            cfg,
				ConfigStateChecks: append(f.stateChecks(true, true, palo), statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("siem_agent"), knownvalue.StringExact("observe"))),
				Check:             f.expectServer(true, true, palo),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Someone changes the agent's "Apply to" in the portal: plan shows it, and apply (which may
				// not write the agent) fails with the steps after leaving the connector as configured.
				PreConfig: func() { portalAgent(zscaler) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
				},
				ExpectError: errorPattern(`Change the Sentinel SIEM agent in the Defender for Cloud Apps portal.*edit the Microsoft Sentinel agent \(64b7f1e2a3c4d5e6f7a8b9c0\).*` +
					`"Palo Alto - HQ firewall".*the next terraform plan shows no changes`),
			},
			{
				// The portal steps done, the next plan is empty.
				PreConfig: func() { portalAgent(palo) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A refresh costs one read per half: the connector by id, the agents by listing. The count
				// starts afresh here, so the writes of the steps so far are checked first.
				PreConfig: func() {
					if n := f.agentWrites(); n != 0 {
						t.Fatalf("observe mode sent %d POST, PUT or DELETE requests to the SIEM agent route", n)
					}
					f.srv.ResetRequests()
				},
				RefreshState: true,
				Check: func(*terraform.State) error {
					return f.expectOneReadPerHalf()
				},
			},
			{
				ResourceName:            integrationAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "siem_agent"},
			},
		},
	})
}

// expectOneReadPerHalf checks the service requests since the last reset, which must be one refresh:
// one read of the connector by id and one list of the agents, nothing else (token requests aside).
func (f *integrationFixture) expectOneReadPerHalf() error {
	var service []fakeapi.Request
	for _, r := range f.srv.Requests() {
		if !strings.Contains(r.Path, "/oauth2/") && !strings.Contains(r.Path, "/.well-known/") {
			service = append(service, r)
		}
	}
	connector := f.srv.CountRequests("GET", `/dataConnectors/[^/]+$`)
	list := f.srv.CountRequests("GET", `/api/v1/agents/siem/$`)
	if connector != 1 || list != 1 || len(service) != 2 {
		return fmt.Errorf("a refresh sent %d service requests: %d connector reads and %d agent lists; want one read per half: %+v",
			len(service), connector, list, service)
	}
	return nil
}

// TestAccSentinelIntegration_absentAgentRoute: in manage mode, a tenant that answers 404 to every SIEM
// agent call ends in the diagnostic that points to observe mode; switching to observe then converges,
// with the Cloud Apps half unobserved, and import picks observe mode by itself.
func TestAccSentinelIntegration_absentAgentRoute(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "northwind")
	f.must(f.srv.SetSIEMRoute("northwind", fakeapi.SIEMRouteAbsent))
	observe := f.config(`siem_agent = "observe"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy: func(*terraform.State) error {
			if n := len(f.mcasConnectors()); n != 0 {
				return fmt.Errorf("%d MCAS connectors left after destroy", n)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: f.config(""),
				ExpectError: errorPattern(`the Cloud Apps API did not accept the modeled SIEM agent call.*HTTP 404 Not Found.*` +
					`Set siem_agent = "observe" on this resource.*Add SIEM agent > Sentinel`),
			},
			{
				Config: observe,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("siem_agent"), knownvalue.StringExact("observe")),
					statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("cloud_apps_agent_id"), knownvalue.Null()),
					statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("alerts_enabled"), knownvalue.Bool(true)),
				},
				Check: func(*terraform.State) error {
					if n := len(f.mcasConnectors()); n != 1 {
						return fmt.Errorf("server holds %d MCAS connectors, want 1", n)
					}
					return nil
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The connector is still shown when it drifts, with the Cloud Apps half unobserved.
				PreConfig: func() { f.must(f.srv.DeleteDataConnector(f.connectorID())) },
				Config:    observe,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
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

// TestAccSentinelIntegration_readOnlyAgentRoute: an integration made in manage mode on a tenant whose
// route later refuses writes (405). An update of the agent ends in the diagnostic and the resource keeps
// its connector in the state; switching to observe (with the agent as the portal holds it) converges in
// place.
func TestAccSentinelIntegration_readOnlyAgentRoute(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "fabrikam")
	palo := f.streamID("Palo Alto - Datacenter")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		CheckDestroy: func(*terraform.State) error {
			if n := len(f.mcasConnectors()); n != 0 {
				return fmt.Errorf("%d MCAS connectors left after destroy", n)
			}
			if n := len(f.sentinelAgents()); n != 1 {
				return fmt.Errorf("destroy in observe mode left %d Sentinel agents, want 1", n)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config:            f.config(""),
				ConfigStateChecks: f.stateChecks(true, true),
				Check:             f.expectServer(true, true),
			},
			{
				// In manage mode too, a refresh costs one read per half, as before the agent was found by
				// listing (a read of the connector and of the agent by id).
				PreConfig:    f.srv.ResetRequests,
				RefreshState: true,
				Check: func(*terraform.State) error {
					return f.expectOneReadPerHalf()
				},
			},
			{
				ResourceName:    integrationAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				PreConfig: func() { f.must(f.srv.SetSIEMRoute("fabrikam", fakeapi.SIEMRouteReadOnly)) },
				Config:    f.config(fmt.Sprintf("discovery_logs = { stream_ids = [%q] }", palo)),
				ExpectError: errorPattern(`Updating the Defender for Cloud Apps - Microsoft Sentinel integration failed: the Cloud Apps API did not accept the modeled SIEM agent call.*` +
					`HTTP 405 Method Not Allowed.*Set siem_agent = "observe"`),
			},
			{
				// The resource is still in the state with its connector: an in-place update, no replacement.
				PreConfig: func() { f.srv.ResetRequests() },
				Config:    f.config(`siem_agent = "observe"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(f.stateChecks(true, true), statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("siem_agent"), knownvalue.StringExact("observe"))),
				Check: func(*terraform.State) error {
					if n := f.agentWrites(); n != 0 {
						return fmt.Errorf("the switch to observe sent %d writes to the SIEM agent route", n)
					}
					return f.expectServer(true, true)(nil)
				},
			},
		},
	})
}

// TestAccSentinelIntegration_observeWarnings runs the Terraform CLI to read the warnings of observe
// mode: an apply on a tenant whose agent list does not answer as modeled says that the Cloud Apps half
// was not observed, and a destroy says that the portal's agent was left in place (and leaves it).
func TestAccSentinelIntegration_observeWarnings(t *testing.T) {
	terraformBinary(t)
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	config := func(info fakeapi.TenantInfo) string {
		return `
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}
` + providerBlock(srv, info, secretAuth(info)) + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
  siem_agent   = "observe"
}
`, info.WorkspaceID)
	}
	expect := func(output, text string) {
		t.Helper()
		if !strings.Contains(output, text) {
			t.Errorf("the output does not say %q:\n%s", text, output)
		}
	}

	absent := tenantInfo(t, srv, "northwind")
	if err := srv.SetSIEMRoute(absent.Name, fakeapi.SIEMRouteAbsent); err != nil {
		t.Fatal(err)
	}
	d := newTerraformDir(t, inProcessFactory(WithTransport(srv.HTTPClient()), WithRetry(fastRetry)))
	d.writeConfig(config(absent))
	res := d.run("apply", "-auto-approve", "-json")
	if res.failed() {
		t.Fatalf("apply on a tenant without the agent route failed:\n%s", res.output)
	}
	expect(res.output, "The Cloud Apps half of the integration was not observed")
	d.mustRun("destroy", "-auto-approve")

	portal := tenantInfo(t, srv, "contoso")
	if err := srv.SetSIEMRoute(portal.Name, fakeapi.SIEMRouteReadOnly); err != nil {
		t.Fatal(err)
	}
	agent := fakeapi.Agent{ID: "64b7f1e2a3c4d5e6f7a8b9c0", AgentType: "sentinel", DisplayName: "Microsoft Sentinel", Alerts: true, DiscoveryLogsEnabled: true}
	if err := srv.PutAgent(portal.Name, agent); err != nil {
		t.Fatal(err)
	}
	d = newTerraformDir(t, inProcessFactory(WithTransport(srv.HTTPClient()), WithRetry(fastRetry)))
	d.writeConfig(config(portal))
	d.mustRun("apply", "-auto-approve")
	res = d.run("destroy", "-auto-approve", "-json")
	if res.failed() {
		t.Fatalf("destroy in observe mode failed:\n%s", res.output)
	}
	expect(res.output, "The Sentinel SIEM agent was left in place")
	expect(res.output, agent.ID)
	if agents := srv.Agents(portal.Name); len(agents) != 1 || agents[0].ID != agent.ID {
		t.Errorf("after destroy the tenant holds agents %+v, want the portal's one", agents)
	}
}
