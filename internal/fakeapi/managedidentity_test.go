package fakeapi

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// identityRequest sends a managed identity token request to the tenant's App Service host.
func identityRequest(t *testing.T, s *Server, tenant, header string, query url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ManagedIdentityEndpoint(tenant)+"?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if header != "" {
		req.Header.Set("X-IDENTITY-HEADER", header)
	}
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("managed identity request: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the managed identity answer: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func TestManagedIdentityEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{TokenLifetime: 10 * time.Minute})
	info := mustTenant(t, s, "contoso")
	query := func(kv ...string) url.Values {
		q := url.Values{"api-version": {"2019-08-01"}, "resource": {ResourceManagerAudience}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				q.Del(kv[i])
			} else {
				q.Set(kv[i], kv[i+1])
			}
		}
		return q
	}
	header := s.IdentityHeader()
	refusals := []struct {
		name, tenant, header string
		query                url.Values
		status               int
		messagePart          string
	}{
		{"no identity header", "contoso", "", query(), 401, "X-IDENTITY-HEADER"},
		{"wrong identity header", "contoso", "not-the-header", query(), 401, "X-IDENTITY-HEADER"},
		{"no api-version", "contoso", header, query("api-version", ""), 400, "api-version"},
		{"IMDS api-version", "contoso", header, query("api-version", "2018-02-01"), 400, "2019-08-01"},
		{"no resource", "contoso", header, query("resource", ""), 400, "resource"},
		{"unknown resource", "contoso", header, query("resource", "https://vault.azure.net"), 400, "AADSTS500011"},
		{"scope instead of resource", "contoso", header, query("resource", CloudAppsAudience+"/.default"), 400, "AADSTS500011"},
		{"client id of an app registration", "contoso", header, query("client_id", info.ClientID), 400, "No managed identity found"},
		{"client id of another tenant's identity", "contoso", header, query("client_id", mustTenant(t, s, "fabrikam").ManagedIdentityClientID), 400, "No managed identity found"},
		{"two selectors", "contoso", header, query("client_id", info.ManagedIdentityClientID, "mi_res_id", info.ManagedIdentityResourceID), 400, "Only one"},
		{"unknown tenant", "nobody", header, query(), 404, "nobody"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			res := identityRequest(t, s, tc.tenant, tc.header, tc.query).expectStatus(t, tc.status)
			body := res.object(t)
			msg, _ := body["message"].(string)
			if !strings.Contains(msg, tc.messagePart) || body["statusCode"] != float64(tc.status) {
				t.Errorf("body = %s, want statusCode %d and a message mentioning %q", res.body, tc.status, tc.messagePart)
			}
			if strings.Contains(string(res.body), header) {
				t.Errorf("the answer echoes the identity header: %s", res.body)
			}
		})
	}

	selections := []struct {
		name         string
		query        url.Values
		wantClientID string
		wantMIRID    string
	}{
		{"system-assigned", query(), info.SystemAssignedIdentityClientID, "/providers/Microsoft.Web/sites/app-mcas-terraform"},
		{"user-assigned by client id", query("client_id", strings.ToUpper(info.ManagedIdentityClientID)), info.ManagedIdentityClientID, "/userAssignedIdentities/id-mcas-terraform"},
		{"user-assigned by resource id", query("mi_res_id", info.ManagedIdentityResourceID), info.ManagedIdentityClientID, "/userAssignedIdentities/id-mcas-terraform"},
		{"Cloud Apps", query("resource", CloudAppsAudience), info.SystemAssignedIdentityClientID, "/sites/app-mcas-terraform"},
	}
	for _, tc := range selections {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			body := identityRequest(t, s, "contoso", header, tc.query).expectStatus(t, http.StatusOK).object(t)
			token, _ := body["access_token"].(string)
			claims := unverifiedClaims(t, token)
			mirid, _ := claims["xms_mirid"].(string)
			if body["token_type"] != "Bearer" || body["client_id"] != tc.wantClientID || claims["appid"] != tc.wantClientID ||
				claims["tid"] != info.TenantID || !strings.HasSuffix(mirid, tc.wantMIRID) {
				t.Errorf("answer %v with claims %v; want a bearer token of %s", body, claims, tc.wantClientID)
			}
			// App Service answers expires_on as a string of Unix seconds, equal to the token's exp.
			raw, _ := body["expires_on"].(string)
			expiresOn, err := strconv.ParseInt(raw, 10, 64)
			if exp, _ := claims["exp"].(float64); err != nil || expiresOn != int64(exp) || time.Unix(expiresOn, 0).Before(before.Add(9*time.Minute)) {
				t.Errorf("expires_on = %v, exp = %v; want equal Unix seconds about 10 minutes ahead", body["expires_on"], claims["exp"])
			}
		})
	}

	t.Run("tokens open the tenant's services", func(t *testing.T) {
		q := query("client_id", info.ManagedIdentityClientID)
		armToken, _ := identityRequest(t, s, "contoso", header, q).expectStatus(t, http.StatusOK).object(t)["access_token"].(string)
		do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(armToken), nil).expectStatus(t, http.StatusOK)
		q.Set("resource", CloudAppsAudience)
		caToken, _ := identityRequest(t, s, "contoso", header, q).expectStatus(t, http.StatusOK).object(t)["access_token"].(string)
		do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(caToken), nil).expectStatus(t, http.StatusOK)
	})
}

