package fakeapi

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tenantTokens returns access tokens of one tenant for a resource, one per kind of principal: its app
// registration, its user-assigned managed identity and its administrator in the Azure CLI.
func tenantTokens(t *testing.T, s *Server, tenant, resource string) map[string]string {
	t.Helper()
	info := mustTenant(t, s, tenant)
	q := url.Values{"api-version": {"2019-08-01"}, "resource": {resource}, "client_id": {info.ManagedIdentityClientID}}
	mi, _ := identityRequest(t, s, tenant, s.IdentityHeader(), q).expectStatus(t, http.StatusOK).object(t)["access_token"].(string)
	cli, _, err := s.MintAccessToken(tenant, resource, 0)
	if err != nil {
		t.Fatalf("MintAccessToken: %v", err)
	}
	return map[string]string{"app": accessToken(t, s, tenant, resource), "managed identity": mi, "Azure CLI": cli}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	names := s.TenantNames()
	for _, owner := range names {
		armTokens := tenantTokens(t, s, owner, ResourceManagerAudience)
		cloudAppsTokens := tenantTokens(t, s, owner, CloudAppsAudience)
		for _, target := range names {
			info := mustTenant(t, s, target)
			for kind := range armTokens {
				t.Run(owner+" "+kind+" token at "+target, func(t *testing.T) {
					arm := do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(armTokens[kind]), nil)
					ca := do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(cloudAppsTokens[kind]), nil)
					if owner == target {
						arm.expectStatus(t, http.StatusOK)
						ca.expectStatus(t, http.StatusOK)
						return
					}
					arm.expectStatus(t, http.StatusUnauthorized)
					if code := arm.armCode(t); code != "InvalidAuthenticationTokenTenant" {
						t.Errorf("Resource Manager code = %q, want InvalidAuthenticationTokenTenant", code)
					}
					ca.expectStatus(t, http.StatusUnauthorized)
					if d := ca.detail(t); !strings.Contains(d, "issued for tenant") {
						t.Errorf("Cloud Apps detail = %q, want it to say the token is of another tenant", d)
					}
				})
			}
			t.Run(owner+" API token at "+target, func(t *testing.T) {
				want := http.StatusUnauthorized
				if owner == target {
					want = http.StatusOK
				}
				do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(mustTenant(t, s, owner).APIToken), nil).expectStatus(t, want)
			})
		}
	}
}

func TestRequestsRecordTheCredentialOwner(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	other := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	expired, _, err := s.MintAccessToken("northwind", ResourceManagerAudience, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cli, _, err := s.MintAccessToken("fabrikam", CloudAppsAudience, 0)
	if err != nil {
		t.Fatal(err)
	}
	workspace := contoso.WorkspaceID + "?api-version=2022-10-01"
	streams := contoso.PortalURL + "/api/discovery/streams/"
	tests := []struct {
		name, url, authorization string
		wantTenant, wantAppID    string
	}{
		{"app token", workspace, bearer(accessToken(t, s, "contoso", ResourceManagerAudience)), "contoso", contoso.ClientID},
		{"another tenant's token", workspace, bearer(accessToken(t, s, "fabrikam", ResourceManagerAudience)), "fabrikam", fabrikam.ClientID},
		{"expired token", workspace, bearer(expired), "northwind", AzureCLIAppID},
		{"Azure CLI token at Cloud Apps", streams, bearer(cli), "fabrikam", AzureCLIAppID},
		{"legacy API token", streams, legacy(fabrikam.APIToken), "fabrikam", ""},
		{"token of another server", workspace, bearer(accessToken(t, other, "contoso", ResourceManagerAudience)), "", ""},
		{"GitHub request token", s.GitHubRequestURL("contoso"), bearer(s.GitHubRequestToken()), "", ""},
		{"no Authorization header", workspace, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Requests())
			do(t, s, http.MethodGet, tc.url, tc.authorization, nil)
			reqs := s.Requests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests recorded, want %d", len(reqs), before+1)
			}
			got := reqs[len(reqs)-1]
			if got.TokenTenant != tc.wantTenant || got.TokenAppID != tc.wantAppID {
				t.Errorf("recorded token tenant %q and app id %q, want %q and %q", got.TokenTenant, got.TokenAppID, tc.wantTenant, tc.wantAppID)
			}
		})
	}
}

func TestMintAccessToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{TokenLifetime: 20 * time.Minute})
	info := mustTenant(t, s, "northwind")
	before := time.Now()
	token, expires, err := s.MintAccessToken("northwind", CloudAppsAudience, 0)
	if err != nil {
		t.Fatal(err)
	}
	claims := unverifiedClaims(t, token)
	exp, _ := claims["exp"].(float64)
	if claims["aud"] != CloudAppsAudience || claims["tid"] != info.TenantID || claims["appid"] != AzureCLIAppID ||
		claims["upn"] != "admin@northwind.onmicrosoft.com" || claims["idtyp"] != "user" || int64(exp) != expires.Unix() ||
		expires.Before(before.Add(19*time.Minute)) {
		t.Errorf("claims = %v, expiry %s; want a user token of the Azure CLI for Cloud Apps, valid for TokenLifetime", claims, expires)
	}
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(token), nil).expectStatus(t, http.StatusOK)

	if _, _, err := s.MintAccessToken("nobody", CloudAppsAudience, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown tenant: error %v, want ErrNotFound", err)
	}
	if _, _, err := s.MintAccessToken("northwind", "https://vault.azure.net", 0); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("unknown resource: error %v, want one saying it is unknown", err)
	}

	var minted struct {
		AccessToken string `json:"access_token"`
		ExpiresOn   int64  `json:"expires_on"`
	}
	do(t, s, http.MethodPost, "/admin/entra/token", "", map[string]any{"tenant": "northwind", "resource": ResourceManagerAudience, "ttl_seconds": 90}).
		expectStatus(t, http.StatusOK).decode(t, &minted)
	claims = unverifiedClaims(t, minted.AccessToken)
	exp, _ = claims["exp"].(float64)
	if claims["aud"] != ResourceManagerAudience || int64(exp) != minted.ExpiresOn || time.Until(time.Unix(minted.ExpiresOn, 0)) > 91*time.Second {
		t.Errorf("admin token claims = %v, expires_on %d", claims, minted.ExpiresOn)
	}
	do(t, s, http.MethodPost, "/admin/entra/token", "", map[string]any{"tenant": "nobody", "resource": ResourceManagerAudience}).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPost, "/admin/entra/token", "", map[string]any{"tenant": "northwind", "resource": "x"}).expectStatus(t, http.StatusBadRequest)
}

