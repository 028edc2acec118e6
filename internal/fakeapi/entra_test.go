package fakeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
)

// clientOptions points an Azure SDK client at the server.
func clientOptions(s *Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
		Transport: s.HTTPClient(),
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

// credentialKinds builds each kind of azidentity credential for a tenant of the server.
func credentialKinds(t *testing.T, s *Server, tenantName string) map[string]azcore.TokenCredential {
	t.Helper()
	info := mustTenant(t, s, tenantName)
	secretCred, err := azidentity.NewClientSecretCredential(info.TenantID, info.ClientID, info.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	certs, key, err := azidentity.ParseCertificates(info.ClientCertificatePEM, nil)
	if err != nil {
		t.Fatalf("ParseCertificates: %v", err)
	}
	certCred, err := azidentity.NewClientCertificateCredential(info.TenantID, info.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatalf("NewClientCertificateCredential: %v", err)
	}
	assertionCred, err := azidentity.NewClientAssertionCredential(info.TenantID, info.ClientID,
		func(context.Context) (string, error) { return s.MintFederatedToken(tenantName, 0) },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatalf("NewClientAssertionCredential: %v", err)
	}
	return map[string]azcore.TokenCredential{"secret": secretCred, "certificate": certCred, "federated": assertionCred}
}

// getToken asks a credential for a token of one scope.
func getToken(cred azcore.TokenCredential, scope string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	return tok.Token, err
}

// unverifiedClaims decodes the claims of a JWT without checking it.
func unverifiedClaims(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("the token is not a JWT: %v", err)
	}
	return claims
}

func TestAzidentityCredentialsGetWorkingTokens(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	for kind, cred := range credentialKinds(t, s, "contoso") {
		t.Run(kind, func(t *testing.T) {
			armToken, err := getToken(cred, ResourceManagerAudience+"/.default")
			if err != nil {
				t.Fatalf("token for Resource Manager: %v", err)
			}
			claims := unverifiedClaims(t, armToken)
			if claims["aud"] != ResourceManagerAudience || claims["tid"] != info.TenantID || claims["appid"] != info.ClientID {
				t.Errorf("claims = %v; want aud %s, tid %s, appid %s", claims, ResourceManagerAudience, info.TenantID, info.ClientID)
			}
			do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(armToken), nil).expectStatus(t, http.StatusOK)

			mcasToken, err := getToken(cred, CloudAppsAudience+"/.default")
			if err != nil {
				t.Fatalf("token for Cloud Apps: %v", err)
			}
			do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(mcasToken), nil).expectStatus(t, http.StatusOK)
			// A Cloud Apps token does not open Resource Manager.
			res := do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(mcasToken), nil).expectStatus(t, http.StatusUnauthorized)
			if code := res.armCode(t); code != "InvalidAuthenticationToken" {
				t.Errorf("code = %q, want InvalidAuthenticationToken", code)
			}
		})
	}
}

func TestAzurePipelineAgainstResourceManager(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{ConnectorPageSize: 2})
	info := mustTenant(t, s, "fabrikam")
	cred := credentialKinds(t, s, "fabrikam")["secret"]
	opts := &arm.ClientOptions{ClientOptions: clientOptions(s)}
	opts.Cloud.Services = map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: s.ResourceManagerEndpoint(), Audience: ResourceManagerAudience},
	}
	pl, err := armruntime.NewPipeline("fakeapi-test", "v0.0.0", cred, runtime.PipelineOptions{}, opts)
	if err != nil {
		t.Fatalf("NewPipeline: %v", err)
	}
	pager := runtime.NewPager(runtime.PagingHandler[map[string]any]{
		More: func(page map[string]any) bool { next, _ := page["nextLink"].(string); return next != "" },
		Fetcher: func(ctx context.Context, page *map[string]any) (map[string]any, error) {
			target := s.URL() + info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01"
			if page != nil {
				target = (*page)["nextLink"].(string)
			}
			req, err := runtime.NewRequest(ctx, http.MethodGet, target)
			if err != nil {
				return nil, err
			}
			res, err := pl.Do(req)
			if err != nil {
				return nil, err
			}
			if !runtime.HasStatusCode(res, http.StatusOK) {
				return nil, runtime.NewResponseError(res)
			}
			var out map[string]any
			return out, runtime.UnmarshalAsJSON(res, &out)
		},
	})
	var names []string
	pages := 0
	for pager.More() {
		pages++
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("NextPage: %v", err)
		}
		for _, v := range page["value"].([]any) {
			names = append(names, v.(map[string]any)["name"].(string))
		}
	}
	if len(names) != 3 || pages != 2 {
		t.Errorf("listed %v in %d pages, want the 3 connectors of the default world in 2 pages", names, pages)
	}
}

