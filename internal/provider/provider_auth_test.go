package provider

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

func TestAccProviderAuth_clientSecret(t *testing.T) {
	t.Parallel()
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "contoso")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps:                    []resource.TestStep{authStep(srv, info, secretAuth(info), info.ClientID)},
	})
}

// TestAccProviderAuth_clientCertificate authenticates with the app's certificate as PEM and as a
// password-protected PKCS#12 archive, each from a file and inline (base64).
func TestAccProviderAuth_clientCertificate(t *testing.T) {
	t.Parallel()
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "fabrikam")
	pemFile := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(pemFile, info.ClientCertificatePEM, 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "pfx-Password-4711"
	pfxFile := writePFX(t, info, password)
	pfx, err := os.ReadFile(pfxFile)
	if err != nil {
		t.Fatal(err)
	}
	step := func(attributes string, args ...any) resource.TestStep {
		return authStep(srv, info, fmt.Sprintf("client_id = %q\n", info.ClientID)+fmt.Sprintf(attributes, args...), info.ClientID)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			step("client_certificate_path = %q", pemFile),
			step("client_certificate = %q", base64.StdEncoding.EncodeToString(info.ClientCertificatePEM)),
			step("client_certificate_path = %q\nclient_certificate_password = %q", pfxFile, password),
			step("client_certificate = %q\nclient_certificate_password = %q", base64.StdEncoding.EncodeToString(pfx), password),
		},
	})
}

// TestAccProviderAuth_clientCertificateWrongPassword shows that a PKCS#12 archive that cannot be opened
// is reported at configuration, without the password.
func TestAccProviderAuth_clientCertificateWrongPassword(t *testing.T) {
	t.Parallel()
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "contoso")
	const password, wrong = "right-Password-0815", "wrong-Password-0815"
	pfxFile := writePFX(t, info, password)
	check := newSecretFreeError(errorPattern(`Invalid authentication settings.*client certificate.*could not be read.*client_certificate_password`), password, wrong)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		ErrorCheck:               check.check,
		Steps: []resource.TestStep{{
			Config: authProviderBlock(srv, info, fmt.Sprintf("use_cli = false\nclient_id = %q\nclient_certificate_path = %q\nclient_certificate_password = %q", info.ClientID, pfxFile, wrong)) + allStreams,
		}},
	})
	check.expectSeen(t)
}

// TestAccProviderAuth_federatedToken authenticates with a federated token given in the configuration,
// read from a file, and requested from a GitHub-Actions-style endpoint.
func TestAccProviderAuth_federatedToken(t *testing.T) {
	t.Parallel()
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "contoso")
	token, err := srv.MintFederatedToken("contoso", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "federated-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			authStep(srv, info, fmt.Sprintf("client_id = %q\noidc_token = %q", info.ClientID, token), info.ClientID),
			authStep(srv, info, fmt.Sprintf("client_id = %q\noidc_token_file_path = %q", info.ClientID, tokenFile), info.ClientID),
			authStep(srv, info, fmt.Sprintf("client_id = %q\nuse_oidc = true\noidc_request_url = %q\noidc_request_token = %q",
				info.ClientID, srv.GitHubRequestURL("contoso"), srv.GitHubRequestToken()), info.ClientID),
		},
	})
}

