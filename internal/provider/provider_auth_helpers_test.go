package provider

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// authRequestsPerMinute is the Cloud Apps request rate of the authentication tests, on the fake and in
// the provider: their steps apply an integration and read streams again and again, which outruns the
// real 30 requests per minute (the throttle and the provider's limiter have tests of their own).
const authRequestsPerMinute = 1000

// authFakeOptions are the fake server options of the authentication tests.
var authFakeOptions = fakeapi.Options{CloudAppsRateLimit: authRequestsPerMinute}

// authProviderBlock renders a provider block for the fake server's custom environment with the tenant
// and portal URL of info, the Cloud Apps request rate of the authentication tests, and the given
// authentication attributes, which must set use_cli.
func authProviderBlock(srv *fakeapi.Server, info fakeapi.TenantInfo, authAttributes string) string {
	return fmt.Sprintf(`
provider "mcas" {
  environment = "custom"
  endpoint = {
    active_directory_authority_host = %q
    resource_manager_endpoint       = %q
    resource_manager_audience       = %q
  }
  tenant_id  = %q
  portal_url = %q

  cloud_apps_requests_per_minute = %d
%s
}
`, srv.AuthorityHost(), srv.ResourceManagerEndpoint(), fakeapi.ResourceManagerAudience, info.TenantID, info.PortalURL, authRequestsPerMinute, indent(authAttributes))
}

// integrationAndStreams is a configuration that calls both services: an integration in the tenant's
// Sentinel workspace (Resource Manager and Cloud Apps) and the streams data source (Cloud Apps).
func integrationAndStreams(info fakeapi.TenantInfo) string {
	return fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
}

%s
`, info.WorkspaceID, allStreams)
}

// authStep applies integrationAndStreams with a provider that authenticates only with the given
// attributes (use_cli = false unless they say otherwise), and checks that every Resource Manager and
// Cloud Apps request of the step carried an access token of the tenant's principal appID.
func authStep(srv *fakeapi.Server, info fakeapi.TenantInfo, authAttributes, appID string) resource.TestStep {
	if !strings.Contains(authAttributes, "use_cli") {
		authAttributes += "\nuse_cli = false"
	}
	return resource.TestStep{
		PreConfig: srv.ResetRequests,
		Config:    authProviderBlock(srv, info, authAttributes) + integrationAndStreams(info),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.mcas_discovery_streams.test", streamsPath(), knownvalue.ListSizeExact(len(srv.Streams(info.Name)))),
			statecheck.ExpectKnownValue("mcas_sentinel_integration.test", tfjsonpath.New("tenant_id"), knownvalue.StringExact(info.TenantID)),
		},
		Check: expectAuthorisedBy(srv, info.Name, appID),
	}
}

// serviceRequest reports whether a recorded request went to Resource Manager or Cloud Apps.
var serviceRequest = regexp.MustCompile(`^/(subscriptions|mcas)/`)

// expectAuthorisedBy checks the requests the fake recorded since its last reset: at least one went to
// Resource Manager and one to Cloud Apps, and every one of them carried an access token that tenant
// issued to the principal appID, and was not refused for its credential.
func expectAuthorisedBy(srv *fakeapi.Server, tenant, appID string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var arm, cloudApps int
		for _, r := range srv.Requests() {
			if !serviceRequest.MatchString(r.Path) {
				continue
			}
			if strings.HasPrefix(r.Path, "/mcas/") {
				cloudApps++
			} else {
				arm++
			}
			if r.TokenTenant != tenant || r.TokenAppID != appID || r.Status == 401 || r.Status == 403 {
				return fmt.Errorf("%s %s (status %d) carried a token of tenant %q and app %q, want tenant %q and app %q",
					r.Method, r.Path, r.Status, r.TokenTenant, r.TokenAppID, tenant, appID)
			}
		}
		if arm == 0 || cloudApps == 0 {
			return fmt.Errorf("the step sent %d Resource Manager and %d Cloud Apps requests, want some of each", arm, cloudApps)
		}
		return nil
	}
}

// writePFX writes the tenant's client certificate and private key as a PKCS#12 archive protected by
// password, with the legacy algorithms (3DES, SHA-1 MAC) that Windows, OpenSSL 1.x and
// golang.org/x/crypto/pkcs12 (used by azidentity.ParseCertificates) all read. It returns the path.
func writePFX(t *testing.T, info fakeapi.TenantInfo, password string) string {
	t.Helper()
	var cert *x509.Certificate
	var key any
	rest := info.ClientCertificatePEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var err error
		switch block.Type {
		case "CERTIFICATE":
			cert, err = x509.ParseCertificate(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			t.Fatalf("parsing the client certificate of %s: %v", info.Name, err)
		}
	}
	if cert == nil || key == nil {
		t.Fatalf("the client certificate of %s lacks its certificate or private key", info.Name)
	}
	pfx, err := pkcs12.LegacyDES.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatalf("encoding the PKCS#12 archive: %v", err)
	}
	path := filepath.Join(t.TempDir(), info.Name+".pfx")
	if err := os.WriteFile(path, pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// notAlphanumeric matches what the Azure CLI stand-in replaces in a resource to name its token file.
var notAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9]`)