func TestAzidentityRefusals(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	stranger, err := generateClientCertificate("not registered")
	if err != nil {
		t.Fatal(err)
	}
	strangerPEM, err := stranger.pem()
	if err != nil {
		t.Fatal(err)
	}
	certs, key, err := azidentity.ParseCertificates(strangerPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := s.MintFederatedToken("contoso", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wrongSubject, err := s.MintOIDCToken("repo:someone/else:ref:refs/heads/main", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	wrongAudience, err := s.MintOIDCToken(DefaultFederatedSubject, "api://SomethingElse", 0)
	if err != nil {
		t.Fatal(err)
	}
	assertion := func(token string) azcore.TokenCredential {
		c, err := azidentity.NewClientAssertionCredential(info.TenantID, info.ClientID,
			func(context.Context) (string, error) { return token, nil },
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wrongSecret, err := azidentity.NewClientSecretCredential(info.TenantID, info.ClientID, "not-the-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	unregistered, err := azidentity.NewClientCertificateCredential(info.TenantID, info.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	unknownClient, err := azidentity.NewClientSecretCredential(info.TenantID, "00000000-0000-0000-0000-000000000001", info.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cred azcore.TokenCredential
		want string
	}{
		{"wrong secret", wrongSecret, "AADSTS7000215"},
		{"unregistered certificate", unregistered, "AADSTS700027"},
		{"expired federated token", assertion(expired), "AADSTS700024"},
		{"federated subject mismatch", assertion(wrongSubject), "AADSTS70021"},
		{"federated audience mismatch", assertion(wrongAudience), "AADSTS70021"},
		{"unknown client", unknownClient, "AADSTS700016"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := getToken(tc.cred, ResourceManagerAudience+"/.default")
			if err == nil {
				t.Fatalf("GetToken succeeded, want an error with %s", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v; want it to contain %s", err, tc.want)
			}
		})
	}
}

func TestCredentialByDomainName(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "northwind")
	cred, err := azidentity.NewClientSecretCredential(info.Domain, info.ClientID, info.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	token, err := getToken(cred, CloudAppsAudience+"/.default")
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if tid := unverifiedClaims(t, token)["tid"]; tid != info.TenantID {
		t.Errorf("tid = %v, want %s", tid, info.TenantID)
	}
}

// tokenRequest posts a client credentials request to a tenant's token endpoint.
func tokenRequest(t *testing.T, s *Server, tenantSegment string, form url.Values) response {
	t.Helper()
	res, err := s.HTTPClient().PostForm(s.URL()+"/"+tenantSegment+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatalf("posting to the token endpoint: %v", err)
	}
	defer res.Body.Close()
	var body json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("decoding the token response: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func TestTokenEndpointRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{TokenLifetime: 5 * time.Minute})
	info := mustTenant(t, s, "contoso")
	form := func(edit func(url.Values)) url.Values {
		v := url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {info.ClientID},
			"client_secret": {info.ClientSecret},
			"scope":         {"https://management.core.windows.net//.default openid offline_access profile"},
		}
		if edit != nil {
			edit(v)
		}
		return v
	}
	tests := []struct {
		name        string
		tenant      string
		form        url.Values
		status      int
		errorCode   string
		aadsts      float64
		wantAud     string
		mustNotEcho string
	}{
		{name: "secret, ARM scope with double slash", tenant: info.TenantID, form: form(nil), status: 200, wantAud: "https://management.core.windows.net/"},
		{name: "ARM scope with single slash", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("scope", "https://management.core.windows.net/.default") }),
			status: 200, wantAud: "https://management.core.windows.net"},
		{name: "Cloud Apps scope", tenant: info.Domain, form: form(func(v url.Values) { v.Set("scope", CloudAppsAudience+"/.default") }), status: 200, wantAud: CloudAppsAudience},
		{name: "Log Analytics scope", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("scope", "https://api.loganalytics.io/.default") }), status: 200, wantAud: "https://api.loganalytics.io"},
		{name: "unknown tenant", tenant: "11111111-2222-3333-4444-555555555555", form: form(nil), status: 400, errorCode: "invalid_request", aadsts: 90002},
		{name: "unknown client", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("client_id", "99999999-0000-0000-0000-000000000000") }),
			status: 400, errorCode: "unauthorized_client", aadsts: 700016},
		{name: "client of another tenant", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("client_id", mustTenant(t, s, "fabrikam").ClientID) }),
			status: 400, errorCode: "unauthorized_client", aadsts: 700016},
		{name: "unknown resource", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("scope", "https://graph.microsoft.com/.default") }),
			status: 400, errorCode: "invalid_resource", aadsts: 500011},
		{name: "two resource scopes", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("scope", CloudAppsAudience+"/.default https://api.loganalytics.io/.default") }),
			status: 400, errorCode: "invalid_scope", aadsts: 70011},
		{name: "scope without .default", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("scope", CloudAppsAudience+"/Discovery.read") }),
			status: 400, errorCode: "invalid_scope", aadsts: 1002012},
		{name: "wrong secret", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("client_secret", "Wrong8Q~secretvalue-that-must-not-be-echoed") }),
			status: 401, errorCode: "invalid_client", aadsts: 7000215, mustNotEcho: "Wrong8Q~secretvalue-that-must-not-be-echoed"},
		{name: "no credential", tenant: info.TenantID, form: form(func(v url.Values) { v.Del("client_secret") }), status: 401, errorCode: "invalid_client", aadsts: 7000218},
		{name: "unsupported grant", tenant: info.TenantID, form: form(func(v url.Values) { v.Set("grant_type", "password") }), status: 400, errorCode: "unsupported_grant_type", aadsts: 70003},
		{name: "garbage assertion", tenant: info.TenantID, form: form(func(v url.Values) {
			v.Del("client_secret")
			v.Set("client_assertion_type", clientAssertionType)
			v.Set("client_assertion", "not-a-jwt-but-secret-looking")
		}), status: 400, errorCode: "invalid_request", aadsts: 50027, mustNotEcho: "not-a-jwt-but-secret-looking"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tokenRequest(t, s, tc.tenant, tc.form).expectStatus(t, tc.status)
			body := res.object(t)
			if tc.mustNotEcho != "" && strings.Contains(string(res.body), tc.mustNotEcho) {
				t.Errorf("the error echoes the credential: %s", res.body)
			}
			if tc.status != http.StatusOK {
				codes, _ := body["error_codes"].([]any)
				if body["error"] != tc.errorCode || len(codes) != 1 || codes[0] != tc.aadsts {
					t.Errorf("error = %v, error_codes = %v; want %s, [%v]", body["error"], body["error_codes"], tc.errorCode, tc.aadsts)
				}
				for _, field := range []string{"error_description", "timestamp", "trace_id", "correlation_id"} {
					if v, _ := body[field].(string); v == "" {
						t.Errorf("the error body has no %s: %s", field, res.body)
					}
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(300) || body["ext_expires_in"] != float64(300) {
				t.Errorf("token response = %s; want Bearer with expires_in 300", res.body)
			}
			claims := unverifiedClaims(t, body["access_token"].(string))
			if claims["aud"] != tc.wantAud || claims["tid"] != info.TenantID || claims["appid"] != info.ClientID ||
				claims["iss"] != s.URL()+"/"+info.TenantID+"/v2.0" || claims["oid"] == "" {
				t.Errorf("claims = %v; want aud %s, tid %s, appid %s", claims, tc.wantAud, info.TenantID, info.ClientID)
			}
			iat, _ := claims["iat"].(float64)
			exp, _ := claims["exp"].(float64)
			if exp-iat != 300 {
				t.Errorf("exp - iat = %v, want 300 (Options.TokenLifetime)", exp-iat)
			}
		})
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "fabrikam")
	for _, segment := range []string{info.TenantID, info.Domain} {
		body := do(t, s, http.MethodGet, "/"+segment+"/v2.0/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusOK).object(t)
		base := s.URL() + "/" + info.TenantID
		if body["issuer"] != base+"/v2.0" || body["token_endpoint"] != base+"/oauth2/v2.0/token" ||
			body["authorization_endpoint"] != base+"/oauth2/v2.0/authorize" || body["jwks_uri"] != base+"/discovery/v2.0/keys" {
			t.Errorf("metadata for %s = %v", segment, body)
		}
	}
	res := do(t, s, http.MethodGet, "/unknown.onmicrosoft.com/v2.0/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusBadRequest)
	if res.object(t)["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant metadata: %s", res.body)
	}
	keys := do(t, s, http.MethodGet, "/"+info.TenantID+"/discovery/v2.0/keys", "", nil).expectStatus(t, http.StatusOK).object(t)
	if list, _ := keys["keys"].([]any); len(list) != 1 {
		t.Errorf("keys = %v, want one key", keys)
	}
}

