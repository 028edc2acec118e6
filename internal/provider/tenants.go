package provider

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/auth"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

// tenantClients builds, on first use, the clients of the tenants and portals that resources and data
// sources name with their own tenant_id and portal_url, and keeps them for the life of the provider
// process: one Resource Manager and one Cloud Apps client per tenant and portal URL, all sharing the
// provider's credential (whose tokens are cached per tenant and audience) and the process-wide Cloud
// Apps limiter of each portal.
type tenantClients struct {
	// credential is the provider's Microsoft Entra ID credential; nil when none is configured.
	credential *auth.Credential
	// apiToken is the legacy Cloud Apps API token of the provider's tenant, if any.
	apiToken string
	// portalURL is the provider's portal_url, if any.
	portalURL string
	// armOptions and cloudApps are the options the provider's own clients were built with;
	// cloudApps.PortalURL, APIToken and Credential are set per client.
	armOptions *arm.ClientOptions
	cloudApps  cloudapps.Options

	mu sync.Mutex
	// built are the clients of each tenant and portal URL by clientsKey; Configure puts the provider's
	// own clients there, as the entry of its tenant and portal.
	built map[string]*builtClients
}

// builtClients are the clients of one tenant and portal URL, or why they could not be built: a
// problem with the tenant or portal (no client), or each client's own error.
type builtClients struct {
	problem error
	rm      *resourcemanager.Client
	rmErr   error
	ca      *cloudapps.Client
	caErr   error
}

// errNoCredential says that the provider has no Microsoft Entra ID credential, and how to give it one.
var errNoCredential = fmt.Errorf("no Microsoft Entra ID authentication method is configured. Set one in the provider block or its environment variables: "+
	"client_id and tenant_id with %s, client_certificate or client_certificate_path, a federated token "+
	"(oidc_token, oidc_token_file_path, or use_oidc with a token request endpoint), use_msi = true, or use_cli = true after `az login`", label("client_secret"))

// newResourceManager builds a Resource Manager client that signs in with cred, which is nil when the
// provider has no credential.
func (t *tenantClients) newResourceManager(cred azcore.TokenCredential) (*resourcemanager.Client, error) {
	if cred == nil {
		return nil, errNoCredential
	}
	rm, err := resourcemanager.NewClient(cred, t.armOptions)
	if err != nil {
		return nil, fmt.Errorf("building the Resource Manager client: %w", err)
	}
	return rm, nil
}

// newCloudApps builds a Cloud Apps client of portalURL that signs in with the provider's api_token or
// with cred (nil when the provider has no credential). tenantProblem keeps api_token to the provider's
// own tenant.
func (t *tenantClients) newCloudApps(cred azcore.TokenCredential, portalURL string) (*cloudapps.Client, error) {
	switch {
	case portalURL == "":
		return nil, fmt.Errorf("portal_url is not set: set %s to the tenant's Defender for Cloud Apps API URL "+
			"(Settings > Cloud Apps > System > About in the portal), for example https://contoso.eu2.portal.cloudappsecurity.com", label("portal_url"))
	case t.apiToken == "" && cred == nil:
		return nil, fmt.Errorf("calling Defender for Cloud Apps needs either %s or a Microsoft Entra ID credential, and %w", label("api_token"), errNoCredential)
	}
	opts := t.cloudApps
	opts.PortalURL, opts.APIToken, opts.Credential = portalURL, t.apiToken, cred
	ca, err := cloudapps.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("building the Defender for Cloud Apps client: %w", err)
	}
	return ca, nil
}

// notConfiguredError says which service's client is missing, and why.
type notConfiguredError struct {
	// service names the service whose client is missing.
	service string
	// attr is the attribute of the object at fault when the object names a tenant or portal the
	// provider cannot reach; empty when the provider's own configuration is at fault.
	attr string
	err  error
}

func (e *notConfiguredError) Error() string { return e.err.Error() }
func (e *notConfiguredError) Unwrap() error { return e.err }

