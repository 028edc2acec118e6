package provider

// The tests in this file set process environment variables (t.Setenv), which the in-process provider
// reads, so they cannot run in parallel. Each one uses the real azidentity credential against the fake.

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// setenvStep returns a PreConfig that resets the fake's request log and sets the environment variables
// of vars (name, value pairs; an empty value unsets the variable for the provider).
func setenvStep(t *testing.T, srv *fakeapi.Server, vars ...string) func() {
	return func() {
		srv.ResetRequests()
		for i := 0; i+1 < len(vars); i += 2 {
			t.Setenv(vars[i], vars[i+1])
		}
	}
}

// expectRequests checks that the fake saw at least one request with the method and a path containing
// pattern since its last reset, every one answered 200.
func expectRequests(srv *fakeapi.Server, method, pattern string) resource.TestCheckFunc {
	const want = http.StatusOK
	return func(*terraform.State) error {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == method && strings.Contains(r.Path, pattern) {
				n++
				if r.Status != want {
					return fmt.Errorf("%s %s?%s answered %d, want %d", r.Method, r.Path, r.Query, r.Status, want)
				}
			}
		}
		if n == 0 {
			return fmt.Errorf("no %s request to %s was seen", method, pattern)
		}
		return nil
	}
}

// expectNoRequests checks that the fake saw no request with a path containing pattern since its last reset.
func expectNoRequests(srv *fakeapi.Server, pattern string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, r := range srv.Requests() {
			if strings.Contains(r.Path, pattern) {
				return fmt.Errorf("unexpected request %s %s", r.Method, r.Path)
			}
		}
		return nil
	}
}

// TestAccProviderAuth_federatedTokenEnvironment authenticates with a federated token file named by
// ARM_OIDC_TOKEN_FILE_PATH and by AZURE_FEDERATED_TOKEN_FILE (Kubernetes workload identity), and with
// a token requested from the endpoint that GitHub Actions names in ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func TestAccProviderAuth_federatedTokenEnvironment(t *testing.T) {
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "northwind")
	token, err := srv.MintFederatedToken("northwind", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	clientID := fmt.Sprintf("client_id = %q", info.ClientID)
	step := func(attributes string, vars ...string) resource.TestStep {
		s := authStep(srv, info, attributes, info.ClientID)
		s.PreConfig = setenvStep(t, srv, vars...)
		return s
	}
	fileStep := func(vars ...string) resource.TestStep {
		s := step(clientID, vars...)
		s.Check = resource.ComposeAggregateTestCheckFunc(s.Check, expectNoRequests(srv, "/oidc/github/token"))
		return s
	}
	requestStep := step(clientID+"\nuse_oidc = true",
		"AZURE_FEDERATED_TOKEN_FILE", "",
		"ACTIONS_ID_TOKEN_REQUEST_URL", srv.GitHubRequestURL("northwind"),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN", srv.GitHubRequestToken())
	requestStep.Check = resource.ComposeAggregateTestCheckFunc(requestStep.Check, expectRequests(srv, "GET", "/oidc/github/token"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			fileStep("ARM_OIDC_TOKEN_FILE_PATH", tokenFile),
			fileStep("ARM_OIDC_TOKEN_FILE_PATH", "", "AZURE_FEDERATED_TOKEN_FILE", tokenFile),
			requestStep,
		},
	})
}

// TestAccProviderAuth_azureDevOps authenticates with Azure DevOps workload identity federation: the
// pipeline's OIDC endpoint (SYSTEM_OIDCREQUESTURI) hands out a token of the service connection for the
// pipeline's System.AccessToken (SYSTEM_ACCESSTOKEN).
func TestAccProviderAuth_azureDevOps(t *testing.T) {
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "fabrikam")
	t.Setenv("SYSTEM_OIDCREQUESTURI", srv.AzureDevOpsOIDCRequestURI())
	t.Setenv("SYSTEM_ACCESSTOKEN", srv.AzureDevOpsSystemAccessToken())
	step := authStep(srv, info, fmt.Sprintf("client_id = %q\nado_pipeline_service_connection_id = %q", info.ClientID, info.ServiceConnectionID), info.ClientID)
	step.Check = resource.ComposeAggregateTestCheckFunc(step.Check, expectRequests(srv, "POST", "/oidctoken"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps:                    []resource.TestStep{step},
	})
}