func TestManagedIdentitySpecs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		identities []ManagedIdentitySpec
		wantErr    string
	}{
		{"two system-assigned", []ManagedIdentitySpec{{SystemAssigned: true}, {SystemAssigned: true}}, "at most one"},
		{"bad name", []ManagedIdentitySpec{{Name: "x"}}, "name \"x\" is invalid"},
		{"duplicate name", []ManagedIdentitySpec{{Name: "id-a"}, {Name: "ID-A"}}, "appears twice"},
		{"bad client id", []ManagedIdentitySpec{{ClientID: "nope"}}, "not a GUID"},
		{"client id of the app", []ManagedIdentitySpec{{ClientID: "11111111-1111-1111-1111-111111111111"}}, "already used"},
	}
	s := startServer(t, Options{World: &World{}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AddTenant(TenantSpec{Name: "litware", Apps: []AppSpec{{ClientID: "11111111-1111-1111-1111-111111111111"}}, ManagedIdentities: tc.identities})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("AddTenant error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
	info, err := s.AddTenant(TenantSpec{Name: "tailspin", ManagedIdentities: []ManagedIdentitySpec{{}, {}, {Name: "id-named"}}})
	if err != nil {
		t.Fatal(err)
	}
	if info.SystemAssignedIdentityClientID != "" || !strings.HasSuffix(info.ManagedIdentityResourceID, "/userAssignedIdentities/id-mcas-terraform") {
		t.Errorf("info = %+v; want no system-assigned identity and the first user-assigned one named id-mcas-terraform", info)
	}
	var names []string
	for _, mi := range s.adminState().Tenants[0].ManagedIdentities {
		names = append(names, mi.Name)
	}
	if strings.Join(names, ",") != "id-mcas-terraform,id-mcas-terraform-2,id-named" {
		t.Errorf("names = %v", names)
	}
	res := identityRequest(t, s, "tailspin", s.IdentityHeader(), url.Values{"api-version": {"2019-08-01"}, "resource": {ResourceManagerAudience}})
	if res.expectStatus(t, http.StatusBadRequest); !strings.Contains(string(res.body), "No system-assigned managed identity") {
		t.Errorf("body = %s", res.body)
	}
	if _, err := s.AddTenant(TenantSpec{Name: "clash", ManagedIdentities: []ManagedIdentitySpec{{ClientID: info.ManagedIdentityClientID}}}); err == nil ||
		!strings.Contains(err.Error(), "already registered") {
		t.Errorf("a managed identity client id used in another tenant: %v", err)
	}
}

// TestManagedIdentityCredential runs azidentity's ManagedIdentityCredential against the App Service
// endpoint. It sets IDENTITY_ENDPOINT and IDENTITY_HEADER, so it cannot run in parallel. MSAL keeps
// managed identity tokens in a process-wide cache but ignores those that expire within five minutes,
// so the short token lifetime keeps this test's tokens out of other tests.
func TestManagedIdentityCredential(t *testing.T) {
	s := startServer(t, Options{TokenLifetime: 4 * time.Minute})
	info := mustTenant(t, s, "fabrikam")
	t.Setenv("IDENTITY_ENDPOINT", s.ManagedIdentityEndpoint("fabrikam"))
	t.Setenv("IDENTITY_HEADER", s.IdentityHeader())
	for _, tc := range []struct {
		name string
		id   azidentity.ManagedIDKind
		want string
	}{
		{"system-assigned", nil, info.SystemAssignedIdentityClientID},
		{"user-assigned client id", azidentity.ClientID(info.ManagedIdentityClientID), info.ManagedIdentityClientID},
		{"user-assigned resource id", azidentity.ResourceID(info.ManagedIdentityResourceID), info.ManagedIdentityClientID},
		{"not a managed identity", azidentity.ClientID(info.ClientID), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: clientOptions(s), ID: tc.id})
			if err != nil {
				t.Fatal(err)
			}
			token, err := getToken(cred, ResourceManagerAudience+".default")
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "No managed identity found") {
					t.Errorf("GetToken error = %v, want the endpoint's refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if appid := unverifiedClaims(t, token)["appid"]; appid != tc.want {
				t.Errorf("appid = %v, want %s", appid, tc.want)
			}
			do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(token), nil).expectStatus(t, http.StatusOK)
		})
	}
}