// TestAccProviderAuth_allMethodsFail shows the one diagnostic that lists every method tried, in order,
// with the reason each failed, and that it holds none of the secrets of the configuration. It sets
// process environment variables (managed identity, Azure DevOps, the Azure CLI stand-in), so it cannot
// run in parallel.
func TestAccProviderAuth_allMethodsFail(t *testing.T) {
	srv := startFake(t, authFakeOptions)
	info := tenantInfo(t, srv, "contoso")
	other := tenantInfo(t, srv, "fabrikam")
	expired, err := srv.MintFederatedToken("contoso", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	expiredInFile, err := srv.MintFederatedToken("contoso", -2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "federated-token")
	if err := os.WriteFile(tokenFile, []byte(expiredInFile), 0o600); err != nil {
		t.Fatal(err)
	}
	const pfxPassword, clientSecret, requestToken = "pfx-Password-2024", "wrong-Secret-Value~1", "wrong-Request-Token-7"
	pfxFile := writePFX(t, other, pfxPassword)
	t.Setenv("IDENTITY_ENDPOINT", srv.ManagedIdentityEndpoint("contoso"))
	t.Setenv("IDENTITY_HEADER", srv.IdentityHeader())
	t.Setenv("SYSTEM_OIDCREQUESTURI", srv.AzureDevOpsOIDCRequestURI())
	cli := installAzureCLI(t, srv)

	auth := strings.Join([]string{
		fmt.Sprintf("client_id = %q", info.ClientID),
		fmt.Sprintf("oidc_token = %q", expired),
		fmt.Sprintf("oidc_token_file_path = %q", tokenFile),
		"use_oidc = true",
		fmt.Sprintf("oidc_request_url = %q", srv.GitHubRequestURL("contoso")),
		fmt.Sprintf("oidc_request_token = %q", requestToken),
		fmt.Sprintf("ado_pipeline_service_connection_id = %q", info.ServiceConnectionID),
		fmt.Sprintf("client_secret = %q", clientSecret),
		fmt.Sprintf("client_certificate_path = %q", pfxFile),
		fmt.Sprintf("client_certificate_password = %q", pfxPassword),
		"use_msi = true",
		"use_cli = true",
	}, "\n")
	check := newSecretFreeError(errorPattern(`every configured method was tried, in this order:.*`+
		`federated token \(oidc_token.*AADSTS700024.*`+
		`federated token file \(oidc_token_file_path.*AADSTS700024.*`+
		`federated token request \(oidc_request_url.*HTTP 401.*`+
		`Azure DevOps workload identity federation.*401.*System.AccessToken.*`+
		`client secret \(client_secret.*AADSTS7000215.*`+
		`client certificate \(client_certificate.*AADSTS700027.*`+
		`managed identity \(use_msi.*No managed identity found.*`+
		`Azure CLI \(use_cli.*Please run 'az login'`),
		expired, expiredInFile, pfxPassword, clientSecret, requestToken, srv.IdentityHeader(),
		srv.GitHubRequestToken(), srv.AzureDevOpsSystemAccessToken(), info.ClientSecret, other.ClientSecret)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		ErrorCheck:               check.check,
		Steps:                    []resource.TestStep{{Config: authProviderBlock(srv, info, auth) + allStreams}},
	})
	check.expectSeen(t)
	if commands := azureCLICommands(t, cli); len(commands) == 0 || !strings.Contains(commands[0], "--tenant "+info.TenantID) {
		t.Errorf("the Azure CLI was called with %q, want get-access-token for tenant %s", commands, info.TenantID)
	}
}

