package fakeapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestAzureDevOpsOIDCEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{FederatedTokenLifetime: 3 * time.Minute})
	info := mustTenant(t, s, "northwind")
	uri := s.AzureDevOpsOIDCRequestURI()
	system := s.AzureDevOpsSystemAccessToken()
	withQuery := func(q string) string { return uri + "?" + q }
	// post sends a request the way azidentity's AzurePipelinesCredential does.
	post := func(method, target, token string, suppress bool) response {
		t.Helper()
		req, err := http.NewRequest(method, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if suppress {
			req.Header.Set("X-TFS-FedAuthRedirect", "Suppress")
		}
		client := s.HTTPClient()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return response{status: res.StatusCode, header: res.Header, body: body}
	}
	valid := "api-version=7.1&serviceConnectionId=" + info.ServiceConnectionID

	refusals := []struct {
		name, method, target, token string
		suppress                    bool
		status                      int
		messagePart                 string
	}{
		{"GET", http.MethodGet, withQuery(valid), system, true, 405, "POST"},
		{"no token, browser redirect", http.MethodPost, withQuery(valid), "", false, 302, ""},
		{"wrong token", http.MethodPost, withQuery(valid), "wrong", true, 401, "System.AccessToken"},
		{"no api-version", http.MethodPost, withQuery("serviceConnectionId=" + info.ServiceConnectionID), system, true, 400, "api-version"},
		{"old api-version", http.MethodPost, withQuery("api-version=6.0&serviceConnectionId=" + info.ServiceConnectionID), system, true, 400, "7.1"},
		{"no service connection", http.MethodPost, withQuery("api-version=7.1"), system, true, 400, "serviceConnectionId"},
		{"unknown service connection", http.MethodPost, withQuery("api-version=7.1&serviceConnectionId=00000000-0000-0000-0000-000000000000"), system, true, 404, "was not found"},
		{"other path", http.MethodPost, s.URL() + "/devops/org/project/_apis/projects?" + valid, system, true, 404, "oidctoken"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			res := post(tc.method, tc.target, tc.token, tc.suppress)
			if res.status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", res.status, tc.status, res.body)
			}
			if tc.status == http.StatusFound {
				if loc := res.header.Get("Location"); !strings.HasPrefix(loc, s.URL()) {
					t.Errorf("Location = %q, want the sign-in page", loc)
				}
				return
			}
			if msg, _ := res.object(t)["message"].(string); !strings.Contains(msg, tc.messagePart) {
				t.Errorf("message = %q, want it to mention %q", msg, tc.messagePart)
			}
			if strings.Contains(string(res.body), system) {
				t.Errorf("the answer echoes the system access token: %s", res.body)
			}
		})
	}

	t.Run("token of the service connection", func(t *testing.T) {
		s.ResetRequests()
		body := post(http.MethodPost, withQuery(valid), system, true).expectStatus(t, http.StatusOK).object(t)
		token, _ := body["oidcToken"].(string)
		claims := unverifiedClaims(t, token)
		exp, _ := claims["exp"].(float64)
		iat, _ := claims["iat"].(float64)
		if claims["iss"] != s.OIDCIssuer() || claims["sub"] != DefaultServiceConnectionSubjectPrefix+"northwind" ||
			claims["aud"] != FederatedTokenAudience || exp-iat != 180 {
			t.Errorf("claims = %v; want the service connection's subject, valid for FederatedTokenLifetime", claims)
		}
		if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Tenant != "northwind" {
			t.Errorf("requests = %+v; want one, recorded for the service connection's tenant", reqs)
		}
	})
}

// TestAzurePipelinesCredential runs azidentity's AzurePipelinesCredential against the fake's Azure
// DevOps and Microsoft Entra endpoints. It sets SYSTEM_OIDCREQUESTURI, so it cannot run in parallel.
func TestAzurePipelinesCredential(t *testing.T) {
	s := startServer(t, Options{})
	t.Setenv("SYSTEM_OIDCREQUESTURI", s.AzureDevOpsOIDCRequestURI())
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	newCredential := func(t *testing.T, info TenantInfo, connection, systemToken string) *azidentity.AzurePipelinesCredential {
		t.Helper()
		cred, err := azidentity.NewAzurePipelinesCredential(info.TenantID, info.ClientID, connection, systemToken,
			&azidentity.AzurePipelinesCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	tests := []struct {
		name       string
		info       TenantInfo
		connection string
		token      string
		wantErr    string
	}{
		{"own service connection", contoso, contoso.ServiceConnectionID, s.AzureDevOpsSystemAccessToken(), ""},
		{"wrong system access token", contoso, contoso.ServiceConnectionID, "wrong", "401"},
		{"unknown service connection", contoso, "5f6e4c2b-0000-4000-8000-000000000000", s.AzureDevOpsSystemAccessToken(), "was not found"},
		// The token of fabrikam's service connection carries a subject that contoso's app does not trust.
		{"another tenant's service connection", contoso, fabrikam.ServiceConnectionID, s.AzureDevOpsSystemAccessToken(), "AADSTS70021"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, err := getToken(newCredential(t, tc.info, tc.connection, tc.token), ResourceManagerAudience+".default")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("GetToken error = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			do(t, s, http.MethodGet, tc.info.WorkspaceID+"?api-version=2022-10-01", bearer(token), nil).expectStatus(t, http.StatusOK)
		})
	}
}