func TestFederatedTokens(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	token, err := s.MintFederatedToken("contoso", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	claims := unverifiedClaims(t, token)
	if claims["iss"] != s.OIDCIssuer() || claims["sub"] != DefaultFederatedSubject || claims["aud"] != FederatedTokenAudience {
		t.Errorf("claims = %v", claims)
	}
	if _, err := s.MintFederatedToken("nobody", time.Minute); err == nil {
		t.Error("MintFederatedToken of an unknown tenant succeeded")
	}
	jwks := do(t, s, http.MethodGet, "/oidc/.well-known/jwks", "", nil).expectStatus(t, http.StatusOK).object(t)
	if list, _ := jwks["keys"].([]any); len(list) != 1 {
		t.Errorf("jwks = %v", jwks)
	}
	meta := do(t, s, http.MethodGet, "/oidc/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusOK).object(t)
	if meta["issuer"] != s.OIDCIssuer() {
		t.Errorf("issuer = %v", meta["issuer"])
	}
}

func TestGitHubRequestEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "northwind")
	requestURL := s.GitHubRequestURL("northwind") + "&audience=" + url.QueryEscape(FederatedTokenAudience)

	do(t, s, http.MethodGet, requestURL, "", nil).expectStatus(t, http.StatusUnauthorized)
	do(t, s, http.MethodGet, requestURL, bearer("wrong"), nil).expectStatus(t, http.StatusUnauthorized)
	do(t, s, http.MethodGet, s.URL()+"/oidc/github/token?tenant=nobody", bearer(s.GitHubRequestToken()), nil).expectStatus(t, http.StatusBadRequest)

	body := do(t, s, http.MethodGet, requestURL, bearer(s.GitHubRequestToken()), nil).expectStatus(t, http.StatusOK).object(t)
	value, _ := body["value"].(string)
	claims := unverifiedClaims(t, value)
	if claims["sub"] != DefaultFederatedSubject || claims["aud"] != FederatedTokenAudience {
		t.Errorf("claims = %v", claims)
	}
	cred, err := azidentity.NewClientAssertionCredential(info.TenantID, info.ClientID,
		func(context.Context) (string, error) { return value, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getToken(cred, ResourceManagerAudience+"/.default"); err != nil {
		t.Errorf("exchanging the GitHub token: %v", err)
	}

	other := do(t, s, http.MethodGet, s.GitHubRequestURL("northwind")+"&audience=api://other", bearer(s.GitHubRequestToken()), nil).expectStatus(t, http.StatusOK).object(t)
	if aud := unverifiedClaims(t, other["value"].(string))["aud"]; aud != "api://other" {
		t.Errorf("aud = %v, want the requested audience", aud)
	}
}

func TestFederatedTokenSignedByAnotherKeyIsRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	other := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	// A token with the right claims but signed by another server's OIDC key.
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": s.OIDCIssuer(), "sub": DefaultFederatedSubject, "aud": FederatedTokenAudience,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
	})
	signed, err := forged.SignedString(other.oidcKey.key)
	if err != nil {
		t.Fatal(err)
	}
	res := tokenRequest(t, s, info.TenantID, url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {info.ClientID},
		"scope":                 {CloudAppsAudience + "/.default"},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {signed},
	}).expectStatus(t, http.StatusBadRequest)
	if codes := res.object(t)["error_codes"].([]any); codes[0] != float64(50027) {
		t.Errorf("error_codes = %v, want [50027]", codes)
	}
}

func TestCertificateAssertionRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	certs, key, err := azidentity.ParseCertificates(info.ClientCertificatePEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := generateClientCertificate("stranger")
	if err != nil {
		t.Fatal(err)
	}
	sha1Sum, sha256Sum := stranger.sha1Thumb, stranger.sha256Hash
	registered := newClientCertificate(certs[0], key)
	endpoint := s.URL() + "/" + info.TenantID + "/oauth2/v2.0/token"
	now := time.Now()
	type assertion struct {
		method jwt.SigningMethod
		header map[string]any
		claims jwt.MapClaims
		key    any
	}
	valid := func(edit func(*assertion)) assertion {
		a := assertion{
			method: jwt.SigningMethodRS256,
			header: map[string]any{"x5t": base64URL(registered.sha1Thumb)},
			claims: jwt.MapClaims{"iss": info.ClientID, "sub": info.ClientID, "aud": endpoint, "jti": "1",
				"nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()},
			key: key,
		}
		if edit != nil {
			edit(&a)
		}
		return a
	}
	tests := []struct {
		name   string
		a      assertion
		status int
		aadsts float64
	}{
		{"RS256 with x5t", valid(nil), 200, 0},
		{"PS256 with x5t#S256", valid(func(a *assertion) {
			a.method = jwt.SigningMethodPS256
			a.header = map[string]any{"x5t#S256": base64URL(registered.sha256Hash)}
		}), 200, 0},
		{"audience of the domain endpoint", valid(func(a *assertion) {
			a.claims["aud"] = s.URL() + "/" + info.Domain + "/oauth2/v2.0/token"
		}), 200, 0},
		{"no thumbprint header", valid(func(a *assertion) { a.header = map[string]any{} }), 401, 700027},
		{"thumbprint of an unregistered certificate", valid(func(a *assertion) {
			a.header = map[string]any{"x5t": base64URL(sha1Sum), "x5t#S256": base64URL(sha256Sum)}
		}), 401, 700027},
		{"signed by another key", valid(func(a *assertion) { a.key = stranger.privateKey }), 401, 700027},
		{"wrong audience", valid(func(a *assertion) { a.claims["aud"] = "https://login.microsoftonline.com/x/oauth2/v2.0/token" }), 401, 700027},
		{"sub is not the client", valid(func(a *assertion) { a.claims["sub"] = "someone" }), 401, 700027},
		{"expired", valid(func(a *assertion) { a.claims["exp"] = now.Add(-time.Minute).Unix() }), 400, 700024},
		{"not yet valid", valid(func(a *assertion) { a.claims["nbf"] = now.Add(time.Hour).Unix() }), 400, 700024},
		{"no exp", valid(func(a *assertion) { delete(a.claims, "exp") }), 400, 700024},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := jwt.NewWithClaims(tc.a.method, tc.a.claims)
			for k, v := range tc.a.header {
				token.Header[k] = v
			}
			signed, err := token.SignedString(tc.a.key)
			if err != nil {
				t.Fatal(err)
			}
			res := tokenRequest(t, s, info.TenantID, url.Values{
				"grant_type":            {"client_credentials"},
				"client_id":             {info.ClientID},
				"scope":                 {CloudAppsAudience + "/.default"},
				"client_assertion_type": {clientAssertionType},
				"client_assertion":      {signed},
			}).expectStatus(t, tc.status)
			if strings.Contains(string(res.body), signed) {
				t.Error("the answer echoes the assertion")
			}
			if tc.status != http.StatusOK {
				if codes, _ := res.object(t)["error_codes"].([]any); len(codes) != 1 || codes[0] != tc.aadsts {
					t.Errorf("error_codes = %v, want [%v]; body %s", codes, tc.aadsts, res.body)
				}
			}
		})
	}
}