// TestAccProviderAuth_entraAnswersOfToday meets the Microsoft Entra ID answers that name their cause:
// an expired client secret, and a federated token whose subject or issuer no federated credential of
// the app has. Each error gives the fix and none of the secrets.
func TestAccProviderAuth_entraAnswersOfToday(t *testing.T) {
	t.Parallel()
	opts := authFakeOptions
	opts.FederatedErrors = fakeapi.FederatedErrorsSpecific
	srv := startFake(t, opts)
	info := tenantInfo(t, srv, "contoso")
	if err := srv.SetClientSecretExpired("contoso", true); err != nil {
		t.Fatal(err)
	}
	const branchSubject = "repo:mcas-terraform/infrastructure:ref:refs/heads/feature"
	otherSubject, err := srv.MintOIDCToken(branchSubject, "", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// An app that trusts GitHub Actions only: the fake's own issuer is not one of its credentials.
	github, err := srv.AddTenant(fakeapi.TenantSpec{Name: "litware", Apps: []fakeapi.AppSpec{{FederatedCredentials: []fakeapi.FederatedCredential{
		{Issuer: "https://token.actions.githubusercontent.com", Subject: fakeapi.DefaultFederatedSubject},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	ownIssuer, err := srv.MintOIDCToken(fakeapi.DefaultFederatedSubject, "", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		tenant  fakeapi.TenantInfo
		auth    string
		want    string
		secrets []string
	}{
		{"expired client secret", info, secretAuth(info),
			`client secret \(client_secret.*AADSTS7000222: The provided client secret keys for app.*are expired.*To fix it: the app registration's client secret has expired: create a new one`,
			[]string{info.ClientSecret}},
		{"subject of another branch", info, fmt.Sprintf("client_id = %q\noidc_token = %q", info.ClientID, otherSubject),
			`federated token \(oidc_token.*AADSTS700213: No matching federated identity record found for presented assertion subject '` + branchSubject + `'.*` +
				`To fix it: no federated credential of the app registration has the subject of this token`,
			[]string{otherSubject}},
		{"issuer of no credential", github, fmt.Sprintf("client_id = %q\noidc_token = %q", github.ClientID, ownIssuer),
			`federated token \(oidc_token.*AADSTS700211: No matching federated identity record found for presented assertion issuer.*` +
				`To fix it: no federated credential of the app registration has the issuer of this token`,
			[]string{ownIssuer}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := newSecretFreeError(errorPattern(tc.want), tc.secrets...)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(srv),
				ErrorCheck:               check.check,
				Steps:                    []resource.TestStep{{Config: authProviderBlock(srv, tc.tenant, tc.auth+"\nuse_cli = false") + allStreams}},
			})
			check.expectSeen(t)
		})
	}
}

// secretFreeError is a TestCase ErrorCheck that accepts an error matching a pattern and holding none
// of the secrets, even where Terraform wrapped the text over several lines.
type secretFreeError struct {
	pattern *regexp.Regexp
	secrets []string
	seen    int
}

// newSecretFreeError returns a check for errors that match pattern and contain none of secrets.
func newSecretFreeError(pattern *regexp.Regexp, secrets ...string) *secretFreeError {
	return &secretFreeError{pattern: pattern, secrets: secrets}
}

// check is the ErrorCheck: nil when err is the expected, secret-free error.
func (c *secretFreeError) check(err error) error {
	c.seen++
	text := err.Error()
	if !c.pattern.MatchString(text) {
		return fmt.Errorf("the error does not match %s: %w", c.pattern, err)
	}
	squeezed := strings.Join(strings.Fields(text), "")
	for i, secret := range c.secrets {
		if secret == "" {
			continue
		}
		if strings.Contains(text, secret) || strings.Contains(squeezed, secret) {
			return fmt.Errorf("the error contains secret number %d of the test", i+1)
		}
	}
	return nil
}

// expectSeen fails the test unless check saw an error: a step without error passes without it.
func (c *secretFreeError) expectSeen(t *testing.T) {
	t.Helper()
	if c.seen == 0 {
		t.Fatalf("the steps succeeded, want them to fail with an error matching %s", c.pattern)
	}
}

func TestAccProvider_configurationErrors(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	cases := []struct {
		name   string
		config string
		want   string
	}{
		{
			name:   "unknown environment",
			config: `provider "mcas" { environment = "moon" }`,
			want:   `value must be one of`,
		},
		{
			name:   "custom without endpoints",
			config: `provider "mcas" { environment = "custom" }`,
			want:   `Missing custom endpoints.*active_directory_authority_host.*ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST`,
		},
		{
			name:   "endpoints without custom",
			config: `provider "mcas" { endpoint = { resource_manager_endpoint = "https://management.example" } }`,
			want:   `Endpoints need the custom environment`,
		},
		{
			name:   "tenant id not a uuid",
			config: `provider "mcas" { tenant_id = "contoso.onmicrosoft.com" }`,
			want:   `Invalid UUID.*not a UUID`,
		},
		{
			name:   "portal url over http",
			config: `provider "mcas" { portal_url = "http://contoso.eu2.portal.cloudappsecurity.com" }`,
			want:   `only https URLs are accepted`,
		},
		{
			name:   "malformed api token",
			config: `provider "mcas" { api_token = "short-token" }`,
			want:   `Invalid API token.*11 characters`,
		},
		{
			name:   "certificate twice",
			config: "provider \"mcas\" {\n  client_certificate      = \"QUJD\"\n  client_certificate_path = \"/tmp/cert.pfx\"\n}",
			want:   `client_certificate_path.*cannot be configured together|Attribute "client_certificate_path" cannot be specified`,
		},
		{
			name: "secret without client id",
			config: fmt.Sprintf(`provider "mcas" {
  environment = "custom"
  endpoint = {
    active_directory_authority_host = %q
    resource_manager_endpoint       = %q
    resource_manager_audience       = %q
  }
  tenant_id     = %q
  client_secret = "a-secret"
}`, srv.AuthorityHost(), srv.ResourceManagerEndpoint(), fakeapi.ResourceManagerAudience, info.TenantID),
			want: `client_id \(ARM_CLIENT_ID\) is not set`,
		},
		{
			name: "value unknown at plan time",
			config: `
resource "terraform_data" "portal" {
  input = "contoso"
}
provider "mcas" {
  portal_url = "https://${terraform_data.portal.id}.eu2.portal.cloudappsecurity.com"
}`,
			want: `not known at plan time.*MCAS_PORTAL_URL`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(srv),
				Steps: []resource.TestStep{{
					Config:      tc.config + "\n" + allStreams,
					ExpectError: errorPattern(`` + tc.want),
				}},
			})
		})
	}
}
