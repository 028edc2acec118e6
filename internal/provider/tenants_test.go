package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestUnitAdditionalTenantIDs reads additional_tenant_ids from the configuration and from
// ARM_AUXILIARY_TENANT_IDS, whose ids azurerm separates with ";", and checks each id.
func TestUnitAdditionalTenantIDs(t *testing.T) {
	const a, b = "d7bca20e-e2a1-40ba-952e-c61e79d572ac", "c50d5e64-456e-44eb-a8b2-4badb6380e06"
	list := func(values ...any) *tftypes.Value {
		elements := make([]tftypes.Value, len(values))
		for i, v := range values {
			elements[i] = tftypes.NewValue(tftypes.String, v)
		}
		l := tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, elements)
		return &l
	}
	cases := []struct {
		name       string
		env        string
		configured *tftypes.Value
		want       string // the ids joined with "|"
		problem    string
	}{
		{name: "environment", env: " " + a + "; " + b + ";", want: a + "|" + b},
		{name: "environment with commas and the wildcard", env: a + ",*", want: a + "|*"},
		{name: "the attribute wins", env: a, configured: list(b), want: b},
		{name: "a name instead of an id", env: a + ";contoso.onmicrosoft.com", want: a + "|contoso.onmicrosoft.com",
			problem: `From the environment variable ARM_AUXILIARY_TENANT_IDS: additional_tenant_ids[1]: "contoso.onmicrosoft.com" is neither a tenant id nor "*"`},
		{name: "only separators", env: ";;", problem: `ARM_AUXILIARY_TENANT_IDS is ";;", which is not a list; separate its values with ;`},
		{name: "an id known only after apply", configured: list(a, tftypes.UnknownValue),
			problem: "additional_tenant_ids depends on a value that is known only after apply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ARM_AUXILIARY_TENANT_IDS", tc.env)
			configured := map[string]tftypes.Value{}
			if tc.configured != nil {
				configured["additional_tenant_ids"] = *tc.configured
			}
			var diags diag.Diagnostics
			values := readSettings(context.Background(), testConfig(t, configured), &diags)
			if got := strings.Join(values.list("additional_tenant_ids"), "|"); got != tc.want {
				t.Errorf("additional_tenant_ids = %q, want %q", got, tc.want)
			}
			switch {
			case tc.problem == "" && diags.HasError():
				t.Errorf("unexpected diagnostics: %v", diags)
			case tc.problem != "" && (len(diags) != 1 || !strings.Contains(diags[0].Detail(), tc.problem)):
				t.Errorf("diagnostics %v, want one saying %q", diags, tc.problem)
			}
		})
	}
}

func TestUnitSplitImportID(t *testing.T) {
	const connector = "/subscriptions/4c2dd80b-1ccb-4d86-bcc7-fb007341aad6/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws/providers/Microsoft.SecurityInsights/dataConnectors/x"
	const tenant = "d7bca20e-e2a1-40ba-952e-c61e79d572ac"
	cases := []struct {
		id                  string
		connector, tid, url string
		problem             string
	}{
		{id: connector, connector: connector},
		{id: connector + "?tenant_id=" + tenant + "&portal_url=https://contoso.eu2.portal.cloudappsecurity.com",
			connector: connector, tid: tenant, url: "https://contoso.eu2.portal.cloudappsecurity.com"},
		{id: connector + "?portal_url=https%3A%2F%2Fcontoso.eu2.portal.cloudappsecurity.com", connector: connector, url: "https://contoso.eu2.portal.cloudappsecurity.com"},
		{id: connector + "?tenant=" + tenant, problem: `names "tenant"; it may name only tenant_id and portal_url`},
		{id: connector + "?tenant_id=contoso", problem: `tenant_id "contoso" is not a UUID`},
		{id: connector + "?tenant_id=" + tenant + "&tenant_id=" + tenant, problem: "names tenant_id 2 times"},
		{id: connector + "?portal_url=http://contoso", problem: "the import id's portal_url"},
		{id: connector + "?tenant_id=%zz", problem: "cannot be read"},
	}
	for _, tc := range cases {
		c, tid, url, err := splitImportID(tc.id)
		if tc.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("splitImportID(%q) error = %v, want %q", tc.id, err, tc.problem)
			}
			continue
		}
		if err != nil || c != tc.connector || tid != tc.tid || url != tc.url {
			t.Errorf("splitImportID(%q) = %q, %q, %q, %v; want %q, %q, %q", tc.id, c, tid, url, err, tc.connector, tc.tid, tc.url)
		}
	}
}

