package provider

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

const allStreams = `data "mcas_discovery_streams" "test" {}`

// contosoStreamsInOrder are the display names of contoso's streams in the data source's order.
var contosoStreamsInOrder = []string{
	"Firewall snapshot 2024-Q4", "Global View", "Marketing Department", "Palo Alto - HQ firewall", "Zscaler - Branch offices",
}

// streamIDs returns the ids of the tenant's streams with the given display names, in that order.
func streamIDs(t *testing.T, srv *fakeapi.Server, tenant string, names ...string) []knownvalue.Check {
	t.Helper()
	byName := map[string]string{}
	for _, s := range srv.Streams(tenant) {
		byName[s.DisplayName] = s.ID
	}
	checks := make([]knownvalue.Check, 0, len(names))
	for _, n := range names {
		id, ok := byName[n]
		if !ok {
			t.Fatalf("tenant %s has no stream %q", tenant, n)
		}
		checks = append(checks, knownvalue.StringExact(id))
	}
	return checks
}

func streamsPath() tfjsonpath.Path { return tfjsonpath.New("streams") }

func TestAccDiscoveryStreamsDataSource_all(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	addr := "data.mcas_discovery_streams.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv, info, secretAuth(info)) + allStreams,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), knownvalue.ListExact(streamIDs(t, srv, "contoso", contosoStreamsInOrder...))),
				statecheck.ExpectKnownValue(addr, streamsPath(), knownvalue.ListSizeExact(len(contosoStreamsInOrder))),
				statecheck.ExpectKnownValue(addr, streamsPath().AtSliceIndex(3), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":                 knownvalue.StringExact("2b71970898808dd3b257b647"),
					"display_name":       knownvalue.StringExact("Palo Alto - HQ firewall"),
					"type":               knownvalue.StringExact("input"),
					"log_type":           knownvalue.Int64Exact(112),
					"receiver_type":      knownvalue.StringExact("syslog"),
					"global_aggregated":  knownvalue.Bool(false),
					"created":            knownvalue.StringExact("2022-06-14T10:02:11Z"),
					"last_modified":      knownvalue.StringExact("2022-06-14T10:02:11Z"),
					"last_data_received": knownvalue.StringExact("2025-01-08T07:41:09Z"),
				})),
				statecheck.ExpectKnownValue(addr, streamsPath().AtSliceIndex(1), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":                 knownvalue.StringExact("91a8df304db0b18ad9585713"),
					"display_name":       knownvalue.StringExact("Global View"),
					"type":               knownvalue.StringExact("view"),
					"log_type":           knownvalue.Int64Exact(0),
					"receiver_type":      knownvalue.StringExact(""),
					"global_aggregated":  knownvalue.Bool(true),
					"created":            knownvalue.StringExact("2021-03-02T08:15:27Z"),
					"last_modified":      knownvalue.StringExact("2021-03-02T08:15:27Z"),
					"last_data_received": knownvalue.Null(),
				})),
				statecheck.ExpectKnownValue(addr, streamsPath().AtSliceIndex(0).AtMapKey("type"), knownvalue.StringExact("snapshot")),
			},
		}},
	})
}

