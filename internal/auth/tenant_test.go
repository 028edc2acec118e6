package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

const msspClientID = "6f1b0c3e-5d7a-4f36-9a51-0c4e8b2d7a91"

// startMSSP starts a fake whose tenant "mssp" has a multi-tenant app that contoso and fabrikam
// consented to; northwind did not.
func startMSSP(t *testing.T) *fakeapi.Server {
	t.Helper()
	w := fakeapi.DefaultWorld()
	w.Tenants = append(w.Tenants, fakeapi.TenantSpec{
		Name: "mssp",
		Apps: []fakeapi.AppSpec{{ClientID: msspClientID, ClientSecret: "mssp-Secret~1", MultiTenant: true}},
	})
	for i := range w.Tenants {
		if w.Tenants[i].Name == "contoso" || w.Tenants[i].Name == "fabrikam" {
			w.Tenants[i].ConsentedApps = []fakeapi.ConsentSpec{{ClientID: msspClientID}}
		}
	}
	srv, err := fakeapi.Start(fakeapi.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// tenantOf returns the tid claim of an access token.
func tenantOf(t *testing.T, token string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("the token is not a JWT: %v", err)
	}
	tid, _ := claims["tid"].(string)
	return tid
}

func TestForTenantGetsEachTenantsTokensOnce(t *testing.T) {
	srv := startMSSP(t)
	tenant := func(name string) fakeapi.TenantInfo {
		info, ok := srv.Tenant(name)
		if !ok {
			t.Fatalf("tenant %s is unknown", name)
		}
		return info
	}
	mssp, contoso, fabrikam, northwind := tenant("mssp"), tenant("contoso"), tenant("fabrikam"), tenant("northwind")
	cred, err := NewCredential(Settings{
		TenantID: mssp.TenantID, ClientID: msspClientID, ClientSecret: "mssp-Secret~1",
		AdditionalTenants:        []string{strings.ToUpper(contoso.TenantID), fabrikam.TenantID, northwind.TenantID},
		Cloud:                    cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
		DisableInstanceDiscovery: true,
	}, azcore.ClientOptions{Transport: srv.HTTPClient(), Retry: policy.RetryOptions{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	token := func(c azcore.TokenCredential, scope string) string {
		t.Helper()
		tok, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken(%s): %v", scope, err)
		}
		return tok.Token
	}
	const armScope, caScope = fakeapi.ResourceManagerAudience + ".default", fakeapi.CloudAppsAudience + "/.default"

	if own, err := cred.ForTenant(strings.ToUpper(mssp.TenantID)); err != nil || own != cred {
		t.Errorf("ForTenant(own tenant) = %v, %v; want the credential itself", own, err)
	}
	if tid := tenantOf(t, token(cred, armScope)); tid != mssp.TenantID {
		t.Errorf("the provider's own token is of tenant %s, want %s", tid, mssp.TenantID)
	}
	for _, customer := range []fakeapi.TenantInfo{contoso, fabrikam} {
		tc, err := cred.ForTenant(customer.TenantID)
		if err != nil {
			t.Fatalf("ForTenant(%s): %v", customer.Name, err)
		}
		if again, _ := cred.ForTenant(strings.ToUpper(customer.TenantID)); again != tc {
			t.Errorf("ForTenant(%s) returned a new credential the second time", customer.Name)
		}
		for range 3 {
			if tid := tenantOf(t, token(tc, armScope)); tid != customer.TenantID {
				t.Errorf("the Resource Manager token for %s is of tenant %s", customer.Name, tid)
			}
			if tid := tenantOf(t, token(tc, caScope)); tid != customer.TenantID {
				t.Errorf("the Cloud Apps token for %s is of tenant %s", customer.Name, tid)
			}
		}
		// Cached per tenant and audience: one request for each audience, however often asked.
		if n := srv.CountRequests("POST", "^/"+customer.TenantID+`/oauth2/v2\.0/token$`); n != 2 {
			t.Errorf("%d token requests in %s, want 2 (one per audience)", n, customer.Name)
		}
	}
	// The token request options cannot steer a tenant's credential elsewhere.
	contosoCred, _ := cred.ForTenant(contoso.TenantID)
	tok, err := contosoCred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}, TenantID: fabrikam.TenantID})
	if err != nil || tenantOf(t, tok.Token) != contoso.TenantID {
		t.Errorf("contoso's credential asked for fabrikam: %v; want contoso's token", err)
	}

	// Allowed, but the app has no service principal there.
	northwindCred, err := cred.ForTenant(northwind.TenantID)
	if err != nil {
		t.Fatalf("ForTenant(northwind): %v", err)
	}
	_, err = northwindCred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}})
	var chain *ChainError
	if !errors.As(err, &chain) || chain.Tenant != northwind.TenantID {
		t.Fatalf("GetToken in northwind: %v; want a *ChainError of tenant %s", err, northwind.TenantID)
	}
	for _, want := range []string{"for the tenant " + northwind.TenantID, "AADSTS700016", "not consented in the tenant " + northwind.TenantID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "mssp-Secret~1") {
		t.Errorf("the error contains the secret:\n%v", err)
	}

	// Not allowed at all: refused without a request.
	before := len(srv.Requests())
	if _, err := cred.ForTenant(tenant("mssp").SubscriptionID); err == nil || !strings.Contains(err.Error(), "additional_tenant_ids") {
		t.Errorf("ForTenant(a tenant not allowed) = %v; want an error naming additional_tenant_ids", err)
	}
	if after := len(srv.Requests()); after != before {
		t.Errorf("refusing a tenant sent %d requests", after-before)
	}
}

