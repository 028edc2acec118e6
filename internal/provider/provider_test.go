package provider

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// otherEnvironment lists the environment variables that the provider and the SDK read besides those
// of the table of settings. TestMain clears both so that a developer's or CI machine's settings cannot
// leak into the tests, which configure everything in HCL.
var otherEnvironment = []string{envSystemAccessToken, "SYSTEM_OIDCREQUESTURI", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"}

func TestMain(m *testing.M) {
	for _, s := range settings {
		for _, name := range s.envs {
			os.Unsetenv(name)
		}
	}
	for _, name := range otherEnvironment {
		os.Unsetenv(name)
	}
	os.Exit(m.Run())
}

// fastRetry keeps the acceptance tests quick: the same retry logic as in production, with tiny delays.
var fastRetry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 20 * time.Millisecond}

// startFake starts a fake API server owned by the test.
func startFake(t *testing.T, opts fakeapi.Options) *fakeapi.Server {
	t.Helper()
	srv, err := fakeapi.Start(opts)
	if err != nil {
		t.Fatalf("starting the fake API server: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// fastOnboardingWait keeps a create's wait for Sentinel's onboarding short: the same back-off as in
// production, with pauses of 50 to 200 ms, for at most 2 seconds.
func fastOnboardingWait() Option {
	return WithOnboardingWait(50*time.Millisecond, 200*time.Millisecond, 2*time.Second)
}

// factories returns provider factories whose HTTP traffic trusts srv.
func factories(srv *fakeapi.Server) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"mcas": providerserver.NewProtocol6WithError(New("test", WithTransport(srv.HTTPClient()), WithRetry(fastRetry), fastOnboardingWait())()),
	}
}

// tenantInfo returns the facts of a tenant of the fake's world.
func tenantInfo(t *testing.T, srv *fakeapi.Server, name string) fakeapi.TenantInfo {
	t.Helper()
	info, ok := srv.Tenant(name)
	if !ok {
		t.Fatalf("the fake server has no tenant %q", name)
	}
	return info
}

// providerBlock renders a provider block for the fake server's custom environment: the endpoints, the
// tenant and portal URL of info, use_cli off, and the given authentication attributes.
func providerBlock(srv *fakeapi.Server, info fakeapi.TenantInfo, authAttributes string) string {
	return fmt.Sprintf(`
provider "mcas" {
  environment = "custom"
  endpoint = {
    active_directory_authority_host = %q
    resource_manager_endpoint       = %q
    resource_manager_audience       = %q
    log_analytics_endpoint          = %q
    log_analytics_audience          = %q
  }
  tenant_id  = %q
  portal_url = %q
  use_cli    = false
%s
}
`, srv.AuthorityHost(), srv.ResourceManagerEndpoint(), fakeapi.ResourceManagerAudience, srv.LogAnalyticsEndpoint(), fakeapi.LogAnalyticsAudience,
		info.TenantID, info.PortalURL, indent(authAttributes))
}

// secretAuth returns the authentication attributes of the tenant's app with its client secret.
func secretAuth(info fakeapi.TenantInfo) string {
	return fmt.Sprintf("client_id = %q\nclient_secret = %q", info.ClientID, info.ClientSecret)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

// newTokenRequest builds a Cloud Apps request authorised with a legacy API token.
func newTokenRequest(url, token string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Token "+token)
	return req, nil
}

// errorPattern matches an error text that Terraform may have wrapped over several lines: every space
// in text matches any run of white space, and "." also matches a newline.
func errorPattern(text string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(text, " ", `\s+`))
}