func TestAccDiscoveryStreamsDataSource_filters(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	addr := "data.mcas_discovery_streams.test"
	cfg := func(filter string) string {
		return providerBlock(srv, info, secretAuth(info)) + fmt.Sprintf("data \"mcas_discovery_streams\" \"test\" {\n%s\n}\n", filter)
	}
	ids := func(names ...string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), knownvalue.ListExact(streamIDs(t, srv, "contoso", names...)))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			{
				Config:      cfg(`name_regex = "([unclosed"`),
				ExpectError: errorPattern(`Invalid regular expression.*does not compile`),
			},
			{
				Config:      cfg(`display_names = []`),
				ExpectError: errorPattern(`display_names.*at least 1`),
			},
			{
				Config:            cfg(`display_names = ["Marketing Department", "Global View", "No such stream"]`),
				ConfigStateChecks: []statecheck.StateCheck{ids("Global View", "Marketing Department")},
			},
			{
				Config:            cfg(`name_regex = "^(Palo Alto|Zscaler) "`),
				ConfigStateChecks: []statecheck.StateCheck{ids("Palo Alto - HQ firewall", "Zscaler - Branch offices")},
			},
			{
				Config: cfg(`
display_names = ["Palo Alto - HQ firewall", "Marketing Department"]
name_regex    = "^Palo"`),
				ConfigStateChecks: []statecheck.StateCheck{
					ids("Palo Alto - HQ firewall"),
					statecheck.ExpectKnownValue(addr, streamsPath().AtSliceIndex(0).AtMapKey("display_name"), knownvalue.StringExact("Palo Alto - HQ firewall")),
				},
			},
			{
				Config: cfg(`name_regex = "^nothing matches this$"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(addr, streamsPath(), knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
		},
	})
}

// TestAccDiscoveryStreamsDataSource_envelopes reads the same streams through each response shape the
// Cloud Apps API has been documented with, and a stream added in the portal shows up in its place.
func TestAccDiscoveryStreamsDataSource_envelopes(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "fabrikam")
	addr := "data.mcas_discovery_streams.test"
	want := []string{"Finance Department", "Global View", "Palo Alto - Datacenter", "Zscaler - Remote workforce"}
	step := func(envelope string) resource.TestStep {
		return resource.TestStep{
			PreConfig: func() {
				if err := srv.SetStreamsEnvelope("fabrikam", envelope); err != nil {
					t.Fatal(err)
				}
			},
			Config: providerBlock(srv, info, secretAuth(info)) + allStreams,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids"), knownvalue.ListExact(streamIDs(t, srv, "fabrikam", want...))),
			},
		}
	}
	added := "0123456789abcdef01234567"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			step("streams"),
			step("array"),
			step("data"),
			{
				PreConfig: func() {
					if err := srv.PutStream("fabrikam", fakeapi.Stream{ID: added, DisplayName: "Cisco ASA - Lab", StreamType: 1, LogType: 101, ReceiverType: "syslog"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: providerBlock(srv, info, secretAuth(info)) + allStreams,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("ids").AtSliceIndex(0), knownvalue.StringExact(added)),
					statecheck.ExpectKnownValue(addr, streamsPath(), knownvalue.ListSizeExact(len(want)+1)),
				},
			},
		},
	})
}

// TestAccDiscoveryStreamsDataSource_manyStreams lists a tenant of 250 streams, which Cloud Apps answers
// in pages of at most 100 in its {"total","hasNext","data"} envelope: the data source lists them all,
// the resource's stream check finds a stream of the last page, and each listing takes three requests.
func TestAccDiscoveryStreamsDataSource_manyStreams(t *testing.T) {
	t.Parallel()
	f := newIntegrationFixture(t, "contoso")
	for i := len(f.srv.Streams("contoso")); i < 250; i++ {
		if err := f.srv.PutStream("contoso", fakeapi.Stream{DisplayName: fmt.Sprintf("Branch %03d", i), StreamType: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.srv.SetStreamsEnvelope("contoso", fakeapi.EnvelopeData); err != nil {
		t.Fatal(err)
	}
	last := f.srv.Streams("contoso")[249]
	cfg := f.config(fmt.Sprintf("discovery_logs = { stream_ids = [%q] }", last.ID)) + allStreams
	pagesOfEachListing := func(*terraform.State) error {
		bySkip := map[string]int{}
		for _, r := range f.srv.Requests() {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.Path, "/api/discovery/streams/") {
				continue
			}
			query, err := url.ParseQuery(r.Query)
			if err != nil || query.Get("limit") != "100" {
				return fmt.Errorf("a stream listing asked for %q, want pages of 100", r.Query)
			}
			bySkip[query.Get("skip")]++
		}
		if len(bySkip) != 3 || bySkip["0"] == 0 || bySkip["0"] != bySkip["100"] || bySkip["0"] != bySkip["200"] {
			return fmt.Errorf("stream requests by skip: %v; want every listing to ask for skip 0, 100 and 200 once", bySkip)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(f.srv),
		Steps: []resource.TestStep{{
			PreConfig: f.srv.ResetRequests,
			Config:    cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.mcas_discovery_streams.test", streamsPath(), knownvalue.ListSizeExact(250)),
				statecheck.ExpectKnownValue(integrationAddr, tfjsonpath.New("discovery_logs").AtMapKey("stream_ids"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(last.ID)})),
			},
			Check: resource.ComposeAggregateTestCheckFunc(f.expectServer(true, true, last.ID), pagesOfEachListing),
		}},
	})
}

func TestAccDiscoveryStreamsDataSource_legacyToken(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "northwind")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv, info, fmt.Sprintf("api_token = %q", info.APIToken)) + allStreams,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.mcas_discovery_streams.test", streamsPath(), knownvalue.ListSizeExact(4)),
			},
			Check: func(*terraform.State) error {
				if n := srv.CountRequests("POST", `/oauth2/v2\.0/token$`); n != 0 {
					return fmt.Errorf("the legacy token configuration asked Microsoft Entra ID for %d tokens, want none", n)
				}
				if n := srv.CountRequests("GET", `^/mcas/northwind/api/discovery/streams/?$`); n == 0 {
					return fmt.Errorf("no request reached the Cloud Apps streams endpoint")
				}
				return nil
			},
		}},
	})
}

func TestAccDiscoveryStreamsDataSource_refusals(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	other := tenantInfo(t, srv, "fabrikam")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			{
				// Another tenant's token, well-formed but not valid here.
				Config:      providerBlock(srv, info, fmt.Sprintf("api_token = %q", other.APIToken)) + allStreams,
				ExpectError: errorPattern(`Defender for Cloud Apps rejected the credentials.*HTTP 401.*api_token`),
			},
			{
				PreConfig: func() {
					if err := srv.SetLicenseValid("contoso", false); err != nil {
						t.Fatal(err)
					}
				},
				Config:      providerBlock(srv, info, secretAuth(info)) + allStreams,
				ExpectError: errorPattern(`Defender for Cloud Apps denied access.*HTTP 403.*Discovery\.read`),
			},
			{
				PreConfig: func() {
					if err := srv.SetLicenseValid("contoso", true); err != nil {
						t.Fatal(err)
					}
				},
				Config: `
provider "mcas" {
  use_cli = false
  api_token = "` + info.APIToken + `"
}
` + allStreams,
				ExpectError: errorPattern(`Defender for Cloud Apps is not configured.*portal_url is not set.*MCAS_PORTAL_URL`),
			},
			{
				Config: `
provider "mcas" {
  use_cli    = false
  portal_url = "` + info.PortalURL + `"
}
` + allStreams,
				ExpectError: errorPattern(`needs either api_token.*no Microsoft Entra ID authentication method is configured`),
			},
		},
	})
}

func TestAccDiscoveryStreamsDataSource_throttled(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	cfg := providerBlock(srv, info, fmt.Sprintf("api_token = %q", info.APIToken)) + allStreams
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			{
				// Two throttled answers are absorbed by the retries.
				PreConfig: func() {
					if _, err := srv.InjectFault(fakeapi.Fault{Method: "GET", PathPattern: "/api/discovery/streams", Count: 2, Kind: fakeapi.FaultStatus, Status: 429}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.mcas_discovery_streams.test", streamsPath(), knownvalue.ListSizeExact(len(contosoStreamsInOrder))),
				},
			},
			{
				// Throttled past the retry budget: a clear diagnostic.
				PreConfig: func() {
					if _, err := srv.InjectFault(fakeapi.Fault{Method: "GET", PathPattern: "/api/discovery/streams", Count: 100, Kind: fakeapi.FaultStatus, Status: 429}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg,
				ExpectError: errorPattern(`throttled by Defender for Cloud Apps.*30 requests per minute`),
			},
		},
	})
}

// TestAccDiscoveryStreamsDataSource_realThrottle runs the fake's own rate limit: with a budget of two
// requests, the third is answered 429 and the diagnostic says so.
func TestAccDiscoveryStreamsDataSource_realThrottle(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 2})
	info := tenantInfo(t, srv, "northwind")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{{
			PreConfig: func() {
				// Use up the budget out of band, as another pipeline on the same tenant would.
				client := srv.HTTPClient()
				for range 2 {
					req, _ := newTokenRequest(info.PortalURL+"/api/discovery/streams/", info.APIToken)
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
				}
			},
			Config:      providerBlock(srv, info, fmt.Sprintf("api_token = %q", info.APIToken)) + allStreams,
			ExpectError: errorPattern(`throttled by Defender for Cloud Apps.*HTTP 429`),
		}},
	})
}
