// Package auth builds the Microsoft Entra ID credential a provider instance uses for Azure Resource
// Manager and, when no legacy API token is configured, for the Defender for Cloud Apps API.
//
// Authentication methods are tried in a fixed order: an explicit federated token (a token, a token file,
// a token request endpoint, or Azure DevOps workload identity federation), a client secret, a client
// certificate, a managed identity, and the Azure CLI. Only the methods whose settings are present take
// part. The first method that returns a token is used from then on; when every method fails, the error
// lists each method that was tried and why it failed.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Settings holds the resolved authentication settings of one provider instance (configuration
// attributes with their environment variable fallbacks already applied).
type Settings struct {
	TenantID string
	ClientID string

	ClientSecret string

	// ClientCertificate is a PKCS#12 archive or PEM data (certificate and private key).
	ClientCertificate         []byte
	ClientCertificatePassword string

	OIDCToken         string
	OIDCTokenFilePath string
	// OIDCRequestURL and OIDCRequestToken request a federated token from a GitHub Actions style
	// endpoint; they are used only when UseOIDC is true.
	OIDCRequestURL   string
	OIDCRequestToken string
	UseOIDC          bool

	// ADOServiceConnectionID selects Azure DevOps workload identity federation; the pipeline's
	// SystemAccessToken authorises the request for the federated token.
	ADOServiceConnectionID string
	SystemAccessToken      string

	UseMSI bool
	UseCLI bool

	Cloud cloud.Configuration
	// DisableInstanceDiscovery is set for authority hosts that are not Microsoft's, which cannot answer
	// MSAL's instance discovery request.
	DisableInstanceDiscovery bool
}

// Method names, as they appear in error messages and logs.
const (
	MethodFederatedToken = "federated token (oidc_token / ARM_OIDC_TOKEN)"
	MethodFederatedFile  = "federated token file (oidc_token_file_path / ARM_OIDC_TOKEN_FILE_PATH / AZURE_FEDERATED_TOKEN_FILE)"
	MethodFederatedURL   = "federated token request (oidc_request_url / ACTIONS_ID_TOKEN_REQUEST_URL)"
	MethodAzurePipelines = "Azure DevOps workload identity federation (ado_pipeline_service_connection_id)"
	MethodClientSecret   = "client secret (client_secret / ARM_CLIENT_SECRET)"
	MethodCertificate    = "client certificate (client_certificate / client_certificate_path)"
	MethodManagedID      = "managed identity (use_msi / ARM_USE_MSI)"
	MethodAzureCLI       = "Azure CLI (use_cli / ARM_USE_CLI)"
)

// ErrNoMethod is returned by NewCredential when no authentication method is configured at all.
var ErrNoMethod = errors.New("no Microsoft Entra ID authentication method is configured")

type method struct {
	name string
	cred azcore.TokenCredential
}

// Credential is an azcore.TokenCredential that tries the configured methods in order and then keeps
// the first one that worked. azidentity caches tokens inside each method, so one Credential per
// provider instance shares tokens between every resource of that instance.
type Credential struct {
	methods []method

	mu     sync.Mutex
	chosen *method
}

var _ azcore.TokenCredential = (*Credential)(nil)

