// Package auth builds the Microsoft Entra ID credential a provider instance uses for Azure Resource
// Manager and, when no legacy API token is configured, for the Defender for Cloud Apps API.
//
// Authentication methods are tried in a fixed order: an explicit federated token (a token, a token file,
// a token request endpoint, or Azure DevOps workload identity federation), a client secret, a client
// certificate, a managed identity, and the Azure CLI. Only the methods whose settings are present take
// part. The first method that returns a token is used from then on; when every method fails, the error
// lists each method that was tried and why it failed.
//
// A multi-tenant app registration, consented in other tenants, gets tokens for them with the same
// credential. [Credential.ForTenant] returns a credential bound to one of the tenants that
// [Settings.AdditionalTenants] allows, which asks Microsoft Entra ID for that tenant's tokens
// (azidentity's AdditionallyAllowedTenants and the TenantID of each token request) with the methods
// that can: the federated tokens, the client secret and the client certificate. The Azure CLI and a
// managed identity get tokens of their own tenant only.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

	// AdditionalTenants are the tenants besides TenantID that ForTenant may return credentials for;
	// "*" allows any tenant.
	AdditionalTenants []string

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

// singleTenantMethods are the methods that get tokens of their own tenant only, with the reason.
var singleTenantMethods = map[string]string{
	// AzureCLICredential would pass --tenant; the provider keeps the CLI, a tool for people at a desk,
	// to the tenant it is logged in to (our choice, not a limit of the CLI).
	MethodAzureCLI: "the provider uses the Azure CLI only in the tenant it is logged in to",
	// Managed identities are service principals of their own tenant; azidentity's
	// ManagedIdentityCredential ignores the tenant of a token request.
	MethodManagedID: "a managed identity gets tokens in its own tenant only (on Kubernetes, workload identity's federated token file works for other tenants)",
}

type method struct {
	name string
	cred azcore.TokenCredential
}

// Credential is an azcore.TokenCredential that tries the configured methods in order and then keeps
// the first one that worked. azidentity caches tokens inside each method, per tenant and scope, so
// one Credential per provider instance shares tokens between every resource of that instance.
type Credential struct {
	methods []method
	// home is the provider's tenant (Settings.TenantID); tenant, when set, is the tenant that every
	// token is requested for (a credential returned by ForTenant).
	home, tenant string
	// additional are Settings.AdditionalTenants.
	additional []string

	mu     sync.Mutex
	chosen *method

	tenantsMu sync.Mutex
	tenants   map[string]*Credential // lower-case tenant id -> credential of ForTenant
}

var _ azcore.TokenCredential = (*Credential)(nil)

// NewCredential builds the credential for s. clientOptions carries the transport and the logging
// policy shared with the service clients. It returns ErrNoMethod when s configures no method, and a
// descriptive error when a method's settings are incomplete or malformed.
func NewCredential(s Settings, clientOptions azcore.ClientOptions) (*Credential, error) {
	clientOptions.Cloud = s.Cloud
	// azidentity compares the allowed tenants with the tenant of a request exactly; tenant ids are
	// GUIDs, which Microsoft Entra ID treats without regard to case.
	allowed := make([]string, len(s.AdditionalTenants))
	for i, t := range s.AdditionalTenants {
		allowed[i] = strings.ToLower(t)
	}
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
		ClientOptions:              clientOptions,
		DisableInstanceDiscovery:   s.DisableInstanceDiscovery,
		AdditionallyAllowedTenants: allowed,
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
			&azidentity.AzurePipelinesCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery,
				AdditionallyAllowedTenants: allowed})
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
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery,
				AdditionallyAllowedTenants: allowed})
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
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions, DisableInstanceDiscovery: s.DisableInstanceDiscovery,
				AdditionallyAllowedTenants: allowed})
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
	return &Credential{methods: methods, home: s.TenantID, additional: allowed}, nil
}

// Methods returns the names of the configured methods in the order they are tried.
func (c *Credential) Methods() []string {
	names := make([]string, len(c.methods))
	for i, m := range c.methods {
		names[i] = m.name
	}
	return names
}

// ownTenant reports whether tenantID is the tenant of c's methods: empty, the provider's tenant, or
// any tenant when the provider has none (the Azure CLI or a managed identity without tenant_id, whose
// tenant the provider does not know).
func (c *Credential) ownTenant(tenantID string) bool {
	return tenantID == "" || c.home == "" || strings.EqualFold(tenantID, c.home)
}