// TestAccessTokenLeeway shows that a token that expired a moment ago (while its request was in flight)
// is still accepted, and one that expired well before is not.
func TestAccessTokenLeeway(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	for _, tc := range []struct {
		name    string
		expired time.Duration
		status  int
	}{
		{"just expired", 2 * time.Second, http.StatusOK},
		{"long expired", 15 * time.Second, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arm, _, err := s.MintAccessToken("contoso", ResourceManagerAudience, -tc.expired)
			if err != nil {
				t.Fatal(err)
			}
			ca, _, err := s.MintAccessToken("contoso", CloudAppsAudience, -tc.expired)
			if err != nil {
				t.Fatal(err)
			}
			do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(arm), nil).expectStatus(t, tc.status)
			do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(ca), nil).expectStatus(t, tc.status)
		})
	}
}

func TestFederatedTokenLifetime(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{FederatedTokenLifetime: 45 * time.Second})
	lifetime := func(token string) float64 {
		claims := unverifiedClaims(t, token)
		exp, _ := claims["exp"].(float64)
		iat, _ := claims["iat"].(float64)
		return exp - iat
	}
	minted, err := s.MintFederatedToken("contoso", 0)
	if err != nil {
		t.Fatal(err)
	}
	body := do(t, s, http.MethodGet, s.GitHubRequestURL("contoso"), bearer(s.GitHubRequestToken()), nil).expectStatus(t, http.StatusOK).object(t)
	requested, _ := body["value"].(string)
	if lifetime(minted) != 45 || lifetime(requested) != 45 {
		t.Errorf("lifetimes %v and %v, want 45 seconds", lifetime(minted), lifetime(requested))
	}
	if _, err := Start(Options{FederatedTokenLifetime: -time.Second}); err == nil || !strings.Contains(err.Error(), "FederatedTokenLifetime") {
		t.Errorf("negative FederatedTokenLifetime: %v", err)
	}
}

func TestDefaultWorldPipelineIdentities(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	other := startServer(t, Options{})
	// The world's state holds no certificates, so comparing it does not generate any.
	state, again := s.adminState(), other.adminState()
	for i, tj := range state.Tenants {
		oj := again.Tenants[i]
		if len(tj.ManagedIdentities) != 2 || !tj.ManagedIdentities[0].SystemAssigned || tj.ManagedIdentities[1].Name != "id-mcas-terraform" ||
			!reflect.DeepEqual(tj.ManagedIdentities, oj.ManagedIdentities) {
			t.Errorf("tenant %s: managed identities %+v, on another server %+v; want the same system-assigned and user-assigned identity", tj.Name, tj.ManagedIdentities, oj.ManagedIdentities)
		}
		want := "/subscriptions/" + tj.SubscriptionID + "/resourceGroups/rg-security/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mcas-terraform"
		if len(tj.ManagedIdentities) == 2 && tj.ManagedIdentities[1].ResourceID != want {
			t.Errorf("tenant %s: user-assigned identity %q, want %q", tj.Name, tj.ManagedIdentities[1].ResourceID, want)
		}
		fcs := tj.Apps[0].FederatedCredentials
		if tj.ManagedIdentityEndpoint != s.ManagedIdentityEndpoint(tj.Name) || len(fcs) != 2 || fcs[1].ServiceConnectionID == "" ||
			fcs[1].Subject != DefaultServiceConnectionSubjectPrefix+tj.Name || fcs[1].ServiceConnectionID != oj.Apps[0].FederatedCredentials[1].ServiceConnectionID {
			t.Errorf("tenant %s: endpoint %q, federated credentials %+v", tj.Name, tj.ManagedIdentityEndpoint, fcs)
		}
	}
	if state.AzureDevOpsOIDCRequestURI != s.AzureDevOpsOIDCRequestURI() || state.FederatedTokenLifetimeSeconds != 600 {
		t.Errorf("state = %+v", state)
	}
	// TenantInfo names them, and the admin interface hands out the same facts.
	info := mustTenant(t, s, "contoso")
	if info.ServiceConnectionID != "2e9d7e3d-1776-4387-98b7-b38e8915d3eb" || info.SystemAssignedIdentityClientID != "d8647287-56d1-446d-8da4-f9f12a16811b" ||
		info.ManagedIdentityClientID != "30891e35-791f-46d7-be36-40fe868f5d38" || !strings.HasSuffix(info.ManagedIdentityResourceID, "/id-mcas-terraform") {
		t.Errorf("contoso = %+v; want the identifiers of the README", info)
	}
	var fromAdmin TenantInfo
	do(t, s, http.MethodGet, "/admin/tenants/contoso", "", nil).expectStatus(t, http.StatusOK).decode(t, &fromAdmin)
	if !reflect.DeepEqual(fromAdmin, info) {
		t.Errorf("admin tenant info = %+v, want %+v", fromAdmin, info)
	}
}
