package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

const (
	testTenant = "00000000-0000-0000-0000-000000000001"
	testClient = "00000000-0000-0000-0000-000000000002"
)

func TestNewCredentialMethodOrder(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("header.payload.signature"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IDENTITY_ENDPOINT", "")
	cases := []struct {
		name     string
		settings Settings
		want     []string
	}{
		{
			name:     "cli only by default",
			settings: Settings{UseCLI: true},
			want:     []string{MethodAzureCLI},
		},
		{
			name: "every method in the documented order",
			settings: Settings{
				TenantID: testTenant, ClientID: testClient,
				OIDCToken: "a.b.c", OIDCTokenFilePath: tokenFile,
				UseOIDC: true, OIDCRequestURL: "https://token.example/request", OIDCRequestToken: "request-token",
				ClientSecret: "secret", UseMSI: true, UseCLI: true,
			},
			want: []string{MethodFederatedToken, MethodFederatedFile, MethodFederatedURL, MethodClientSecret, MethodManagedID, MethodAzureCLI},
		},
		{
			name: "request endpoint ignored without use_oidc",
			settings: Settings{
				TenantID: testTenant, ClientID: testClient,
				OIDCRequestURL: "https://token.example/request", OIDCRequestToken: "request-token",
				ClientSecret: "secret",
			},
			want: []string{MethodClientSecret},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.settings.Cloud = cloud.AzurePublic
			cred, err := NewCredential(tc.settings, azcore.ClientOptions{})
			if err != nil {
				t.Fatalf("NewCredential: %v", err)
			}
			got := cred.Methods()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("methods = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewCredentialErrors(t *testing.T) {
	cases := []struct {
		name     string
		settings Settings
		wantIs   error
		wantText []string
	}{
		{name: "nothing configured", settings: Settings{}, wantIs: ErrNoMethod},
		{name: "secret without ids", settings: Settings{ClientSecret: "s3cr3t-value"}, wantText: []string{"client secret", "tenant_id", "client_id"}},
		{name: "secret without client id", settings: Settings{ClientSecret: "s3cr3t-value", TenantID: testTenant}, wantText: []string{"client_id (ARM_CLIENT_ID) is not set"}},
		{name: "use_oidc without a token", settings: Settings{UseOIDC: true, TenantID: testTenant, ClientID: testClient}, wantText: []string{"use_oidc is true", "oidc_token_file_path"}},
		{name: "bad certificate", settings: Settings{ClientCertificate: []byte("not a certificate"), ClientCertificatePassword: "pfx-password", TenantID: testTenant, ClientID: testClient}, wantText: []string{"client certificate", "PKCS#12"}},
		{name: "azure devops without system token", settings: Settings{ADOServiceConnectionID: "sc", TenantID: testTenant, ClientID: testClient}, wantText: []string{"SYSTEM_ACCESSTOKEN"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCredential(tc.settings, azcore.ClientOptions{})
			if err == nil {
				t.Fatal("NewCredential succeeded, want an error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			for _, w := range tc.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"s3cr3t-value", "pfx-password"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}
}

type stubCredential struct {
	calls atomic.Int32
	err   error
}

func (s *stubCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.calls.Add(1)
	if s.err != nil {
		return azcore.AccessToken{}, s.err
	}
	return azcore.AccessToken{Token: "token"}, nil
}

func TestCredentialTriesInOrderAndKeepsTheFirstThatWorks(t *testing.T) {
	failing := &stubCredential{err: errors.New("AADSTS7000215: Invalid client secret provided.\nTrace ID: 1")}
	working := &stubCredential{}
	unused := &stubCredential{}
	c := &Credential{methods: []method{{"first", failing}, {"second", working}, {"third", unused}}}
	for range 3 {
		if _, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"x/.default"}}); err != nil {
			t.Fatalf("GetToken: %v", err)
		}
	}
	if got := failing.calls.Load(); got != 1 {
		t.Errorf("failing method called %d times, want 1 (the choice must stick)", got)
	}
	if got := working.calls.Load(); got != 3 {
		t.Errorf("working method called %d times, want 3", got)
	}
	if got := unused.calls.Load(); got != 0 {
		t.Errorf("method after the working one called %d times, want 0", got)
	}
}

func TestCredentialListsEveryMethodWhenAllFail(t *testing.T) {
	c := &Credential{methods: []method{
		{MethodClientSecret, &stubCredential{err: errors.New("AADSTS7000215: Invalid client secret provided.\nTrace ID: 1")}},
		{MethodCertificate, &stubCredential{err: errors.New("AADSTS700027: certificate not registered")}},
		{MethodAzureCLI, &stubCredential{err: errors.New("Azure CLI not found on path")}},
	}}
	_, err := c.GetToken(context.Background(), policy.TokenRequestOptions{})
	var chain *ChainError
	if !errors.As(err, &chain) {
		t.Fatalf("error %T is not a *ChainError", err)
	}
	msg := err.Error()
	for _, want := range []string{MethodClientSecret, "AADSTS7000215", MethodCertificate, "AADSTS700027", MethodAzureCLI, "not found on path"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message does not mention %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Trace ID") {
		t.Errorf("message keeps the noise after the first line:\n%s", msg)
	}
	if strings.Index(msg, MethodClientSecret) > strings.Index(msg, MethodAzureCLI) {
		t.Errorf("methods are not listed in the order tried:\n%s", msg)
	}
	// A later success is still possible: a failure is not remembered.
	c.methods[2].cred = &stubCredential{}
	if _, err := c.GetToken(context.Background(), policy.TokenRequestOptions{}); err != nil {
		t.Errorf("GetToken after fixing the last method: %v", err)
	}
}

func TestFileAssertionRereadsTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	get := fileAssertion(file)
	if _, err := get(context.Background()); err == nil || !strings.Contains(err.Error(), "federated token file") {
		t.Fatalf("missing file: got %v, want an error naming the token file", err)
	}
	for _, token := range []string{"first.token.value", "second.token.value"} {
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := get(context.Background())
		if err != nil || got != token {
			t.Fatalf("got %q, %v; want %q", got, err, token)
		}
	}
	if err := os.WriteFile(file, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := get(context.Background()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: got %v, want an error saying it is empty", err)
	}
}

func TestRequestAssertion(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("audience") != "api://AzureADTokenExchange" || r.URL.Query().Get("keep") != "me" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n := served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"count":1,"value":"federated-` + strconv.Itoa(int(n)) + `"}`))
	}))
	defer srv.Close()

	get := requestAssertion(srv.URL+"/token?keep=me", "request-token", srv.Client())
	for _, want := range []string{"federated-1", "federated-2"} {
		got, err := get(context.Background())
		if err != nil || got != want {
			t.Fatalf("got %q, %v; want %q (a new token per exchange)", got, err, want)
		}
	}
	_, err := requestAssertion(srv.URL+"/token?keep=me", "wrong-token", srv.Client())(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("rejected request: got %v, want an HTTP 401 error without the request token", err)
	}
}