func TestCheckTenant(t *testing.T) {
	const other = "00000000-0000-0000-0000-0000000000aa"
	t.Setenv("IDENTITY_ENDPOINT", "")
	build := func(s Settings) *Credential {
		t.Helper()
		s.Cloud = cloud.AzurePublic
		c, err := NewCredential(s, azcore.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name     string
		settings Settings
		tenant   string
		want     string // regular expression; empty means allowed
		methods  []string
	}{
		{
			name:     "own tenant needs no list",
			settings: Settings{TenantID: testTenant, ClientID: testClient, ClientSecret: "s"},
			tenant:   strings.ToUpper(testTenant),
			methods:  []string{MethodClientSecret},
		},
		{
			name:     "another tenant needs the list",
			settings: Settings{TenantID: testTenant, ClientID: testClient, ClientSecret: "s", AdditionalTenants: []string{"00000000-0000-0000-0000-0000000000bb"}},
			tenant:   other,
			want:     `tenant [-0]+aa is neither the provider's tenant_id \([-0]+1\) nor one of its additional_tenant_ids`,
		},
		{
			name:     "the wildcard allows any tenant",
			settings: Settings{TenantID: testTenant, ClientID: testClient, ClientSecret: "s", UseCLI: true, AdditionalTenants: []string{"*"}},
			tenant:   other,
			methods:  []string{MethodClientSecret},
		},
		{
			name:     "the Azure CLI and a managed identity stay in their tenant",
			settings: Settings{TenantID: testTenant, ClientID: testClient, UseMSI: true, UseCLI: true, AdditionalTenants: []string{"*"}},
			tenant:   other,
			want: `no configured authentication method can get tokens for the tenant [-0]+aa.*` + regexp.QuoteMeta(MethodManagedID) +
				`: a managed identity gets tokens in its own tenant only.*` + regexp.QuoteMeta(MethodAzureCLI) + `: the provider uses the Azure CLI only in the tenant it is logged in to`,
		},
		{
			name:     "without a provider tenant every tenant is the credential's own",
			settings: Settings{UseCLI: true},
			tenant:   other,
			methods:  []string{MethodAzureCLI},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := build(tc.settings)
			err := c.CheckTenant(tc.tenant)
			tenantCred, forErr := c.ForTenant(tc.tenant)
			if tc.want == "" {
				if err != nil || forErr != nil {
					t.Fatalf("CheckTenant = %v, ForTenant = %v; want both allowed", err, forErr)
				}
				if got := tenantCred.(*Credential).Methods(); strings.Join(got, "|") != strings.Join(tc.methods, "|") {
					t.Errorf("the tenant's methods = %q, want %q", got, tc.methods)
				}
				return
			}
			if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("CheckTenant = %v; want %s", err, tc.want)
			}
			if forErr == nil || forErr.Error() != err.Error() {
				t.Errorf("ForTenant = %v; want CheckTenant's error", forErr)
			}
		})
	}
}