// otherTenant reports whether tenantID names a tenant other than the provider's. Without a provider
// tenant_id (the Azure CLI or a managed identity without one), every tenant is taken for the
// credential's own, as the provider cannot tell.
func (c *Clients) otherTenant(tenantID string) bool {
	return tenantID != "" && c.TenantID != "" && !strings.EqualFold(tenantID, c.TenantID)
}

// clientsKey is the key of the clients of a tenant and portal URL in tenantClients.built.
func clientsKey(tenantID, portalURL string) string {
	return strings.ToLower(tenantID + " " + strings.TrimSuffix(portalURL, "/"))
}

// ForTenant returns the Resource Manager and Cloud Apps clients for an object of tenantID whose Cloud
// Apps portal is portalURL; empty values mean the provider's. Clients are built once per tenant and
// portal URL and kept for the life of the process. The error says what the provider lacks to reach
// that tenant (see tenantDiagnostics).
func (c *Clients) ForTenant(tenantID, portalURL string) (*resourcemanager.Client, *cloudapps.Client, error) {
	b := c.clientsFor(tenantID, portalURL)
	return b.rm, b.ca, errors.Join(b.problem, wrapNotConfigured("Azure Resource Manager", b.rmErr), wrapNotConfigured("Defender for Cloud Apps", b.caErr))
}

// CloudAppsForTenant returns the Cloud Apps client of ForTenant alone, for objects that do not call
// Resource Manager.
func (c *Clients) CloudAppsForTenant(tenantID, portalURL string) (*cloudapps.Client, error) {
	b := c.clientsFor(tenantID, portalURL)
	return b.ca, errors.Join(b.problem, wrapNotConfigured("Defender for Cloud Apps", b.caErr))
}

func (c *Clients) clientsFor(tenantID, portalURL string) *builtClients {
	if err := c.tenantProblem(tenantID, portalURL); err != nil {
		return &builtClients{problem: err}
	}
	t := c.tenants
	other := c.otherTenant(tenantID)
	if !other {
		// The provider's own tenant, however the resource spells it ("" or its id, in any case).
		tenantID = c.TenantID
	}
	portalURL = cmp.Or(portalURL, t.portalURL)
	key := clientsKey(tenantID, portalURL)
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.built[key]; b != nil {
		return b
	}
	// The provider's own tenant shares the provider's Resource Manager client.
	b := &builtClients{rm: c.own.rm, rmErr: c.own.rmErr}
	var cred azcore.TokenCredential
	if other {
		// tenantProblem made sure that the credential can act for the tenant.
		tenantCred, err := t.credential.ForTenant(tenantID)
		if err != nil {
			return &builtClients{problem: &notConfiguredError{service: "Microsoft Entra ID", attr: "tenant_id", err: err}}
		}
		cred = tenantCred
		b.rm, b.rmErr = t.newResourceManager(cred)
	} else if t.credential != nil {
		cred = t.credential
	}
	b.ca, b.caErr = t.newCloudApps(cred, portalURL)
	if t.built == nil {
		t.built = map[string]*builtClients{}
	}
	t.built[key] = b
	return b
}

// wrapNotConfigured marks err as the reason why service's client is missing; nil stays nil.
func wrapNotConfigured(service string, err error) error {
	if err == nil {
		return nil
	}
	return &notConfiguredError{service: service, err: err}
}