// TestAccProviderAuth_managedIdentity authenticates with the system-assigned and with a user-assigned
// managed identity through the App Service protocol (IDENTITY_ENDPOINT and IDENTITY_HEADER). MSAL keeps
// managed identity tokens in a process-wide cache but ignores those that expire within five minutes, so
// the short token lifetime keeps this test's tokens from leaking into other tests.
func TestAccProviderAuth_managedIdentity(t *testing.T) {
	opts := authFakeOptions
	opts.TokenLifetime = 4 * time.Minute
	srv := startFake(t, opts)
	info := tenantInfo(t, srv, "contoso")
	t.Setenv("IDENTITY_ENDPOINT", srv.ManagedIdentityEndpoint("contoso"))
	t.Setenv("IDENTITY_HEADER", srv.IdentityHeader())
	// expectSelection checks that every managed identity request selected the identity by client_id
	// (or selected none, for the system-assigned identity).
	expectSelection := func(clientID string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			for _, r := range srv.Requests() {
				if !strings.HasPrefix(r.Path, "/msi/") {
					continue
				}
				q, err := url.ParseQuery(r.Query)
				if err != nil || q.Get("client_id") != clientID || q.Get("api-version") != "2019-08-01" {
					return fmt.Errorf("managed identity request ?%s, want api-version 2019-08-01 and client_id %q", r.Query, clientID)
				}
			}
			return nil
		}
	}
	system := authStep(srv, info, "use_msi = true", info.SystemAssignedIdentityClientID)
	system.Check = resource.ComposeAggregateTestCheckFunc(system.Check, expectRequests(srv, "GET", "/msi/contoso/token"),
		expectSelection(""), expectNoRequests(srv, "/oauth2/v2.0/token"))
	user := authStep(srv, info, fmt.Sprintf("use_msi = true\nclient_id = %q", info.ManagedIdentityClientID), info.ManagedIdentityClientID)
	user.Check = resource.ComposeAggregateTestCheckFunc(user.Check, expectRequests(srv, "GET", "/msi/contoso/token"),
		expectSelection(info.ManagedIdentityClientID), expectNoRequests(srv, "/oauth2/v2.0/token"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps:                    []resource.TestStep{system, user},
	})
}

// TestAccProviderAuth_azureCLI authenticates with the Azure CLI: a stand-in `az` on PATH that answers
// `az account get-access-token` with tokens the fake issued to the tenant's administrator.
func TestAccProviderAuth_azureCLI(t *testing.T) {
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "northwind")
	config := installAzureCLI(t, srv, "fabrikam", "northwind")
	step := authStep(srv, info, "use_cli = true", fakeapi.AzureCLIAppID)
	step.Check = resource.ComposeAggregateTestCheckFunc(step.Check, expectNoRequests(srv, "/oauth2/v2.0/token"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps:                    []resource.TestStep{step},
	})
	commands := azureCLICommands(t, config)
	var resourceManager, cloudApps bool
	for _, c := range commands {
		if !strings.HasPrefix(c, "account get-access-token ") || !strings.Contains(c, "--tenant "+info.TenantID) {
			t.Errorf("the Azure CLI was called with %q, want account get-access-token for tenant %s", c, info.TenantID)
		}
		resourceManager = resourceManager || strings.Contains(c, "--resource "+fakeapi.ResourceManagerAudience)
		cloudApps = cloudApps || strings.Contains(c, "--resource "+fakeapi.CloudAppsAudience)
	}
	if !resourceManager || !cloudApps {
		t.Errorf("the Azure CLI was called with %q, want tokens for Resource Manager and Cloud Apps", commands)
	}
}
