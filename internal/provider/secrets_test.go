package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// scanCertificatePassword protects the PKCS#12 archive of the certificate scenario.
const scanCertificatePassword = "Pfx-Passw0rd-7Qz-9Lm-secrets-scan"

// minSecretLength is the length below which a value is too short to be searched for reliably.
const minSecretLength = 16

// scanAuth is how one scenario of the secrets scan authenticates.
type scanAuth struct {
	// attributes are the provider's authentication attributes; secrets come from variables.
	attributes string
	// variables are sensitive input variables the attributes read.
	variables config.Variables
	// env is set for the whole scenario, for secrets given as environment variables.
	env map[string]string
	// secrets are the configured secret values, by name.
	secrets map[string]string
}

// scanScenario is one run of the provider under TF_LOG=TRACE whose log and state are scanned.
type scanScenario struct {
	name   string
	tenant string
	auth   func(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) scanAuth
	// accessTokens is the least number of access tokens the fake must issue: one per service that
	// the scenario reaches with a Microsoft Entra ID token.
	accessTokens int
	// failing scenarios configure refused credentials: every step fails and nothing is created.
	failing bool
}

var scanScenarios = []scanScenario{
	{
		name:         "client secret",
		tenant:       "contoso",
		accessTokens: 2,
		auth: func(_ *testing.T, _ *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q\nclient_secret = var.client_secret", info.ClientID),
				variables:  config.Variables{"client_secret": config.StringVariable(info.ClientSecret)},
				secrets:    map[string]string{"client secret": info.ClientSecret},
			}
		},
	},
	{
		name:         "certificate with password",
		tenant:       "fabrikam",
		accessTokens: 2,
		auth: func(t *testing.T, _ *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			pfx, err := os.ReadFile(writePFX(t, info, scanCertificatePassword))
			if err != nil {
				t.Fatal(err)
			}
			encoded := base64.StdEncoding.EncodeToString(pfx)
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q\nclient_certificate = var.client_certificate\nclient_certificate_password = var.client_certificate_password", info.ClientID),
				variables: config.Variables{
					"client_certificate":          config.StringVariable(encoded),
					"client_certificate_password": config.StringVariable(scanCertificatePassword),
				},
				secrets: map[string]string{"certificate password": scanCertificatePassword, "certificate archive": encoded},
			}
		},
	},
	{
		name:         "federated token",
		tenant:       "northwind",
		accessTokens: 2,
		auth: func(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			token, err := srv.MintFederatedToken(info.Name, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q\noidc_token = var.oidc_token", info.ClientID),
				variables:  config.Variables{"oidc_token": config.StringVariable(token)},
				secrets:    map[string]string{"federated token": token},
			}
		},
	},
	{
		name:         "federated token request",
		tenant:       "contoso",
		accessTokens: 2,
		auth: func(_ *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q\nuse_oidc = true\noidc_request_url = %q\noidc_request_token = var.oidc_request_token",
					info.ClientID, srv.GitHubRequestURL(info.Name)),
				variables: config.Variables{"oidc_request_token": config.StringVariable(srv.GitHubRequestToken())},
				secrets:   map[string]string{"token request bearer token": srv.GitHubRequestToken()},
			}
		},
	},
	{
		// The legacy token and the client secret come from the environment, as in a pipeline.
		name:         "legacy API token",
		tenant:       "fabrikam",
		accessTokens: 1,
		auth: func(_ *testing.T, _ *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q", info.ClientID),
				env:        map[string]string{"MCAS_API_TOKEN": info.APIToken, "ARM_CLIENT_SECRET": info.ClientSecret},
				secrets:    map[string]string{"API token": info.APIToken, "client secret": info.ClientSecret},
			}
		},
	},
	{
		// Every method is configured with a credential the services refuse.
		name:    "failing authentication",
		tenant:  "contoso",
		failing: true,
		auth: func(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) scanAuth {
			expired, err := srv.MintFederatedToken(info.Name, -time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			wrongSecret := "Wr0ng~Secret-2Kq8-secrets-scan"
			wrongToken := strings.Repeat("0WrongApiToken9", 5)[:64]
			return scanAuth{
				attributes: fmt.Sprintf("client_id = %q\nclient_secret = var.client_secret\noidc_token = var.oidc_token\napi_token = var.api_token", info.ClientID),
				variables: config.Variables{
					"client_secret": config.StringVariable(wrongSecret),
					"oidc_token":    config.StringVariable(expired),
					"api_token":     config.StringVariable(wrongToken),
				},
				secrets: map[string]string{"refused client secret": wrongSecret, "expired federated token": expired, "refused API token": wrongToken},
			}
		},
	},
}