// TestUnitForTenantKeepsOneClientPerTenantAndPortal: the provider's own tenant with another portal is
// one cache entry however the resource spells the tenant ("", its id, another case), and the clients
// are built once.
func TestUnitForTenantKeepsOneClientPerTenantAndPortal(t *testing.T) {
	const own = "d7bca20e-e2a1-40ba-952e-c61e79d572ac"
	c := &Clients{TenantID: own, tenants: &tenantClients{
		apiToken:  strings.Repeat("a", 64),
		portalURL: "https://contoso.eu2.portal.cloudappsecurity.com",
	}}
	const portal = "https://contoso-test.eu2.portal.cloudappsecurity.com"
	_, first, err := c.ForTenant("", portal)
	if err != nil || first == nil {
		t.Fatalf("ForTenant = %v, %v", first, err)
	}
	for _, spelling := range []string{own, strings.ToUpper(own), ""} {
		_, ca, err := c.ForTenant(spelling, portal+"/")
		if err != nil || ca != first {
			t.Errorf("ForTenant(%q) built another Cloud Apps client (%p, first %p): %v", spelling, ca, first, err)
		}
	}
	if n := len(c.tenants.built); n != 1 {
		t.Errorf("%d cache entries, want 1", n)
	}
}

// TestUnitConfigureKeepsTheProvidersClientsAsTheCacheEntryOfItsTenant: the clients that Configure builds
// for the provider's own tenant and portal are the ones that objects naming that tenant and portal get,
// however they spell them, so no second Cloud Apps client (and request limiter entry) is built for them.
func TestUnitConfigureKeepsTheProvidersClientsAsTheCacheEntryOfItsTenant(t *testing.T) {
	const own, portal = "d7bca20e-e2a1-40ba-952e-c61e79d572ac", "https://contoso.eu2.portal.cloudappsecurity.com"
	for i := range settings {
		for _, env := range settings[i].envs {
			t.Setenv(env, "")
		}
	}
	config := testConfig(t, map[string]tftypes.Value{
		"tenant_id":  tftypes.NewValue(tftypes.String, own),
		"portal_url": tftypes.NewValue(tftypes.String, portal),
		"api_token":  tftypes.NewValue(tftypes.String, strings.Repeat("a", 64)),
	})
	resp := &provider.ConfigureResponse{}
	New("test")().Configure(context.Background(), provider.ConfigureRequest{Config: config}, resp)
	clients, ok := resp.ResourceData.(*Clients)
	if resp.Diagnostics.HasError() || !ok || clients.own.ca == nil {
		t.Fatalf("Configure: %v, clients %+v", resp.Diagnostics, clients)
	}
	for _, spelling := range [][2]string{{"", ""}, {own, portal}, {strings.ToUpper(own), portal + "/"}, {"", strings.ToUpper(portal)}} {
		ca, err := clients.CloudAppsForTenant(spelling[0], spelling[1])
		if err != nil || ca != clients.own.ca {
			t.Errorf("CloudAppsForTenant(%q, %q) = %p, %v; want the provider's own client %p", spelling[0], spelling[1], ca, err, clients.own.ca)
		}
	}
	if n := len(clients.tenants.built); n != 1 {
		t.Errorf("%d cache entries, want the provider's own only", n)
	}
}