// CheckTenant says why c cannot get tokens for tenantID, or returns nil when it can: the tenant must
// be the provider's or one that Settings.AdditionalTenants allows, and for another tenant at least
// one configured method must be able to act there. It makes no request.
func (c *Credential) CheckTenant(tenantID string) error {
	if c.ownTenant(tenantID) {
		return nil
	}
	if !slices.ContainsFunc(c.additional, func(t string) bool { return t == "*" || strings.EqualFold(t, tenantID) }) {
		return fmt.Errorf("the tenant %s is neither the provider's tenant_id (%s) nor one of its additional_tenant_ids; add it to "+
			"additional_tenant_ids (or ARM_AUXILIARY_TENANT_IDS), or add \"*\" to allow any tenant that consented to the app", tenantID, c.home)
	}
	if len(c.crossTenantMethods()) > 0 {
		return nil
	}
	reasons := make([]string, 0, len(c.methods))
	for _, m := range c.methods {
		reasons = append(reasons, m.name+": "+singleTenantMethods[m.name])
	}
	return fmt.Errorf("no configured authentication method can get tokens for the tenant %s, another tenant than the provider's (%s): %s. "+
		"Sign in as a multi-tenant app registration consented in that tenant, with a client secret, a client certificate or a federated token, "+
		"or use a provider alias configured for that tenant", tenantID, c.home, strings.Join(reasons, "; "))
}

// crossTenantMethods returns the methods that get tokens for other tenants, in their order.
func (c *Credential) crossTenantMethods() []method {
	var out []method
	for _, m := range c.methods {
		if _, single := singleTenantMethods[m.name]; !single {
			out = append(out, m)
		}
	}
	return out
}

// ForTenant returns a credential that gets tokens for tenantID: c itself for the provider's own tenant,
// and otherwise a credential that asks each token for tenantID with the methods of c that can act in
// other tenants (chosen in order, as c chooses its own). Tokens are cached per tenant and scope by the
// methods, so the credentials of every tenant share the methods' caches and the same tenant always gets
// the same credential. It returns CheckTenant's error when c cannot act for the tenant.
func (c *Credential) ForTenant(tenantID string) (azcore.TokenCredential, error) {
	if c.ownTenant(tenantID) {
		return c, nil
	}
	if err := c.CheckTenant(tenantID); err != nil {
		return nil, err
	}
	key := strings.ToLower(tenantID)
	c.tenantsMu.Lock()
	defer c.tenantsMu.Unlock()
	if tc := c.tenants[key]; tc != nil {
		return tc, nil
	}
	if c.tenants == nil {
		c.tenants = map[string]*Credential{}
	}
	tc := &Credential{methods: c.crossTenantMethods(), home: c.home, tenant: key, additional: c.additional}
	c.tenants[key] = tc
	return tc, nil
}

// GetToken returns a token from the method chosen earlier, or tries every configured method in order
// and chooses the first that succeeds. When all fail it returns a *ChainError. A credential of
// ForTenant asks for its tenant's tokens, whatever opts says.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c.tenant != "" {
		opts.TenantID = c.tenant
	}
	c.mu.Lock()
	chosen := c.chosen
	if chosen != nil {
		c.mu.Unlock()
		tok, err := chosen.cred.GetToken(ctx, opts)
		if err != nil {
			return tok, &ChainError{Tenant: c.tenant, Attempts: []Attempt{{Method: chosen.name, Err: err}}}
		}
		return tok, nil
	}
	// Hold the lock while trying, so that concurrent callers wait for the first choice instead of
	// each walking the chain.
	defer c.mu.Unlock()
	chainErr := &ChainError{Tenant: c.tenant}
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
	// Tenant is the tenant the tokens were requested for when it is not the provider's own.
	Tenant   string
	Attempts []Attempt
}

func (e *ChainError) Error() string {
	var b strings.Builder
	b.WriteString("authentication with Microsoft Entra ID")
	if e.Tenant != "" {
		fmt.Fprintf(&b, " for the tenant %s", e.Tenant)
	}
	if len(e.Attempts) == 1 {
		fmt.Fprintf(&b, " failed: %s: %s", e.Attempts[0].Method, e.reasonAndFix(e.Attempts[0].Err))
		return b.String()
	}
	b.WriteString(" failed; every configured method was tried, in this order:")
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  - %s: %s", a.Method, e.reasonAndFix(a.Err))
	}
	b.WriteString("\nFix the settings of the method you intend to use, or turn off the ones you do not (for example use_cli = false).")
	return b.String()
}

// reasonAndFix is reasonAndFix, except that in another tenant than the provider's, AADSTS700016 means
// that the app registration has no service principal there: it is not consented in that tenant.
func (e *ChainError) reasonAndFix(err error) string {
	reason := Reason(err)
	if e.Tenant != "" && strings.Contains(reason, "AADSTS700016") {
		return fmt.Sprintf("%s The app registration is not consented in the tenant %s: an administrator of that tenant must grant it "+
			"admin consent (which creates its service principal there), and the app must be multi-tenant.", reason, e.Tenant)
	}
	return reasonAndFix(err)
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