// NewCredential builds the credential for s. clientOptions carries the transport and the logging
// policy shared with the service clients. It returns ErrNoMethod when s configures no method, and a
// descriptive error when a method's settings are incomplete or malformed.
func NewCredential(s Settings, clientOptions azcore.ClientOptions) (*Credential, error) {
	clientOptions.Cloud = s.Cloud
	var methods []method
	add := func(name string, cred azcore.TokenCredential, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		methods = append(methods, method{name: name, cred: cred})
		return nil
	}
	needIDs := func(name string) error {
		var missing []string
		if s.TenantID == "" {
			missing = append(missing, "tenant_id (ARM_TENANT_ID)")
		}
		if s.ClientID == "" {
			missing = append(missing, "client_id (ARM_CLIENT_ID)")
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s is configured but %s is not set; set it in the provider block or the environment", name, strings.Join(missing, " and "))
		}
		return nil
	}

	assertionOptions := &azidentity.ClientAssertionCredentialOptions{
		ClientOptions:            clientOptions,
		DisableInstanceDiscovery: s.DisableInstanceDiscovery,
	}
	federated := []struct {
		name   string
		active bool
		source func(context.Context) (string, error)
	}{
		{MethodFederatedToken, s.OIDCToken != "", staticAssertion(s.OIDCToken)},
		{MethodFederatedFile, s.OIDCTokenFilePath != "", fileAssertion(s.OIDCTokenFilePath)},
		{MethodFederatedURL, s.UseOIDC && s.OIDCRequestURL != "" && s.OIDCRequestToken != "", requestAssertion(s.OIDCRequestURL, s.OIDCRequestToken, clientOptions.Transport)},
	}
	for _, f := range federated {
		if !f.active {
			continue
		}
		if err := needIDs(f.name); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientAssertionCredential(s.TenantID, s.ClientID, f.source, assertionOptions)
		if err := add(f.name, cred, err); err != nil {
			return nil, err
		}
	}
	if s.ADOServiceConnectionID != "" {
		if err := needIDs(MethodAzurePipelines); err != nil {
			return nil, err
		}
		if s.SystemAccessToken == "" {
			return nil, fmt.Errorf("%s is configured but no system access token is available: map $(System.AccessToken) to the SYSTEM_ACCESSTOKEN environment variable of the pipeline step, or set oidc_request_token", MethodAzurePipelines)
		}
		cred, err := azidentity.NewAzurePipelinesCredential(s.TenantID, s.ClientID, s.ADOServiceConnectionID, s.SystemAccessToken,
			&azidentity.AzurePipelinesCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery})
		if err := add(MethodAzurePipelines, cred, err); err != nil {
			return nil, err
		}
	}
	if s.UseOIDC && len(methods) == 0 {
		return nil, errors.New("use_oidc is true but no federated token is available: set oidc_token, oidc_token_file_path or oidc_request_url and oidc_request_token " +
			"(ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN), or ado_pipeline_service_connection_id")
	}
	if s.ClientSecret != "" {
		if err := needIDs(MethodClientSecret); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientSecretCredential(s.TenantID, s.ClientID, s.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery})
		if err := add(MethodClientSecret, cred, err); err != nil {
			return nil, err
		}
	}
	if len(s.ClientCertificate) > 0 {
		if err := needIDs(MethodCertificate); err != nil {
			return nil, err
		}
		certs, key, err := azidentity.ParseCertificates(s.ClientCertificate, []byte(s.ClientCertificatePassword))
		if err != nil {
			return nil, fmt.Errorf("%s: the certificate could not be read (%s); it must be a PKCS#12 archive (with client_certificate_password when it has one) or PEM holding the certificate and an unencrypted private key", MethodCertificate, certificateReason(err))
		}
		cred, err := azidentity.NewClientCertificateCredential(s.TenantID, s.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery})
		if err := add(MethodCertificate, cred, err); err != nil {
			return nil, err
		}
	}
	if s.UseMSI {
		opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: clientOptions}
		if s.ClientID != "" {
			opts.ID = azidentity.ClientID(s.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		if err := add(MethodManagedID, cred, err); err != nil {
			return nil, err
		}
	}
	if s.UseCLI {
		cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: s.TenantID})
		if err := add(MethodAzureCLI, cred, err); err != nil {
			return nil, err
		}
	}
	if len(methods) == 0 {
		return nil, ErrNoMethod
	}
	return &Credential{methods: methods}, nil
}

// Methods returns the names of the configured methods in the order they are tried.
func (c *Credential) Methods() []string {
	names := make([]string, len(c.methods))
	for i, m := range c.methods {
		names[i] = m.name
	}
	return names
}

// GetToken returns a token from the method chosen earlier, or tries every configured method in order
// and chooses the first that succeeds. When all fail it returns a *ChainError.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	chosen := c.chosen
	if chosen != nil {
		c.mu.Unlock()
		tok, err := chosen.cred.GetToken(ctx, opts)
		if err != nil {
			return tok, &ChainError{Attempts: []Attempt{{Method: chosen.name, Err: err}}}
		}
		return tok, nil
	}
	// Hold the lock while trying, so that concurrent callers wait for the first choice instead of
	// each walking the chain.
	defer c.mu.Unlock()
	chainErr := &ChainError{}
	for i := range c.methods {
		m := &c.methods[i]
		tok, err := m.cred.GetToken(ctx, opts)
		if err == nil {
			c.chosen = m
			return tok, nil
		}
		chainErr.Attempts = append(chainErr.Attempts, Attempt{Method: m.name, Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	return azcore.AccessToken{}, chainErr
}

// Attempt records one method that failed.
type Attempt struct {
	Method string
	Err    error
}

// ChainError reports every authentication method that was tried and why it failed.
type ChainError struct {
	Attempts []Attempt
}

func (e *ChainError) Error() string {
	var b strings.Builder
	if len(e.Attempts) == 1 {
		fmt.Fprintf(&b, "authentication with Microsoft Entra ID failed: %s: %s", e.Attempts[0].Method, reasonAndFix(e.Attempts[0].Err))
		return b.String()
	}
	b.WriteString("authentication with Microsoft Entra ID failed; every configured method was tried, in this order:")
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  - %s: %s", a.Method, reasonAndFix(a.Err))
	}
	b.WriteString("\nFix the settings of the method you intend to use, or turn off the ones you do not (for example use_cli = false).")
	return b.String()
}

// reasonAndFix is the reason an attempt failed, followed by what to do when the cause is known.
func reasonAndFix(err error) string {
	reason := Reason(err)
	if fix := fixOfReason(reason); fix != "" {
		return reason + " To fix it: " + fix + "."
	}
	return reason
}

// Unwrap returns the errors of the attempts.
func (e *ChainError) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a.Err
	}
	return errs
}

// certificateReason says why a client certificate could not be read, without the ASN.1 details that
// the PKCS#12 parser gives for data that is not an archive at all.
func certificateReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "decryption password incorrect"):
		return "the password is wrong; check client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD)"
	case strings.Contains(msg, "asn1:"):
		return "the data is neither a PKCS#12 archive nor PEM"
	}
	return msg
}