// TestAccSecrets_notInLogOrState runs the provider with TF_LOG=TRACE for every way of authenticating,
// through apply, plan, import and destroy of the resource and the data source (and through refused
// credentials), and then searches the whole log (Terraform's and the provider's) and every state file
// for each secret: the configured ones, every access token the fake server issued, every client
// assertion and every Authorization credential sent. None may appear.
//
// It sets process environment variables, so it does not run in parallel with other tests.
func TestAccSecrets_notInLogOrState(t *testing.T) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1 to run it", resource.EnvTfAcc)
	}
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")

	for _, sc := range scanScenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
			f := &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, sc.tenant)}
			auth := sc.auth(t, srv, f.info)
			for name, value := range auth.env {
				t.Setenv(name, value)
			}
			recorder := srv.RecordCredentials()
			workDir := t.TempDir()

			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
					"mcas": providerserver.NewProtocol6WithError(New("test", WithTransport(recorder.HTTPClient()), WithRetry(fastRetry))()),
				},
				WorkingDir:   workDir,
				CheckDestroy: f.expectNothingLeft(),
				Steps:        scanSteps(f, sc, auth),
			})

			logPath := fmt.Sprintf(filepath.Join(logDir, "%s.log"), strings.ReplaceAll(t.Name(), "/", "__"))
			logText, err := os.ReadFile(logPath)
			if err != nil {
				t.Fatalf("reading the TF_LOG file: %v", err)
			}
			expectProviderLog(t, logText, f.info, sc)
			wantID := f.connectorID()
			if sc.failing {
				wantID = ""
			}
			states := stateFiles(t, workDir, wantID)

			secrets := scanSecrets(t, auth, recorder, sc)
			for _, name := range sortedKeys(secrets) {
				if lines := secretLines(logText, secrets[name]); len(lines) > 0 {
					t.Errorf("the TF_LOG log holds the %s on lines %v", name, lines)
				}
				for _, path := range sortedKeys(states) {
					if lines := secretLines(states[path], secrets[name]); len(lines) > 0 {
						t.Errorf("state file %s holds the %s on lines %v", path, name, lines)
					}
				}
			}
		})
	}
}

// scanSteps are the steps of one scenario: apply (with a plan that must be empty afterwards) and
// import; destroy follows. A failing scenario expects the refusals on the data source (the API token)
// and on the resource (the Microsoft Entra ID credentials).
func scanSteps(f *integrationFixture, sc scanScenario, auth scanAuth) []resource.TestStep {
	provider := variableBlocks(auth.variables) + providerBlock(f.srv, f.info, auth.attributes)
	integration := fmt.Sprintf("resource \"mcas_sentinel_integration\" \"test\" {\n  workspace_id = %q\n}\n", f.info.WorkspaceID)
	if sc.failing {
		return []resource.TestStep{
			{Config: provider + allStreams, ConfigVariables: auth.variables, ExpectError: errorPattern(`listing Cloud Discovery streams: HTTP 401 Unauthorized`)},
			{Config: provider + integration, ConfigVariables: auth.variables, ExpectError: errorPattern(`every configured method was tried`)},
		}
	}
	cfg := provider + allStreams + "\n" + integration
	return []resource.TestStep{
		{
			Config:            cfg,
			ConfigVariables:   auth.variables,
			ConfigStateChecks: f.stateChecks(true, true),
			Check:             f.expectServer(true, true),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
		{
			Config:                  cfg,
			ConfigVariables:         auth.variables,
			ResourceName:            integrationAddr,
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"timeouts"},
		},
	}
}

// variableBlocks declares a sensitive string variable for each of vars.
func variableBlocks(vars config.Variables) string {
	var b strings.Builder
	for _, name := range sortedKeys(vars) {
		fmt.Fprintf(&b, "variable %q {\n  type      = string\n  sensitive = true\n}\n", name)
	}
	return b.String()
}

// expectProviderLog fails the test unless the log really holds what the scan must see: Terraform's
// own lines, the provider's HTTP request lines of each service client with redacted Authorization
// headers and logged answer bodies, and values the provider logged.
func expectProviderLog(t *testing.T, log []byte, info fakeapi.TenantInfo, sc scanScenario) {
	t.Helper()
	want := map[string]string{
		"Terraform's own log":                 "Terraform version:",
		"the Cloud Apps request lines":        "mcas.cloudapps: Sending HTTP request",
		"a redacted Authorization header":     "Authorization:REDACTED",
		"a Cloud Apps URL the provider calls": info.PortalURL + "/api/",
	}
	if !sc.failing {
		want["the Resource Manager request lines"] = "mcas.resourcemanager: Sending HTTP request"
		want["a logged Resource Manager answer body"] = "mcas.resourcemanager: HTTP response details"
		want["a logged Cloud Apps answer body"] = `http_response_body="{\"_id\"`
	}
	if sc.accessTokens > 0 || sc.failing {
		want["the Microsoft Entra ID request lines"] = "mcas.entra: Sending HTTP request"
	}
	for what, text := range want {
		if !bytes.Contains(log, []byte(text)) {
			t.Errorf("the TF_LOG log (%d bytes) lacks %s (%q), so the scan would not prove anything", len(log), what, text)
		}
	}
}

