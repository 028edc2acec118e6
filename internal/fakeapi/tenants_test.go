package fakeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// msspWorld is the default world and a managing tenant, "mssp", whose multi-tenant app contoso
// consented to in the world itself; fabrikam consents later, northwind never.
func msspWorld() *World {
	w := DefaultWorld()
	w.Tenants = append(w.Tenants, TenantSpec{
		Name: "mssp",
		Apps: []AppSpec{{
			ClientID: "6f1b0c3e-5d7a-4f36-9a51-0c4e8b2d7a91", ClientSecret: "mssp-secret", GenerateCertificate: true, MultiTenant: true,
			FederatedCredentials: []FederatedCredential{{Subject: DefaultFederatedSubject}},
		}},
	})
	w.Tenants[0].ConsentedApps = []ConsentSpec{{ClientID: "6f1b0c3e-5d7a-4f36-9a51-0c4e8b2d7a91", ObjectID: "0d0f6c44-6b8e-4f7e-a0b5-3b1f6e9c2d10"}}
	return w
}

// tokenFor asks a credential for a token of one scope in one tenant.
func tokenFor(cred azcore.TokenCredential, tenantID, scope string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}, TenantID: tenantID})
	return tok.Token, err
}

func TestMultiTenantAppGetsTokensWhereConsented(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{World: msspWorld()})
	mssp, contoso, fabrikam, northwind := mustTenant(t, s, "mssp"), mustTenant(t, s, "contoso"), mustTenant(t, s, "fabrikam"), mustTenant(t, s, "northwind")
	fabrikamObject, err := s.ConsentApp("fabrikam", strings.ToUpper(mssp.ClientID))
	if err != nil {
		t.Fatalf("ConsentApp: %v", err)
	}
	if again, err := s.ConsentApp("fabrikam", mssp.ClientID); err != nil || again != fabrikamObject {
		t.Errorf("consenting again = %q, %v; want the same service principal %q", again, err, fabrikamObject)
	}

	certs, key, err := azidentity.ParseCertificates(mssp.ClientCertificatePEM, nil)
	if err != nil {
		t.Fatalf("ParseCertificates: %v", err)
	}
	anyTenant := []string{"*"}
	secret, err := azidentity.NewClientSecretCredential(mssp.TenantID, mssp.ClientID, mssp.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true, AdditionallyAllowedTenants: anyTenant})
	if err != nil {
		t.Fatal(err)
	}
	certificate, err := azidentity.NewClientCertificateCredential(mssp.TenantID, mssp.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true, AdditionallyAllowedTenants: anyTenant})
	if err != nil {
		t.Fatal(err)
	}
	federated, err := azidentity.NewClientAssertionCredential(mssp.TenantID, mssp.ClientID,
		func(context.Context) (string, error) { return s.MintFederatedToken("mssp", 0) },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true, AdditionallyAllowedTenants: anyTenant})
	if err != nil {
		t.Fatal(err)
	}
	objectIDs := map[string]string{contoso.Name: "0d0f6c44-6b8e-4f7e-a0b5-3b1f6e9c2d10", fabrikam.Name: fabrikamObject}

	for kind, cred := range map[string]azcore.TokenCredential{"secret": secret, "certificate": certificate, "federated": federated} {
		for _, customer := range []TenantInfo{contoso, fabrikam} {
			armToken, err := tokenFor(cred, customer.TenantID, ResourceManagerAudience+".default")
			if err != nil {
				t.Fatalf("%s: token for %s: %v", kind, customer.Name, err)
			}
			claims := unverifiedClaims(t, armToken)
			if claims["tid"] != customer.TenantID || claims["appid"] != mssp.ClientID || claims["oid"] != objectIDs[customer.Name] {
				t.Errorf("%s: claims in %s = %v; want tid %s, appid %s, oid %s", kind, customer.Name, claims, customer.TenantID, mssp.ClientID, objectIDs[customer.Name])
			}
			do(t, s, http.MethodGet, customer.WorkspaceID+"?api-version=2022-10-01", bearer(armToken), nil).expectStatus(t, http.StatusOK)
			caToken, err := tokenFor(cred, customer.TenantID, CloudAppsAudience+"/.default")
			if err != nil {
				t.Fatalf("%s: Cloud Apps token for %s: %v", kind, customer.Name, err)
			}
			do(t, s, http.MethodGet, customer.PortalURL+"/api/discovery/streams/", bearer(caToken), nil).expectStatus(t, http.StatusOK)
		}

		// A tenant that never consented answers Entra's error for an app without a service principal.
		_, err := tokenFor(cred, northwind.TenantID, ResourceManagerAudience+".default")
		if err == nil || !strings.Contains(err.Error(), "AADSTS700016") || !strings.Contains(err.Error(), "northwind.onmicrosoft.com") {
			t.Errorf("%s: token for northwind: %v; want AADSTS700016 naming northwind's directory", kind, err)
		}
	}

	// A token of one customer opens neither the workspace nor the portal of another.
	contosoARM, err := tokenFor(secret, contoso.TenantID, ResourceManagerAudience+".default")
	if err != nil {
		t.Fatal(err)
	}
	if code := do(t, s, http.MethodGet, fabrikam.WorkspaceID+"?api-version=2022-10-01", bearer(contosoARM), nil).
		expectStatus(t, http.StatusUnauthorized).armCode(t); code != "InvalidAuthenticationTokenTenant" {
		t.Errorf("contoso's token on fabrikam's workspace: code %q, want InvalidAuthenticationTokenTenant", code)
	}
	contosoCA, err := tokenFor(secret, contoso.TenantID, CloudAppsAudience+"/.default")
	if err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, fabrikam.PortalURL+"/api/discovery/streams/", bearer(contosoCA), nil).expectStatus(t, http.StatusUnauthorized)

	// The request log names the tenant of each token: the customer's, with the managing tenant's app.
	for _, r := range s.Requests() {
		service := strings.HasPrefix(r.Path, "/subscriptions/") || strings.HasPrefix(r.Path, "/mcas/")
		if r.TokenTenant == "" || !service {
			continue
		}
		if r.TokenAppID != mssp.ClientID {
			t.Errorf("%s %s carried a token of app %s, want %s", r.Method, r.Path, r.TokenAppID, mssp.ClientID)
		}
		if (r.Status < 400) != (r.TokenTenant == r.Tenant) {
			t.Errorf("%s %s of tenant %s with a token of %s answered %d", r.Method, r.Path, r.Tenant, r.TokenTenant, r.Status)
		}
	}
}

func TestConsentRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{World: msspWorld()})
	mssp, contoso := mustTenant(t, s, "mssp"), mustTenant(t, s, "contoso")
	for _, tc := range []struct {
		name, tenant, clientID, want string
		notFound                     bool
	}{
		{"single-tenant app", "fabrikam", contoso.ClientID, "single-tenant", false},
		{"own app", "mssp", mssp.ClientID, "registered in this tenant", false},
		{"unknown app", "fabrikam", "a4f0c7a8-5d5b-4c55-8a8e-1f7c2b3d4e5f", "no tenant of this server registers", true},
		{"unknown tenant", "litware", mssp.ClientID, "unknown", true},
		{"malformed client id", "fabrikam", "mssp-app", "not a GUID", false},
	} {
		_, err := s.ConsentApp(tc.tenant, tc.clientID)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNotFound) != tc.notFound {
			t.Errorf("%s: ConsentApp = %v; want an error containing %q (not found: %v)", tc.name, err, tc.want, tc.notFound)
		}
	}

	// The same rules through the admin interface, which also lists the consents.
	do(t, s, http.MethodPost, "/admin/tenants/fabrikam/consents", "", map[string]string{"client_id": contoso.ClientID}).expectStatus(t, http.StatusBadRequest)
	res := do(t, s, http.MethodPost, "/admin/tenants/northwind/consents", "", map[string]string{"client_id": mssp.ClientID}).expectStatus(t, http.StatusCreated)
	objectID, _ := res.object(t)["object_id"].(string)
	var state stateJSON
	do(t, s, http.MethodGet, "/admin/state", "", nil).expectStatus(t, http.StatusOK).decode(t, &state)
	for _, tj := range state.Tenants {
		if tj.Name != "northwind" {
			continue
		}
		if len(tj.ConsentedApps) != 1 || tj.ConsentedApps[0] != (consentJSON{ClientID: mssp.ClientID, ObjectID: objectID, HomeTenant: "mssp"}) {
			t.Errorf("northwind's consented apps = %+v; want mssp's app with object id %s", tj.ConsentedApps, objectID)
		}
	}
}

func TestAddTenantsIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	mssp := "2a8f7e51-93c4-4b0d-8e6a-5f1d2c3b4a60"
	specs := []TenantSpec{
		{Name: "customer-1", ConsentedApps: []ConsentSpec{{ClientID: mssp}}},
		{Name: "mssp", Apps: []AppSpec{{ClientID: mssp, ClientSecret: "s", MultiTenant: true}}},
	}
	infos, err := s.AddTenants(specs)
	if err != nil {
		t.Fatalf("AddTenants: %v", err)
	}
	if len(infos) != 2 || infos[0].Name != "customer-1" || infos[1].ClientID != mssp || infos[0].ClientCertificatePEM != nil {
		t.Errorf("AddTenants = %+v; want customer-1 and mssp in order, without certificates", infos)
	}
	// A token of the managing tenant's app for a customer that consented in the same call.
	res := tokenRequest(t, s, infos[0].TenantID, map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {mssp}, "client_secret": {"s"}, "scope": {CloudAppsAudience + "/.default"},
	}).expectStatus(t, http.StatusOK)
	if claims := unverifiedClaims(t, res.object(t)["access_token"].(string)); claims["tid"] != infos[0].TenantID {
		t.Errorf("tid = %v, want %s", claims["tid"], infos[0].TenantID)
	}

	before := s.TenantNames()
	for _, bad := range [][]TenantSpec{
		{{Name: "customer-2"}, {Name: "customer-2"}},
		{{Name: "customer-3"}, {Name: "contoso"}},
		{{Name: "customer-4", ConsentedApps: []ConsentSpec{{ClientID: mustTenant(t, s, "contoso").ClientID}}}},
	} {
		if _, err := s.AddTenants(bad); err == nil {
			t.Errorf("AddTenants(%v) succeeded", bad)
		}
	}
	if after := s.TenantNames(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused batches changed the tenants from %v to %v", before, after)
	}
	// The valid tenants of a refused batch were not added either.
	for _, name := range []string{"customer-2", "customer-3", "customer-4"} {
		if _, ok := s.Tenant(name); ok {
			t.Errorf("tenant %q of a refused batch exists", name)
		}
	}

	// The admin interface takes an array too.
	var added []TenantInfo
	do(t, s, http.MethodPost, "/admin/tenants", "", []map[string]any{{"name": "customer-5"}, {"name": "customer-6"}}).
		expectStatus(t, http.StatusCreated).decode(t, &added)
	if len(added) != 2 || added[1].Name != "customer-6" || added[1].PortalURL != s.PortalURL("customer-6") {
		t.Errorf("admin batch = %+v", added)
	}
}

// BenchmarkAddTenants500 measures seeding 500 tenants that consent to one managing tenant's app, as
// the many-tenants benchmark of the provider does. Each iteration starts from an empty server, so
// every one measures the same work; starting the server is not timed.
func BenchmarkAddTenants500(b *testing.B) {
	const mssp = "00000000-0000-4000-8000-000000000001"
	specs := []TenantSpec{{Name: "mssp", Apps: []AppSpec{{ClientID: mssp, ClientSecret: "s", MultiTenant: true}}}}
	for n := range 500 {
		specs = append(specs, TenantSpec{Name: fmt.Sprintf("c-%d", n), ConsentedApps: []ConsentSpec{{ClientID: mssp}}})
	}
	for b.Loop() {
		b.StopTimer()
		s, err := Start(Options{World: &World{}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.AddTenants(specs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

func TestWorkspaceCustomerIDsAreUnique(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")
	for _, bad := range [][]TenantSpec{
		// The customer id of a workspace of another tenant.
		{{Name: "taken", Workspaces: []WorkspaceSpec{{Name: "law-a", CustomerID: strings.ToUpper(contoso.WorkspaceCustomerID)}}}},
		// Twice in one tenant.
		{{Name: "twice", Workspaces: []WorkspaceSpec{
			{Name: "law-a", CustomerID: "6f1c1d4e-5b8a-4c39-9d2e-0a7b3c4d5e6f"},
			{Name: "law-b", CustomerID: "6f1c1d4e-5b8a-4c39-9d2e-0a7b3c4d5e6f"},
		}}},
		// Twice in one call.
		{
			{Name: "first", Workspaces: []WorkspaceSpec{{Name: "law-a", CustomerID: "7a2d3e4f-6c9b-4d40-8e3f-1b8c4d5e6f70"}}},
			{Name: "second", Workspaces: []WorkspaceSpec{{Name: "law-a", CustomerID: "7a2d3e4f-6c9b-4d40-8e3f-1b8c4d5e6f70"}}},
		},
	} {
		_, err := s.AddTenants(bad)
		if err == nil || !strings.Contains(err.Error(), "customer id") {
			t.Errorf("AddTenants(%+v) error = %v; want one about the customer id already used", bad, err)
		}
	}

	// The index finds every workspace by its customer id, in any case, and nothing else.
	s.mu.Lock()
	defer s.mu.Unlock()
	checked := 0
	for _, ten := range s.tenants {
		for _, ws := range ten.workspaces {
			checked++
			if gotT, gotWS := s.workspaceByCustomerID(strings.ToUpper(ws.customerID)); gotT != ten || gotWS != ws {
				t.Errorf("workspaceByCustomerID(%s) = %v, %v; want workspace %q of tenant %q", ws.customerID, gotT, gotWS, ws.name, ten.name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the default world has no workspace to look up")
	}
	if gotT, gotWS := s.workspaceByCustomerID("00000000-0000-4000-8000-000000000000"); gotT != nil || gotWS != nil {
		t.Errorf("workspaceByCustomerID(unknown) = %v, %v; want nothing", gotT, gotWS)
	}
}