// azureCLIKey turns a resource into the file name the Azure CLI stand-in looks for.
func azureCLIKey(resource string) string {
	return notAlphanumeric.ReplaceAllString(resource, "_")
}

// installAzureCLI puts the Azure CLI stand-in (testdata/azure-cli/az) first on PATH and points it, with
// AZURE_CONFIG_DIR, at a new configuration directory that it returns. When loggedIn names tenants, the
// stand-in is logged in to them, the first being the default, and hands out access tokens that the fake
// issued to their administrator for Resource Manager and Cloud Apps; otherwise it is logged in nowhere.
// It sets process environment variables, so its test cannot run in parallel.
func installAzureCLI(t *testing.T, srv *fakeapi.Server, loggedIn ...string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("testdata", "azure-cli", "az"))
	if err != nil {
		t.Fatalf("reading the Azure CLI stand-in: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The stand-in must be executable, whatever mode the checkout gave testdata/azure-cli/az.
	if err := os.WriteFile(filepath.Join(bin, "az"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	config := t.TempDir()
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("AZURE_CONFIG_DIR", config)
	for i, name := range loggedIn {
		info := tenantInfo(t, srv, name)
		if i == 0 {
			if err := os.WriteFile(filepath.Join(config, "tenant"), []byte(info.TenantID), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(config, "tokens", info.TenantID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, audience := range []string{fakeapi.ResourceManagerAudience, fakeapi.CloudAppsAudience} {
			token, expires, err := srv.MintAccessToken(name, audience, 0)
			if err != nil {
				t.Fatal(err)
			}
			answer, err := json.MarshalIndent(map[string]any{
				"accessToken":  token,
				"expiresOn":    expires.Local().Format("2006-01-02 15:04:05.000000"),
				"expires_on":   expires.Unix(),
				"subscription": info.SubscriptionID,
				"tenant":       info.TenantID,
				"tokenType":    "Bearer",
			}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, azureCLIKey(audience)+".json"), answer, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return config
}

// azureCLICommands returns the argument lists the Azure CLI stand-in was called with.
func azureCLICommands(t *testing.T, config string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(config, "commands.log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// rotateFederatedToken writes a new federated token of the tenant, valid for ttl, to path every
// interval (atomically, as Kubernetes updates a projected token) until the test ends.
func rotateFederatedToken(t *testing.T, srv *fakeapi.Server, tenant, path string, ttl, interval time.Duration) {
	t.Helper()
	write := func() error {
		token, err := srv.MintFederatedToken(tenant, ttl)
		if err != nil {
			return err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(token), 0o600); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
	if err := write(); err != nil {
		t.Fatalf("writing the federated token file: %v", err)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				if err := write(); err != nil {
					t.Errorf("rotating the federated token file: %v", err)
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-stopped
	})
}