// stateFiles returns every Terraform state file (and backup) under dir, which the harness keeps for
// each step. With wantID, at least one must hold that id of the resource, so that the scan is shown to
// find values in real state.
func stateFiles(t *testing.T, dir, wantID string) map[string][]byte {
	t.Helper()
	states := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), "terraform.tfstate") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			states[rel] = data
		}
		return nil
	})
	if err != nil {
		t.Fatalf("collecting the state files: %v", err)
	}
	if len(states) == 0 {
		t.Fatalf("no state file under the working directory %s; set TF_ACC_PERSIST_WORKING_DIR so the harness keeps them", dir)
	}
	if wantID != "" {
		found := false
		for _, data := range states {
			found = found || len(secretLines(data, wantID)) > 0
		}
		if !found {
			t.Errorf("none of the %d state files holds the resource id %s, so the scan would not prove anything", len(states), wantID)
		}
	}
	return states
}

// scanSecrets returns every secret of a scenario by a name that says what it is, never showing its
// value: the configured secrets and every credential that crossed the wire.
func scanSecrets(t *testing.T, auth scanAuth, recorder *fakeapi.CredentialRecorder, sc scanScenario) map[string]string {
	t.Helper()
	secrets := map[string]string{}
	for name, value := range auth.secrets {
		secrets["configured "+name] = value
	}
	counts := map[string]int{}
	for _, c := range recorder.Credentials() {
		counts[c.Kind]++
		secrets[fmt.Sprintf("%s #%d seen on the wire", c.Kind, counts[c.Kind])] = c.Value
	}
	if n := counts[fakeapi.CredentialAccessToken]; n < sc.accessTokens {
		t.Errorf("the fake issued %d access tokens, want at least %d (one per service reached with a Microsoft Entra ID token)", n, sc.accessTokens)
	}
	// Every configured secret was really sent, so its absence from the log means something; the
	// certificate archive and its password stay in the provider, which sends only the assertions they
	// sign (scanned as client assertions).
	sent := map[string]bool{}
	for _, c := range recorder.Credentials() {
		sent[c.Value] = true
	}
	for name, value := range auth.secrets {
		if len(value) < minSecretLength {
			t.Errorf("the configured %s has %d characters, too few to be searched for reliably", name, len(value))
		}
		if !sent[value] && !strings.Contains(name, "certificate") {
			t.Errorf("the configured %s never crossed the wire, so the scenario does not exercise it", name)
		}
	}
	return secrets
}

// secretForms returns the forms in which a secret could appear in a log: as is, JSON-escaped,
// URL-escaped, and for a JWT its signature alone.
func secretForms(secret string) [][]byte {
	forms := map[string]bool{secret: true, url.QueryEscape(secret): true}
	if quoted, err := json.Marshal(secret); err == nil {
		forms[strings.Trim(string(quoted), `"`)] = true
	}
	if parts := strings.Split(secret, "."); len(parts) == 3 && len(parts[2]) >= minSecretLength {
		forms[parts[2]] = true
	}
	out := make([][]byte, 0, len(forms))
	for _, f := range sortedKeys(forms) {
		out = append(out, []byte(f))
	}
	return out
}

// secretLines returns the numbers of the lines of data that hold the secret in any of its forms.
func secretLines(data []byte, secret string) []int {
	forms := secretForms(secret)
	var lines []int
	for i, line := range bytes.Split(data, []byte("\n")) {
		for _, form := range forms {
			if bytes.Contains(line, form) {
				lines = append(lines, i+1)
				break
			}
		}
	}
	return lines
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSecretScanHelpers checks that the scan finds a secret in each form it may take and on the right
// lines, so that a clean scan means the secrets are absent.
func TestSecretScanHelpers(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1mb3ItdGVzdHM"
	secret := "a+secret/with~special&chars"
	log := []byte(strings.Join([]string{
		"line without secrets",
		`field="` + url.QueryEscape(secret) + `"`,
		"signature c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1mb3ItdGVzdHM alone",
		`json {"v":"a+secret/with~special\u0026chars"}`,
	}, "\n"))
	cases := []struct {
		secret string
		want   []int
	}{
		{secret: secret, want: []int{2, 4}},
		{secret: jwt, want: []int{3}},
		{secret: "absent-secret-value-0123456789", want: nil},
	}
	for _, tc := range cases {
		if got := secretLines(log, tc.secret); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("lines holding a form of secret #%d = %v, want %v", len(tc.secret), got, tc.want)
		}
	}
}
