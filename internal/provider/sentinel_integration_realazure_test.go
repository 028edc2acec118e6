package provider

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// portlessEndpoint is the Resource Manager endpoint the provider is given in
// TestAccSentinelIntegration_realAzureAnswers: a host without a port, as https://management.azure.com is.
const portlessEndpoint = "https://localhost"

// portlessClient returns an HTTP client that trusts srv and reaches it for portlessEndpoint: it dials
// srv's address for localhost:443, so the provider can be given an endpoint without a port.
func portlessClient(t *testing.T, srv *fakeapi.Server) *http.Client {
	addr := strings.TrimPrefix(srv.URL(), "https://")
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if address == "localhost:443" {
				address = addr
			}
			return dialer.DialContext(ctx, network, address)
		},
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport}
}

// TestAccSentinelIntegration_realAzureAnswers meets, on one integration, answers of the real services
// that the provider must survive: data connector lists whose nextLink names the default port
// (https://<host>:443/...), a connector re-created in the portal under another name while the state's
// is gone (Sentinel allows one per workspace), and an identity that lost its read access to Sentinel.
func TestAccSentinelIntegration_realAzureAnswers(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000, ConnectorPageSize: 2, NextLinkExplicitPort: true})
	f := &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, "contoso")}
	cfg := strings.Replace(f.config(""), fmt.Sprintf("resource_manager_endpoint       = %q", srv.ResourceManagerEndpoint()),
		fmt.Sprintf("resource_manager_endpoint       = %q", portlessEndpoint), 1)
	if !strings.Contains(cfg, portlessEndpoint) {
		t.Fatalf("the configuration does not use the endpoint %s:\n%s", portlessEndpoint, cfg)
	}
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"mcas": providerserver.NewProtocol6WithError(New("test", WithTransport(portlessClient(t, srv)), WithRetry(fastRetry), fastOnboardingWait())()),
	}
	otherID := f.info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/portal-made"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{
			{
				// The create lists the workspace's connectors over pages linked with :443 nextLinks.
				PreConfig: srv.ResetRequests,
				Config:    cfg,
				Check: resource.ComposeAggregateTestCheckFunc(f.expectServer(true, true), func(*terraform.State) error {
					for _, r := range srv.Requests() {
						if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/dataConnectors") && strings.Contains(r.Query, "$skipToken=") {
							return nil
						}
					}
					return fmt.Errorf("no data connector list followed a nextLink; requests: %v", srv.Requests())
				}),
				ConfigStateChecks: f.stateChecks(true, true),
			},
			{
				// The connector is deleted and someone connects Defender for Cloud Apps again in the portal,
				// under a name of its own: the plan shows the update, and the apply explains instead of a
				// PUT bound to fail.
				PreConfig: func() {
					if err := srv.DeleteDataConnector(f.connectorID()); err != nil {
						t.Fatal(err)
					}
					if err := srv.PutDataConnector(otherID, json.RawMessage(fmt.Sprintf(
						`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Enabled"}}}}`,
						f.info.TenantID))); err != nil {
						t.Fatal(err)
					}
					srv.ResetRequests()
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
				},
				ExpectError: errorPattern(`Updating the Defender for Cloud Apps - Microsoft Sentinel integration failed: another Defender for Cloud Apps data connector exists.*` +
					`The data connector .*/dataConnectors/` + f.info.TenantID + ` is gone, and the workspace now has another .*/dataConnectors/portal-made.*` +
					`connector_name = "portal-made".*terraform state rm mcas_sentinel_integration.<name>.*` +
					`terraform import mcas_sentinel_integration.<name> ` + otherID + `.*import \{.*id = "` + otherID + `".*delete that connector`),
			},
			{
				// No PUT was sent; once the other connector is deleted, the apply creates the state's one.
				PreConfig: func() {
					if n := srv.CountRequests(http.MethodPut, `/dataConnectors/`); n != 0 {
						t.Fatalf("the failed update sent %d data connector PUTs, want none", n)
					}
					if err := srv.DeleteDataConnector(otherID); err != nil {
						t.Fatal(err)
					}
				},
				Config:            cfg,
				Check:             f.expectServer(true, true),
				ConfigStateChecks: f.stateChecks(true, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(integrationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The identity loses Microsoft Sentinel Reader: the refresh says which role it needs.
				PreConfig: func() {
					if err := srv.SetReadAccess("contoso", false); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ExpectError: errorPattern(`Reading the Defender for Cloud Apps - Microsoft Sentinel integration failed: read permission missing.*` +
					`reading data connector .*HTTP 403 AuthorizationFailed.*Microsoft.SecurityInsights/dataConnectors/read.*at least the Microsoft Sentinel Reader role on the workspace`),
			},
			{
				PreConfig: func() {
					if err := srv.SetReadAccess("contoso", true); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccSentinelIntegration_sentinelJustEnabled creates the integration right after Sentinel is
// enabled on the workspace, while the onboarding state still answers 404 and then data connector
// writes 400: the create waits for both and converges.
func TestAccSentinelIntegration_sentinelJustEnabled(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
	f := &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, "northwind")}
	// The integration goes to the workspace that has no Sentinel yet.
	f.info.WorkspaceID = f.info.NoSentinelWorkspaceID
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"mcas": providerserver.NewProtocol6WithError(New("test", WithTransport(srv.HTTPClient()), WithRetry(fastRetry),
			WithOnboardingWait(100*time.Millisecond, 400*time.Millisecond, 30*time.Second))()),
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             f.expectNothingLeft(),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				srv.ResetRequests()
				if err := srv.EnableSentinel(f.info.WorkspaceID, fakeapi.SentinelPropagation{OnboardingState: time.Second, ConnectorWrites: 2 * time.Second}); err != nil {
					t.Fatal(err)
				}
			},
			Config: f.config(""),
			Check: resource.ComposeAggregateTestCheckFunc(f.expectServer(true, true), func(*terraform.State) error {
				if n := srv.CountRequests(http.MethodGet, `/onboardingStates/default$`); n < 2 {
					return fmt.Errorf("the onboarding state was read %d times, want it read again after a 404", n)
				}
				if n := srv.CountRequests(http.MethodPut, `/dataConnectors/`); n < 2 {
					return fmt.Errorf("the data connector was written %d times, want it written again after a 400", n)
				}
				return nil
			}),
			ConfigStateChecks: f.stateChecks(true, true),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}