// tenantProblem says why the provider cannot reach an object of tenantID with the portal portalURL,
// or returns nil. It makes no request, so plans can call it.
func (c *Clients) tenantProblem(tenantID, portalURL string) error {
	if !c.otherTenant(tenantID) {
		return nil
	}
	entra := func(format string, args ...any) error {
		return &notConfiguredError{service: "Microsoft Entra ID", attr: "tenant_id", err: fmt.Errorf(format, args...)}
	}
	switch {
	case c.tenants == nil || c.tenants.credential == nil:
		return entra("tenant_id %s is not the provider's tenant (%s), and only a Microsoft Entra ID credential can act for another tenant: "+
			"configure client_id with a client secret, a client certificate or a federated token of a multi-tenant app registration "+
			"consented in that tenant, or use a provider alias configured for that tenant", tenantID, c.TenantID)
	case c.tenants.apiToken != "":
		return entra("tenant_id %s is not the provider's tenant (%s), but the provider calls Defender for Cloud Apps with %s, "+
			"a legacy token that belongs to the provider's own tenant. Use a provider alias with that tenant's own "+
			"api_token, or remove api_token so that Cloud Apps is called with Microsoft Entra ID tokens of each tenant (for the SIEM agent, "+
			"whether Entra tokens are accepted is not confirmed: siem_agent = \"observe\" needs only the agent list)", tenantID, c.TenantID, label("api_token"))
	case portalURL == "":
		return &notConfiguredError{service: "Defender for Cloud Apps", attr: "portal_url", err: fmt.Errorf("tenant_id %s is not the provider's tenant (%s), "+
			"so the provider's portal_url is not this tenant's portal: set portal_url to the tenant's Defender for Cloud Apps API URL "+
			"(Settings > Cloud Apps > System > About in that tenant's portal)", tenantID, c.TenantID)}
	}
	if err := c.tenants.credential.CheckTenant(tenantID); err != nil {
		return &notConfiguredError{service: "Microsoft Entra ID", attr: "tenant_id", err: err}
	}
	return nil
}

// tenantDiagnostics turns an error of ForTenant into diagnostics, one per service that is missing.
// The errors about another tenant name the attribute at fault.
func tenantDiagnostics(err error) diag.Diagnostics {
	var diags diag.Diagnostics
	if err == nil {
		return diags
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var nc *notConfiguredError
		if !errors.As(e, &nc) {
			diags.AddError("Provider not configured", e.Error())
			continue
		}
		switch nc.attr {
		case "tenant_id":
			diags.AddAttributeError(path.Root("tenant_id"), "Tenant out of the provider's reach", nc.Error())
		case "portal_url":
			diags.AddAttributeError(path.Root("portal_url"), "Portal URL needed for another tenant", nc.Error())
		default:
			diags.AddError(nc.service+" is not configured", nc.Error())
		}
	}
	return diags
}

// checkTenantPlan refuses at plan time an object whose tenant_id and portal_url the provider cannot
// reach, with the reason. Unknown values are checked at apply.
func (c *Clients) checkTenantPlan(tenantID, portalURL types.String) diag.Diagnostics {
	if c == nil || tenantID.IsUnknown() || portalURL.IsUnknown() {
		return nil
	}
	return tenantDiagnostics(c.tenantProblem(tenantID.ValueString(), portalURL.ValueString()))
}

// importIDTenantHint tells how an import id names another tenant than the provider's.
const importIDTenantHint = "for an integration of another tenant than the provider's, append that tenant and its portal as a query: " +
	"<data connector id>?tenant_id=<tenant id>&portal_url=<portal URL>"

// splitImportID separates an import id into the data connector's ARM id and the tenant_id and
// portal_url that may follow it as a query (ARM ids have no "?"), so that an integration of another
// tenant than the provider's can be imported into a resource that names its tenant.
func splitImportID(raw string) (connectorID, tenantID, portalURL string, err error) {
	connectorID, query, found := strings.Cut(raw, "?")
	if !found {
		return raw, "", "", nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", "", "", fmt.Errorf("the import id's query %q cannot be read: %w", query, err)
	}
	for key, v := range values {
		switch {
		case key != "tenant_id" && key != "portal_url":
			return "", "", "", fmt.Errorf("the import id's query names %q; it may name only tenant_id and portal_url", key)
		case len(v) != 1:
			return "", "", "", fmt.Errorf("the import id's query names %s %d times; name it once", key, len(v))
		}
	}
	tenantID, portalURL = values.Get("tenant_id"), values.Get("portal_url")
	if tenantID != "" && !validators.IsUUID(tenantID) {
		return "", "", "", fmt.Errorf("the import id's tenant_id %q is not a UUID", tenantID)
	}
	if portalURL != "" {
		if err := cloudapps.CheckPortalURL(portalURL); err != nil {
			return "", "", "", fmt.Errorf("the import id's portal_url: %w", err)
		}
	}
	return connectorID, tenantID, portalURL, nil
}

// stringOrNull returns a string value, or null for "".
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
