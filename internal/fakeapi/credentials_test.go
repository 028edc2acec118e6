package fakeapi

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// hasCredential reports whether the recorder saw value as a credential of kind.
func hasCredential(r *CredentialRecorder, kind, value string) bool {
	for _, c := range r.Credentials() {
		if c.Kind == kind && c.Value == value {
			return true
		}
	}
	return false
}

// recorderOptions are clientOptions whose transport records through r.
func recorderOptions(s *Server, r *CredentialRecorder) azidentity.ClientSecretCredentialOptions {
	opts := clientOptions(s)
	opts.Transport = r.HTTPClient()
	return azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true}
}

func TestCredentialRecorderSecretAndAccessToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	rec := s.RecordCredentials()
	opts := recorderOptions(s, rec)
	cred, err := azidentity.NewClientSecretCredential(info.TenantID, info.ClientID, info.ClientSecret, &opts)
	if err != nil {
		t.Fatal(err)
	}
	// The token answer passed through the recorder and still reached azidentity intact.
	token, err := getToken(cred, ResourceManagerAudience+"/.default")
	if err != nil {
		t.Fatalf("getting a token through the recorder: %v", err)
	}
	if !hasCredential(rec, CredentialClientSecret, info.ClientSecret) {
		t.Errorf("the client secret sent in the form was not recorded; got %v kinds", kinds(rec))
	}
	if !hasCredential(rec, CredentialAccessToken, token) {
		t.Errorf("the issued access token was not recorded; got %v kinds", kinds(rec))
	}

	// A request carrying the token records it as an Authorization credential, and its answer is readable.
	req, err := http.NewRequest(http.MethodGet, s.URL()+info.WorkspaceID+"?api-version=2022-10-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := rec.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), info.WorkspaceCustomerID) {
		t.Errorf("workspace answer = %d %q (%v); want 200 with the workspace", res.StatusCode, body, err)
	}
	if !hasCredential(rec, CredentialAuthorization, token) {
		t.Errorf("the bearer token was not recorded as an Authorization credential")
	}
}

func TestCredentialRecorderFederatedTokens(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "northwind")
	rec := s.RecordCredentials()
	client := rec.HTTPClient()

	req, err := http.NewRequest(http.MethodGet, s.GitHubRequestURL("northwind")+"&audience="+url.QueryEscape(FederatedTokenAudience), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.GitHubRequestToken())
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	federated := response{status: res.StatusCode, body: raw}.expectStatus(t, http.StatusOK).object(t)["value"].(string)
	if !hasCredential(rec, CredentialAuthorization, s.GitHubRequestToken()) {
		t.Errorf("the token request bearer token was not recorded")
	}
	if !hasCredential(rec, CredentialFederatedToken, federated) {
		t.Errorf("the federated token handed out was not recorded")
	}

	opts := clientOptions(s)
	opts.Transport = client
	cred, err := azidentity.NewClientAssertionCredential(info.TenantID, info.ClientID,
		func(context.Context) (string, error) { return federated, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	token, err := getToken(cred, CloudAppsAudience+"/.default")
	if err != nil {
		t.Fatalf("exchanging the federated token through the recorder: %v", err)
	}
	if !hasCredential(rec, CredentialClientAssertion, federated) {
		t.Errorf("the federated token sent as client assertion was not recorded")
	}
	if !hasCredential(rec, CredentialAccessToken, token) {
		t.Errorf("the access token issued for the assertion was not recorded")
	}
}

func TestCredentialRecorderBasicAuthAndLegacyToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "fabrikam")
	rec := s.RecordCredentials()
	client := rec.HTTPClient()

	form := url.Values{"grant_type": {"client_credentials"}, "scope": {ResourceManagerAudience + ".default"}, "client_id": {info.ClientID}}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/"+info.TenantID+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(info.ClientID) + ":" + url.QueryEscape(info.ClientSecret)))
	req.Header.Set("Authorization", "Basic "+basic)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	token, _ := response{status: res.StatusCode, body: raw}.expectStatus(t, http.StatusOK).object(t)["access_token"].(string)
	for _, want := range []Credential{
		{CredentialAuthorization, basic},
		{CredentialClientSecret, info.ClientSecret},
		{CredentialAccessToken, token},
	} {
		if !hasCredential(rec, want.Kind, want.Value) {
			t.Errorf("no %s credential recorded for the basic authentication token request", want.Kind)
		}
	}

	req, err = http.NewRequest(http.MethodGet, info.PortalURL+"/api/discovery/streams/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+info.APIToken)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("streams with the legacy token: status %d, want 200", res.StatusCode)
	}
	if !hasCredential(rec, CredentialAuthorization, info.APIToken) {
		t.Errorf("the legacy API token was not recorded")
	}
	if n := len(rec.Credentials()); n != 4 {
		t.Errorf("recorded %d credentials, want 4 distinct ones: %v", n, kinds(rec))
	}
}

// TestCredentialRecorderKeepsReadErrors checks that an answer cut short still fails for the caller
// after the recorder has read it.
func TestCredentialRecorderKeepsReadErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	if _, err := s.InjectFault(Fault{PathPattern: "/api/discovery/streams/", Kind: FaultTruncate}); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, info.PortalURL+"/api/discovery/streams/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+info.APIToken)
	res, err := s.RecordCredentials().HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) == 0 {
		t.Errorf("reading the truncated answer = %d bytes, error %v; want the partial body and io.ErrUnexpectedEOF", len(body), err)
	}
}

// kinds lists the kinds of the recorded credentials, for messages that must not show the values.
func kinds(r *CredentialRecorder) []string {
	var out []string
	for _, c := range r.Credentials() {
		out = append(out, c.Kind)
	}
	return out
}