// base64URL encodes a thumbprint the way JWT headers carry it.
func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestFederatedCredentialOfAForeignIssuer(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{World: &World{Tenants: []TenantSpec{{
		Name: "adventure",
		Apps: []AppSpec{{FederatedCredentials: []FederatedCredential{{Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:a/b:ref:refs/heads/main"}}}},
	}}}})
	info := mustTenant(t, s, "adventure")
	if _, err := s.MintFederatedToken("adventure", 0); err == nil {
		t.Error("MintFederatedToken succeeded for a tenant without a credential of the server's issuer")
	}
	foreign := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://token.actions.githubusercontent.com", "sub": "repo:a/b:ref:refs/heads/main", "aud": FederatedTokenAudience,
		"exp": time.Now().Add(time.Minute).Unix(),
	})
	signed, err := foreign.SignedString(s.oidcKey.key)
	if err != nil {
		t.Fatal(err)
	}
	res := tokenRequest(t, s, info.TenantID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "scope": {CloudAppsAudience + "/.default"},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {signed},
	}).expectStatus(t, http.StatusBadRequest)
	if codes := res.object(t)["error_codes"].([]any); codes[0] != float64(50166) {
		t.Errorf("error_codes = %v, want [50166]", codes)
	}
	// A token of the server's issuer matches no credential of this app.
	own, err := s.MintOIDCToken("repo:a/b:ref:refs/heads/main", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	res = tokenRequest(t, s, info.TenantID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "scope": {CloudAppsAudience + "/.default"},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {own},
	}).expectStatus(t, http.StatusBadRequest)
	if codes := res.object(t)["error_codes"].([]any); codes[0] != float64(70021) {
		t.Errorf("error_codes = %v, want [70021]", codes)
	}
}

