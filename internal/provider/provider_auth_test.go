package provider

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// entraAuthStep reads the streams with the given authentication attributes and no API token, so the
// Cloud Apps call carries a Microsoft Entra ID token that the real azidentity credential obtained from
// the fake token endpoint.
func entraAuthStep(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo, authAttributes string) resource.TestStep {
	return resource.TestStep{
		PreConfig: srv.ResetRequests,
		Config:    providerBlock(srv, info, authAttributes) + allStreams,
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.mcas_discovery_streams.test", streamsPath(), knownvalue.ListSizeExact(len(contosoStreamsInOrder))),
		},
		Check: func(*terraform.State) error {
			if n := srv.CountRequests("POST", `^/`+info.TenantID+`/oauth2/v2\.0/token$`); n == 0 {
				return fmt.Errorf("no token was requested from the fake Microsoft Entra ID endpoint")
			}
			return nil
		},
	}
}

func TestAccProviderAuth_clientSecret(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps:                    []resource.TestStep{entraAuthStep(t, srv, info, secretAuth(info))},
	})
}

func TestAccProviderAuth_clientCertificate(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	certFile := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(certFile, info.ClientCertificatePEM, 0o600); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			entraAuthStep(t, srv, info, fmt.Sprintf("client_id = %q\nclient_certificate_path = %q", info.ClientID, certFile)),
			entraAuthStep(t, srv, info, fmt.Sprintf("client_id = %q\nclient_certificate = %q", info.ClientID, base64.StdEncoding.EncodeToString(info.ClientCertificatePEM))),
		},
	})
}

func TestAccProviderAuth_federatedToken(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
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
			entraAuthStep(t, srv, info, fmt.Sprintf("client_id = %q\noidc_token = %q", info.ClientID, token)),
			entraAuthStep(t, srv, info, fmt.Sprintf("client_id = %q\noidc_token_file_path = %q", info.ClientID, tokenFile)),
		},
	})
}

// TestAccProviderAuth_allMethodsFail shows the one diagnostic that lists every method tried.
func TestAccProviderAuth_allMethodsFail(t *testing.T) {
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	other := tenantInfo(t, srv, "fabrikam")
	expired, err := srv.MintFederatedToken("contoso", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "other-tenant.pem")
	if err := os.WriteFile(certFile, other.ClientCertificatePEM, 0o600); err != nil {
		t.Fatal(err)
	}
	auth := fmt.Sprintf("client_id = %q\nclient_secret = %q\nclient_certificate_path = %q\noidc_token = %q",
		info.ClientID, "wrong-secret-value", certFile, expired)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{{
			Config: providerBlock(srv, info, auth) + allStreams,
			ExpectError: errorPattern(`every configured method was tried.*` +
				`federated token \(oidc_token.*AADSTS700024.*` +
				`client secret \(client_secret.*AADSTS7000215.*` +
				`client certificate \(client_certificate.*AADSTS700027`),
		}},
	})
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
