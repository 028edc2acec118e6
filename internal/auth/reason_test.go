package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// answered returns an authentication error that carries an HTTP answer with the status and body.
func answered(status int, body string) error {
	req, _ := http.NewRequest(http.MethodGet, "https://identity.example/token?resource=x", nil)
	return fmt.Errorf("wrapped: %w", &azidentity.AuthenticationFailedError{RawResponse: &http.Response{
		StatusCode: status,
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    req,
	}})
}

func TestReason(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"plain error, first line", errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account. To troubleshoot, visit https://aka.ms/x\nmore"),
			"AzureCLICredential: ERROR: Please run 'az login' to setup account."},
		{"Entra answer", answered(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: 1\r\nCorrelation ID: 2"}`),
			"invalid_client: AADSTS7000215: Invalid client secret provided."},
		{"managed identity endpoint", answered(400, `{"statusCode":400,"message":"No managed identity found for specified ClientId/ResourceId/PrincipalId.","correlationId":"c"}`),
			"authentication failed. The endpoint answered HTTP 400: No managed identity found for specified ClientId/ResourceId/PrincipalId."},
		{"Azure DevOps", answered(401, `{"$id":"1","innerException":null,"message":"The request is not authorized:\n send the token.","typeKey":"X"}`),
			"The endpoint answered HTTP 401: The request is not authorized: send the token."},
		{"IMDS style error object", answered(400, `{"error":{"code":"x"}}`), "authentication failed. The endpoint answered HTTP 400."},
		{"HTML answer", answered(502, `<html>Bad gateway</html>`), "authentication failed. The endpoint answered HTTP 502."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Reason(tc.err)
			if !strings.HasSuffix(got, tc.want) {
				t.Errorf("Reason = %q, want it to end with %q", got, tc.want)
			}
			if strings.ContainsAny(got, "\r\n") || len(got) > maxReason+3 {
				t.Errorf("Reason = %q, want one line of at most %d characters", got, maxReason)
			}
		})
	}
}

// TestChainErrorThroughTheFake runs the managed identity and Azure DevOps credentials of NewCredential
// against the fake's endpoints with settings those endpoints refuse, and checks that the chain's error
// gives each endpoint's reason and none of the secrets. It sets IDENTITY_ENDPOINT, IDENTITY_HEADER and
// SYSTEM_OIDCREQUESTURI, so it cannot run in parallel.
func TestChainErrorThroughTheFake(t *testing.T) {
	srv, err := fakeapi.Start(fakeapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	info, _ := srv.Tenant("contoso")
	t.Setenv("IDENTITY_ENDPOINT", srv.ManagedIdentityEndpoint("contoso"))
	t.Setenv("IDENTITY_HEADER", srv.IdentityHeader())
	t.Setenv("SYSTEM_OIDCREQUESTURI", srv.AzureDevOpsOIDCRequestURI())
	const secret, systemToken = "not-the-Secret~42", "not-the-System-Token"
	cred, err := NewCredential(Settings{
		TenantID: info.TenantID, ClientID: info.ClientID,
		ADOServiceConnectionID: info.ServiceConnectionID, SystemAccessToken: systemToken,
		ClientSecret: secret, UseMSI: true,
		Cloud:                    cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()},
		DisableInstanceDiscovery: true,
	}, azcore.ClientOptions{Transport: srv.HTTPClient(), Retry: policy.RetryOptions{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{fakeapi.ResourceManagerAudience + ".default"}})
	var chain *ChainError
	if !errors.As(err, &chain) || len(chain.Attempts) != 3 {
		t.Fatalf("GetToken error = %v, want a *ChainError of three attempts", err)
	}
	msg := err.Error()
	for _, want := range []string{
		MethodAzurePipelines + ": AzurePipelinesCredential authentication failed. 401 Unauthorized",
		"The endpoint answered HTTP 401: The request is not authorized: send the pipeline's System.AccessToken",
		MethodClientSecret + ": invalid_client: AADSTS7000215",
		MethodManagedID + ": ManagedIdentityCredential authentication failed. The endpoint answered HTTP 400: No managed identity found",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	for _, s := range []string{secret, systemToken, srv.IdentityHeader(), srv.AzureDevOpsSystemAccessToken(), info.ClientSecret} {
		if strings.Contains(msg, s) {
			t.Errorf("the error contains a secret:\n%s", msg)
		}
	}
}

// TestChainErrorGivesTheFix adds to each Microsoft Entra answer with a known cause what to do about it,
// and nothing to the others.
func TestChainErrorGivesTheFix(t *testing.T) {
	entra := func(code int, text string) error {
		return answered(400, fmt.Sprintf(`{"error":"invalid_client","error_description":"AADSTS%d: %s Trace ID: 1\r\nCorrelation ID: 2","error_codes":[%d]}`, code, text, code))
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"expired secret", entra(7000222, "The provided client secret keys for app 'x' are expired."), "To fix it: the app registration's client secret has expired: create a new one"},
		{"unknown subject", entra(700213, "No matching federated identity record found for presented assertion subject 'repo:a/b:ref:refs/heads/main'."),
			"To fix it: no federated credential of the app registration has the subject of this token"},
		{"unknown issuer", entra(700211, "No matching federated identity record found for presented assertion issuer 'https://x'."),
			"To fix it: no federated credential of the app registration has the issuer of this token"},
		{"general federated form", entra(70021, "No matching federated identity record found for presented assertion."),
			"To fix it: no federated credential of the app registration matches the token's issuer, subject and audience together"},
		{"wrong secret", entra(7000215, "Invalid client secret provided."), "To fix it: client_secret (ARM_CLIENT_SECRET) is not a current secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			single := (&ChainError{Attempts: []Attempt{{Method: MethodClientSecret, Err: tc.err}}}).Error()
			listed := (&ChainError{Attempts: []Attempt{{Method: MethodFederatedFile, Err: tc.err}, {Method: MethodAzureCLI, Err: errors.New("az not found")}}}).Error()
			for _, msg := range []string{single, listed} {
				if !strings.Contains(msg, tc.want) {
					t.Errorf("the chain's error does not give the fix %q:\n%s", tc.want, msg)
				}
			}
			if strings.Count(listed, "To fix it") != 1 {
				t.Errorf("the Azure CLI's line got a fix too:\n%s", listed)
			}
		})
	}
	if msg := (&ChainError{Attempts: []Attempt{{Method: MethodClientSecret, Err: entra(90002, "Tenant 'x' not found.")}}}).Error(); strings.Contains(msg, "To fix it") {
		t.Errorf("an answer without known advice got a fix: %s", msg)
	}
}