// TestEntraAnswersOfToday plays the answers Entra gives besides the general ones: an expired client
// secret (AADSTS7000222) and, with FederatedErrorsSpecific, a federated token whose issuer (700211) or
// subject (700213) no federated credential has; another audience keeps the general 70021.
func TestEntraAnswersOfToday(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{FederatedErrors: FederatedErrorsSpecific, World: &World{Tenants: []TenantSpec{
		DefaultWorld().Tenants[0],
		{Name: "adventure", Apps: []AppSpec{{FederatedCredentials: []FederatedCredential{{Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:a/b:ref:refs/heads/main"}}}}},
	}}})
	contoso := mustTenant(t, s, "contoso")
	adventure := mustTenant(t, s, "adventure")
	secretRequest := func(secret string) response {
		return tokenRequest(t, s, contoso.TenantID, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {contoso.ClientID}, "scope": {ResourceManagerAudience + ".default"}, "client_secret": {secret},
		})
	}
	federatedRequest := func(info TenantInfo, subject, audience string) response {
		token, err := s.MintOIDCToken(subject, audience, 0)
		if err != nil {
			t.Fatal(err)
		}
		return tokenRequest(t, s, info.TenantID, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "scope": {ResourceManagerAudience + ".default"},
			"client_assertion_type": {clientAssertionType}, "client_assertion": {token},
		})
	}
	if err := s.SetClientSecretExpired("contoso", true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		res    response
		status int
		aadsts float64
		text   string
	}{
		{"expired secret", secretRequest(contoso.ClientSecret), http.StatusUnauthorized, 7000222,
			"The provided client secret keys for app '" + contoso.ClientID + "' are expired"},
		{"wrong secret of an app whose secret expired", secretRequest("Wrong8Q~secret"), http.StatusUnauthorized, 7000215, "Invalid client secret provided"},
		{"unknown subject", federatedRequest(contoso, "repo:mcas-terraform/infrastructure:ref:refs/heads/main", ""), http.StatusUnauthorized, 700213,
			"No matching federated identity record found for presented assertion subject 'repo:mcas-terraform/infrastructure:ref:refs/heads/main'"},
		{"subject in another case", federatedRequest(contoso, strings.ToUpper(DefaultFederatedSubject), ""), http.StatusUnauthorized, 700213, "presented assertion subject"},
		{"unknown issuer", federatedRequest(adventure, "repo:a/b:ref:refs/heads/main", ""), http.StatusUnauthorized, 700211,
			"No matching federated identity record found for presented assertion issuer '" + s.OIDCIssuer() + "'"},
		{"another audience", federatedRequest(contoso, DefaultFederatedSubject, "api://SomethingElse"), http.StatusBadRequest, 70021, "Assertion Audience: 'api://SomethingElse'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.res.expectStatus(t, tc.status).object(t)
			if codes, _ := obj["error_codes"].([]any); len(codes) != 1 || codes[0] != tc.aadsts {
				t.Errorf("error_codes = %v, want [%v]", codes, tc.aadsts)
			}
			if desc, _ := obj["error_description"].(string); !strings.Contains(desc, tc.text) {
				t.Errorf("error_description = %q, want it to contain %q", desc, tc.text)
			}
			if code, _ := obj["error"].(string); code == "" {
				t.Errorf("error = %v, want a non-empty OAuth error code", obj["error"])
			}
		})
	}
	if err := s.SetFederatedErrors(FederatedErrorsGeneric); err != nil {
		t.Fatal(err)
	}
	if codes := federatedRequest(contoso, "repo:other", "").expectStatus(t, http.StatusBadRequest).object(t)["error_codes"].([]any); codes[0] != float64(70021) {
		t.Errorf("with generic federated errors, error_codes = %v, want [70021]", codes)
	}
	if err := s.SetFederatedErrors("verbose"); err == nil {
		t.Error("an unknown federated errors setting was accepted")
	}
	if err := s.SetClientSecretExpired("contoso", false); err != nil {
		t.Fatal(err)
	}
	secretRequest(contoso.ClientSecret).expectStatus(t, http.StatusOK)
	if err := s.SetClientSecretExpired("adventure", true); err == nil {
		t.Error("SetClientSecretExpired succeeded for an app without a secret")
	}
}
